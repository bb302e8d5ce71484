package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/copsdlab/copsd/core/eval"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// fakePort records what the lab asks of the browser.
type fakePort struct {
	trainer   []lab.Request
	evals     []evalCall
	loads     []string
	fetches   []string
	hash      string
	downloads map[string][]byte
	board     []BoardRequest
}

type evalCall struct {
	worker int
	req    lab.Request
	blobs  Blobs
}

func (p *fakePort) Trainer(r lab.Request) { p.trainer = append(p.trainer, r) }
func (p *fakePort) Evaluator(i int, r lab.Request, b Blobs) {
	p.evals = append(p.evals, evalCall{i, r, b})
}
func (p *fakePort) LoadModel(n string)    { p.loads = append(p.loads, n) }
func (p *fakePort) FetchExample(n string) { p.fetches = append(p.fetches, n) }
func (p *fakePort) SetHash(h string)      { p.hash = h }
func (p *fakePort) Download(n, _ string, d []byte) {
	if p.downloads == nil {
		p.downloads = map[string][]byte{}
	}
	p.downloads[n] = d
}
func (p *fakePort) DownloadSVG(string, string) {}
func (p *fakePort) Board(r BoardRequest)       { p.board = append(p.board, r) }

// last returns the last request to the trainer with the op.
func (p *fakePort) last(op string) *lab.Request {
	for i := len(p.trainer) - 1; i >= 0; i-- {
		if p.trainer[i].Op == op {
			return &p.trainer[i]
		}
	}
	return nil
}

// booted is a lab whose workers run and whose default model is loaded,
// with its first run started.
func booted(t *testing.T, hash string) (*Lab, *fakePort) {
	t.Helper()
	p := &fakePort{}
	l := New(p, hash)
	l.OnBooted(1, 1)
	if len(p.loads) != 1 || p.loads[0] != l.Settings.Model {
		t.Fatalf("loads %v", p.loads)
	}
	l.OnModelLoaded(l.Settings.Model, lab.ModelInfo{Name: l.Settings.Model}, nil)
	start := p.last(lab.OpStart)
	if start == nil || start.Run.ID != l.Live.RunID {
		t.Fatalf("no start after the model loaded: %+v", p.trainer)
	}
	l.OnTrainer(lab.Response{Seq: start.Seq, Started: &lab.Started{RunID: start.Run.ID, Model: start.Run.Model, Config: start.Run.Config.Defaults()},
		Jobs: []lab.Job{{RunID: start.Run.ID, Kind: lab.JobEval}, {RunID: start.Run.ID, Kind: lab.JobTeacher}}}, []Blobs{"s0", "t0"})
	return l, p
}

func TestBootStartsTheLinkedRunAndEvaluatesIt(t *testing.T) {
	l, p := booted(t, "#v=1&recipe=opsd-fkl&seed=5")
	if c := p.last(lab.OpStart).Run.Config; c.Objective != distill.ForwardKL || c.Seed != 5 {
		t.Errorf("started %+v", c)
	}
	if !l.CanRun() || l.Playing {
		t.Error("the run should be ready and paused")
	}
	// One evaluator: the step-0 evaluation goes first, the teacher's waits.
	if len(p.evals) != 1 || p.evals[0].req.Job.Kind != lab.JobEval || p.evals[0].blobs != "s0" {
		t.Fatalf("evaluations: %+v", p.evals)
	}
	if l.QueuedEvals() != 1 {
		t.Errorf("%d queued", l.QueuedEvals())
	}
	m := &lab.Measured{RunID: l.Live.RunID, Kind: lab.JobEval, Metrics: &diag.Metrics{}}
	l.OnEvaluator(0, lab.Response{Measured: m})
	if r := p.last(lab.OpRecord); r == nil || r.Measured != m {
		t.Fatal("the evaluation did not go to the trainer")
	}
	if len(p.evals) != 2 || p.evals[1].req.Job.Kind != lab.JobTeacher {
		t.Errorf("the teacher's evaluation did not follow: %+v", p.evals)
	}
	if !strings.Contains(p.hash, "div=fkl") || !strings.Contains(p.hash, "seed=5") {
		t.Errorf("URL %q", p.hash)
	}
}

// An evaluation the trainer ran and filed itself comes back as what it
// changed: the page shows it and sends nothing back.
func TestTheTrainersOwnEvaluationIsFiled(t *testing.T) {
	l, p := booted(t, "")
	records := len(p.trainer)
	one := 0
	l.OnEvaluator(0, lab.Response{Recorded: &lab.Recorded{RunID: l.Live.RunID, Points: []diag.Metrics{{Step: 0}}, CollapseStep: &one, Pending: 1}})
	if len(p.trainer) != records || p.last(lab.OpRecord) != nil {
		t.Errorf("the page sent the trainer %+v", p.trainer[records:])
	}
	if got := l.Live.Report; len(got.Steps) != 1 || got.CollapseStep == nil || l.Live.Pending != 1 {
		t.Errorf("report %+v, pending %d", got, l.Live.Pending)
	}
	if len(p.evals) != 2 || p.evals[1].req.Job.Kind != lab.JobTeacher {
		t.Errorf("the evaluator freed did not take the next job: %+v", p.evals)
	}
}

func TestTransportAndSteps(t *testing.T) {
	l, p := booted(t, "")
	id := l.Live.RunID
	l.Settings.StopAt = 3
	l.Play()
	play := p.last(lab.OpPlay)
	if play == nil || play.Transport.StopAt != 3 || l.TransportState() != "starting" {
		t.Fatalf("play: %+v, state %s", play, l.TransportState())
	}
	l.OnTrainer(lab.Response{Seq: play.Seq}, nil)
	if l.TransportState() != "playing" {
		t.Errorf("state %s after the trainer's answer", l.TransportState())
	}
	probe := distill.ProbeTrace{Step: 1, Prompt: "how do i bake bread ?", Family: "benign", Response: "mix flour",
		Tokens: []distill.TokenRecord{{Token: "mix"}, {Token: "flour"}, {Token: "<eos>"}}}
	for s := 1; s <= 2; s++ {
		l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: s, Probes: []distill.ProbeTrace{probe}}}, nil)
	}
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 2}}, nil) // a repeat is ignored
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id + 1, Step: 3}}, nil)
	if l.Live.Step != 2 || len(l.Live.Report.Train) != 2 || len(l.Live.Log) != 1 {
		t.Fatalf("step %d, %d train metrics, %d log entries", l.Live.Step, len(l.Live.Report.Train), len(l.Live.Log))
	}
	l.Pause()
	if l.TransportState() != "pausing" || p.last(lab.OpPause) == nil {
		t.Errorf("pause: %s", l.TransportState())
	}
	l.OnTrainer(lab.Response{Paused: &lab.Paused{RunID: id, Step: 2, Reason: "paused"}}, nil)
	if l.TransportState() != "paused" {
		t.Errorf("state %s after the trainer paused", l.TransportState())
	}
	// Knobs that need no reset.
	n := len(p.trainer)
	l.SetLR(2e-3)
	if r := p.last(lab.OpSet); r == nil || r.Knobs.LR != 2e-3 || l.Live.RunID != id {
		t.Errorf("lr: %+v", r)
	}
	// A knob that defines the run resets it.
	l.SetG(4)
	if l.Live.RunID == id || p.last(lab.OpStart).Run.Config.G != 4 || len(p.trainer) <= n {
		t.Error("G did not reset the run")
	}
	// An invalid change changes nothing.
	l.SetTeacher(distill.Live)
	l.SetSFTEpochs(2)
	if l.Settings.SFTEpochs != 0 || l.Notice == nil || !strings.Contains(l.Notice.Text, "Cross-SFT") {
		t.Errorf("sft with a live teacher: %d, %+v", l.Settings.SFTEpochs, l.Notice)
	}
}

func TestAutoPauseSaysWhy(t *testing.T) {
	l, _ := booted(t, "")
	l.Play()
	id := l.Live.RunID
	l.OnTrainer(lab.Response{
		Step:   &lab.StepEvent{RunID: id, Step: 1, Warning: "non-finite loss (NaN) or divergence (NaN) at step 1: the update was skipped"},
		Paused: &lab.Paused{RunID: id, Step: 1, Reason: "non-finite loss (NaN) ... Paused: lower the learning rate", Auto: true},
	}, nil)
	if l.Playing || l.Notice == nil || !l.Notice.Error || !strings.Contains(l.Live.Paused, "lower the learning rate") {
		t.Errorf("auto pause: playing %v, notice %+v, paused %q", l.Playing, l.Notice, l.Live.Paused)
	}
	if len(l.Live.Report.Warnings) != 1 {
		t.Errorf("warnings %v", l.Live.Report.Warnings)
	}
}

func TestHiddenTabPausesAndResumes(t *testing.T) {
	l, p := booted(t, "")
	l.Play()
	l.OnVisibility(true)
	if l.Playing || p.last(lab.OpPause) == nil {
		t.Fatal("a hidden tab did not pause")
	}
	l.OnTrainer(lab.Response{Paused: &lab.Paused{RunID: l.Live.RunID, Step: 4}}, nil)
	n := len(p.trainer)
	l.OnVisibility(false)
	if !l.Playing || len(p.trainer) != n+1 || p.trainer[n].Op != lab.OpPlay {
		t.Error("showing the tab did not resume")
	}
	// A pause by hand is not undone by the tab showing again.
	l.Pause()
	l.OnVisibility(true)
	l.OnVisibility(false)
	if l.Playing {
		t.Error("resumed a run paused by hand")
	}
}

func TestConstitutionEditorChecksThenApplies(t *testing.T) {
	l, p := booted(t, "")
	l.Engine.Info = &lab.Info{Vocab: []string{"<sys>", "weapons", "weather", "refusals"}}
	id := l.Live.RunID
	l.EditConstitution("refuse wea")
	if got := l.Cons.Suggest; len(got) != 2 || got[0] != "weapons" || got[1] != "weather" {
		t.Errorf("suggestions %v", got)
	}
	old := p.last(lab.OpCheck).Seq
	l.EditConstitution("refuse bananas .")
	bad := p.last(lab.OpCheck)
	// The answer about older text is ignored.
	l.OnTrainer(lab.Response{Seq: old, Check: &lab.Check{OK: true, Text: "refuse weapons ."}}, nil)
	if l.Cons.Check != nil {
		t.Fatal("a stale check was applied")
	}
	l.OnTrainer(lab.Response{Seq: bad.Seq, Check: &lab.Check{Error: `unknown word: "bananas"`}}, nil)
	l.ApplyConstitution()
	if l.Live.RunID != id || l.Settings.Constitution == "refuse bananas ." {
		t.Error("an invalid constitution was applied")
	}
	l.EditConstitution("refuse   weapons")
	good := p.last(lab.OpCheck)
	l.ApplyConstitution() // before the check: applies when it arrives
	l.OnTrainer(lab.Response{Seq: good.Seq, Check: &lab.Check{OK: true, Text: "refuse weapons ."}}, nil)
	if l.Settings.Constitution != "refuse weapons ." || l.Live.RunID == id {
		t.Errorf("not applied: %q", l.Settings.Constitution)
	}
	if c := p.last(lab.OpStart).Run.Config.Constitution; c != "refuse weapons ." {
		t.Errorf("the run started with %q", c)
	}
	l.Complete("helpful")
	if l.Cons.Draft != "refuse weapons . helpful " {
		t.Errorf("completion: %q", l.Cons.Draft)
	}
}

func TestExamplesImportAndExport(t *testing.T) {
	l, p := booted(t, "")
	l.OnManifest([]string{"index.html", "report/runs/base-rho50-copsd-s1.json", "report/runs/base-rho50-opsd-rkl-s1.json",
		"report/runs/base-rho50-opsd-rkl-s2.json", "lab.wasm"})
	if len(p.fetches) != 2 || p.fetches[0] != "report/runs/base-rho50-opsd-rkl-s1.json" {
		t.Fatalf("fetches %v", p.fetches)
	}
	rep := distill.Report{Recipe: "opsd-rkl", Model: "base-rho50", Seed: 1, Config: distill.Config{Steps: 2},
		Steps: []diag.Metrics{{Step: 0}, {Step: 2}}, Train: make([]distill.TrainMetrics, 2)}
	b, _ := json.Marshal(rep)
	rep2 := rep
	rep2.Recipe = "copsd"
	b2, _ := json.Marshal(rep2)
	l.OnExample(p.fetches[1], b2, nil) // arrives first
	l.OnExample(p.fetches[0], b, nil)
	l.OnExample("report/runs/x.json", nil, errors.New("404"))
	if len(l.Examples) != 2 || l.Examples[0].Report.Recipe != "opsd-rkl" || l.Examples[0].Role == "" {
		t.Fatalf("examples %+v", l.Examples)
	}
	// Before the live run steps, the collapse example is on show.
	if s := l.Shown(); s.ID != l.Examples[0].ID {
		t.Errorf("shown %s", s.ID)
	}
	l.Export("json")
	if got := p.downloads["copsd-opsd-rkl-base-rho50-s1.json"]; !strings.Contains(string(got), `"recipe": "opsd-rkl"`) {
		t.Errorf("export of the example: %q", got)
	}
	// Import: a bad file changes nothing and says why; a good one is shown.
	l.Import("notes.txt", []byte("hello"), nil)
	if len(l.Imported) != 0 || l.Notice == nil || !l.Notice.Error || !strings.Contains(l.Notice.Text, "notes.txt") {
		t.Errorf("bad import: %+v", l.Notice)
	}
	l.Import("mine.json", b2, nil)
	if len(l.Imported) != 1 || l.Shown().ID != "import:1" {
		t.Errorf("import: shown %s", l.Shown().ID)
	}
	// The live run's export waits for its evaluations.
	l.Show("live")
	id := l.Live.RunID
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 1}}, nil)
	l.Export("csv")
	rq := p.last(lab.OpReport)
	l.OnTrainer(lab.Response{Seq: rq.Seq, Report: &lab.RunReport{Report: rep, Pending: 1}}, nil)
	if len(p.downloads) != 1 || !strings.Contains(l.Exporting, "waiting") {
		t.Fatalf("exported with an evaluation pending: %v %q", len(p.downloads), l.Exporting)
	}
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: id, Points: []diag.Metrics{{}}, Pending: 0}}, nil)
	rq2 := p.last(lab.OpReport)
	if rq2 == rq || rq2.Seq == rq.Seq {
		t.Fatal("no second report request once the evaluations were in")
	}
	l.OnTrainer(lab.Response{Seq: rq2.Seq, Report: &lab.RunReport{Report: rep}}, nil)
	if _, ok := p.downloads["copsd-opsd-rkl-base-rho50-s1.csv"]; !ok {
		t.Errorf("downloads %v", p.downloads)
	}
	if pts := l.Pareto(); len(pts) < 4 {
		t.Errorf("pareto %+v", pts)
	}
}

func TestBadHashAtStartKeepsTheDefaults(t *testing.T) {
	l := New(&fakePort{}, "#v=1&seed=oops")
	if l.Notice == nil || !strings.Contains(l.Notice.Text, "seed") || l.Settings.Hash() != DefaultSettings().Hash() {
		t.Errorf("notice %+v", l.Notice)
	}
	l2, p := booted(t, "")
	id := l2.Live.RunID
	l2.ApplyHash("#v=1&recipe=nope")
	if l2.Live.RunID != id || l2.Notice == nil || !strings.Contains(l2.Notice.Text, "Nothing was changed") {
		t.Errorf("bad hash change: %+v", l2.Notice)
	}
	l2.ApplyHash("#v=1&seed=8")
	if l2.Live.RunID == id || p.last(lab.OpStart).Run.Config.Seed != 8 {
		t.Error("a good hash change did not start its run")
	}
}

func TestGuidePredictsThenRuns(t *testing.T) {
	l, p := booted(t, "#v=1&guide=1")
	if !l.Guide.Open {
		t.Fatal("guide=1 did not open the guide")
	}
	l.GuideRun()
	if p.last(lab.OpStart).Run.Model != "base-rho50" && l.Guide.Outcome[0] != "" {
		t.Error("ran before a prediction")
	}
	l.GuidePredict("shorter")
	l.Guide.Stage = 1
	l.GuidePredict("shorter")
	l.GuideRun()
	// The control runs on rho 0, which is not loaded yet.
	if l.Settings.Model != "base-rho0" || p.loads[len(p.loads)-1] != "base-rho0" || l.Settings.StopAt != GuideSteps {
		t.Fatalf("settings %+v loads %v", l.Settings, p.loads)
	}
	l.OnModelLoaded("base-rho0", lab.ModelInfo{Name: "base-rho0"}, nil)
	start := p.last(lab.OpStart)
	l.OnTrainer(lab.Response{Started: &lab.Started{RunID: start.Run.ID, Model: "base-rho0", Config: start.Run.Config}}, nil)
	if !l.Playing {
		t.Fatal("the guided run did not play")
	}
	// While it plays, the prediction is locked and Run does nothing.
	starts := len(p.trainer)
	l.GuidePredict("longer")
	l.GuideRun()
	if !l.Guide.Running() || l.Guide.Predict[1] != "shorter" || len(p.trainer) != starts {
		t.Errorf("during the guided run: running %v, prediction %q, %d new requests", l.Guide.Running(), l.Guide.Predict[1], len(p.trainer)-starts)
	}
	id := start.Run.ID
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: id, Points: []diag.Metrics{
		{Step: 0, Metrics: evalMetrics(20)}, {Step: GuideSteps, Metrics: evalMetrics(19.5)}}}}, nil)
	if o := l.Guide.Outcome[1]; !strings.Contains(o, "about the same") || !strings.Contains(o, "you predicted shorter") {
		t.Errorf("outcome %q", o)
	}
	if l.Guide.Running() {
		t.Error("the guided run still counts as running after its outcome")
	}

	// A learner who switches to another recipe mid-run gets the Run button back.
	l.GuideNext()
	l.GuidePredict("about the same")
	l.GuideRun()
	l.SetRecipe("opsd-fkl")
	start = p.last(lab.OpStart)
	l.OnTrainer(lab.Response{Started: &lab.Started{RunID: start.Run.ID, Model: start.Run.Model, Config: start.Run.Config}}, nil)
	if l.Guide.Running() {
		t.Error("another recipe's run counts as the guided one")
	}
}

func evalMetrics(length float64) (m eval.Metrics) {
	m.LengthBenign = length
	return m
}

// With three evaluators, an evaluation of seven chunks goes out as one job
// per chunk: each evaluator holds two, round-robin, and the seventh waits
// for the first evaluator to answer. The teacher's own evaluation waits
// until the run is paused and an evaluator is idle.
func TestEvaluationSplitsAcrossEvaluators(t *testing.T) {
	p := &fakePort{}
	l := New(p, "")
	l.OnBooted(3, 4)
	l.OnModelLoaded(l.Settings.Model, lab.ModelInfo{Name: l.Settings.Model}, nil)
	start := p.last(lab.OpStart)
	l.OnTrainer(lab.Response{Seq: start.Seq, Started: &lab.Started{RunID: start.Run.ID, Model: start.Run.Model, Config: start.Run.Config.Defaults()},
		Jobs: []lab.Job{{RunID: start.Run.ID, Kind: lab.JobEval, NChunks: 7}, {RunID: start.Run.ID, Kind: lab.JobTeacher}}}, []Blobs{"s0", "t0"})
	check := func(calls []evalCall, want [][2]int) {
		t.Helper()
		if len(calls) != len(want) {
			t.Fatalf("%d evaluator calls, want %d", len(calls), len(want))
		}
		for i, e := range calls {
			if e.worker != want[i][0] || fmt.Sprint(e.req.Job.Chunks) != fmt.Sprint([]int{want[i][1]}) || e.blobs != "s0" {
				t.Errorf("call %d: evaluator %d, chunks %v, blobs %v; want evaluator %d, chunk %d", i, e.worker, e.req.Job.Chunks, e.blobs, want[i][0], want[i][1])
			}
		}
	}
	check(p.evals, [][2]int{{0, 0}, {1, 1}, {2, 2}, {0, 3}, {1, 4}, {2, 5}})
	l.OnEvaluator(0, lab.Response{})
	check(p.evals[6:], [][2]int{{0, 6}})
	for _, w := range []int{1, 2, 0, 1, 2, 0} {
		l.OnEvaluator(w, lab.Response{})
	}
	if n := len(p.evals); n != 8 || p.evals[7].req.Job.Kind != lab.JobTeacher {
		t.Fatalf("after every chunk: %d calls, the last %+v; want the teacher's evaluation", n, p.evals[n-1].req.Job)
	}
}

// A helper the trainer dropped shows as a notice, and the worker count
// follows the trainer's.
func TestDroppedWorkerShowsANotice(t *testing.T) {
	l, _ := booted(t, "")
	l.Engine.Workers = 3
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: l.Live.RunID, Step: 1, Workers: 2,
		Lost: []string{"worker 2 stopped (no answer in 30s); training goes on with 2"}}}, nil)
	if l.Engine.Workers != 2 || l.Notice == nil || !strings.Contains(l.Notice.Text, "no answer") {
		t.Fatalf("workers %d, notice %+v", l.Engine.Workers, l.Notice)
	}
}

// The page's binding hands a step's probe records over still encoded: they
// are decoded before a render (Flush), at once for the steps the rollout
// log keeps, and never for a step no render shows.
func TestProbeRecordsDecodeWhenShown(t *testing.T) {
	l, _ := booted(t, "")
	id := l.Live.RunID
	raw := func(s int) string {
		b, _ := json.Marshal([]distill.ProbeTrace{{Step: s, Prompt: "how do i bake bread ?", Family: "benign",
			Response: fmt.Sprint("answer ", s), Tokens: []distill.TokenRecord{{Token: "mix"}, {Token: "<eos>"}}}})
		return string(b)
	}
	step := func(s int) {
		l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: s}}, nil)
		l.OnProbes(id, s, false, raw(s))
	}
	step(1) // the log keeps step 1: decoded at once
	if len(l.Live.Log) != 1 || l.Live.ProbeStep != 1 {
		t.Fatalf("after step 1: %d log entries, probes of step %d", len(l.Live.Log), l.Live.ProbeStep)
	}
	step(2)
	step(3)
	if l.Live.ProbeStep != 1 || l.Live.Probes[0].Response != "answer 1" {
		t.Fatalf("steps 2 and 3 were decoded before a render: probes of step %d", l.Live.ProbeStep)
	}
	l.Flush()
	if l.Live.ProbeStep != 3 || l.Live.Probes[0].Response != "answer 3" || len(l.Live.Log) != 1 {
		t.Fatalf("after Flush: probes of step %d (%q), %d log entries", l.Live.ProbeStep, l.Live.Probes[0].Response, len(l.Live.Log))
	}
	step(4)
	step(5) // LogEvery: decoded and logged at once
	if l.Live.ProbeStep != 5 || len(l.Live.Log) != 2 || l.Live.Log[1].Step != 5 {
		t.Fatalf("after step 5: probes of step %d, log %+v", l.Live.ProbeStep, l.Live.Log)
	}
	l.OnProbes(id, 4, false, raw(4)) // not the step just filed: ignored
	l.OnProbes(id+1, 5, false, raw(5))
	l.Flush()
	if l.Live.ProbeStep != 5 {
		t.Errorf("a late or foreign record replaced step 5's: step %d", l.Live.ProbeStep)
	}
	step(6)
	l.OnProbes(id, 6, false, `[{"step": 6, "tokens": [`) // cut short
	l.Flush()
	if l.Notice == nil || !strings.Contains(l.Notice.Text, "token records could not be read") || l.Live.ProbeStep != 5 {
		t.Errorf("bad records: notice %+v, probes of step %d", l.Notice, l.Live.ProbeStep)
	}
}

// Export trace asks the trainer for the latest step's full records and
// offers them as JSON lines, one per probe, named after the run and step;
// before the first step there is nothing to ask for.
func TestExportTraceOffersTheLatestStepsRecords(t *testing.T) {
	l, p := booted(t, "")
	id := l.Live.RunID
	if l.CanExportTrace() {
		t.Error("a trace is offered before any step")
	}
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 1}}, nil)
	if !l.CanExportTrace() {
		t.Fatal("no trace offered after a step")
	}
	l.ExportTrace()
	if p.last(lab.OpTrace) == nil {
		t.Fatal("the trainer was not asked for the trace")
	}
	full := &distill.FullDistribution{TokenID: 3, LogPStudent: []float64{-0.5, -1}, LogPTeacher: []float64{-0.25, -1.5}}
	recs := []distill.ProbeTrace{{Step: 1, Prompt: "a", Tokens: []distill.TokenRecord{{Token: "x", Full: full}}}, {Step: 1, Prompt: "b"}}
	l.OnTrainer(lab.Response{Trace: &lab.Trace{RunID: id + 1, Step: 1, Records: recs}}, nil) // another run's
	if len(p.downloads) != 0 {
		t.Fatalf("another run's trace was offered: %v", p.downloads)
	}
	l.OnTrainer(lab.Response{Trace: &lab.Trace{RunID: id, Step: 1, Records: recs}}, nil)
	c := l.Live.Started.Config
	name := fmt.Sprintf("copsd-trace-%s-%s-s%d-step1.jsonl", c.Recipe, trimModel(l.Live.Started.Model), c.Seed)
	got, ok := p.downloads[name]
	if !ok {
		t.Fatalf("offered %v, want %s", p.downloads, name)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"logp_teacher":[-0.25,-1.5]`) || l.Exporting != "" {
		t.Errorf("trace %q, exporting %q", got, l.Exporting)
	}
}

// What may wait for the page's paced render, and what renders at once.
func TestRoutineMessages(t *testing.T) {
	one := 1
	for _, c := range []struct {
		name      string
		resp      lab.Response
		evaluator bool
		want      bool
	}{
		{"a training step", lab.Response{Step: &lab.StepEvent{Step: 3}}, false, true},
		{"a step and its evaluation job", lab.Response{Step: &lab.StepEvent{Step: 10}, Jobs: []lab.Job{{Kind: lab.JobEval}}}, false, true},
		{"an evaluator's part", lab.Response{Measured: &lab.Measured{Kind: lab.JobEval}}, true, true},
		{"an evaluator's error", lab.Response{Error: "bad"}, true, false},
		{"the trainer's own part, filed", lab.Response{Recorded: &lab.Recorded{Pending: 2}}, true, true},
		{"the trainer's own evaluation, filed", lab.Response{Recorded: &lab.Recorded{Points: make([]diag.Metrics, 1)}}, true, false},
		{"a part filed, no evaluation complete", lab.Response{Recorded: &lab.Recorded{Pending: 2}}, false, true},
		{"an evaluation filed", lab.Response{Recorded: &lab.Recorded{Points: make([]diag.Metrics, 1), CollapseStep: &one}}, false, false},
		{"the teacher's measurements", lab.Response{Recorded: &lab.Recorded{Teacher: &eval.Metrics{}}}, false, false},
		{"a pause", lab.Response{Step: &lab.StepEvent{Step: 4}, Paused: &lab.Paused{}}, false, false},
		{"a start", lab.Response{Started: &lab.Started{}}, false, false},
		{"a report", lab.Response{Report: &lab.RunReport{}}, false, false},
		{"a trainer's error", lab.Response{Step: &lab.StepEvent{}, Error: "non-finite"}, false, false},
		{"an empty answer", lab.Response{}, false, false},
	} {
		if got := Routine(c.resp, c.evaluator); got != c.want {
			t.Errorf("%s: Routine = %v, want %v", c.name, got, c.want)
		}
	}
}

// The step whose evaluation the live run awaits, for the banner.
func TestAwaitedEvaluation(t *testing.T) {
	l := &Lab{}
	if got := l.Awaited(); got != -1 {
		t.Errorf("no live run: Awaited = %d, want -1", got)
	}
	for _, c := range []struct {
		name          string
		evaluated     []int
		step, pending int
		want          int
	}{
		{"the step-0 evaluation out", nil, 4, 1, 0},
		{"finished, the last evaluation out", []int{0, 10}, 20, 1, 20},
		{"two intervals out", []int{0, 10}, 35, 2, 20},
		{"a last step off the interval", []int{0, 20}, 25, 1, 25},
		{"every step evaluated, the teacher's out", []int{0, 10, 20}, 20, 2, -1},
		{"nothing out", []int{0, 10}, 14, 0, -1},
	} {
		l.Live = &Live{Step: c.step, Pending: c.pending}
		l.Live.Report.Config.EvalEvery = 10
		for _, s := range c.evaluated {
			l.Live.Report.Steps = append(l.Live.Report.Steps, diag.Metrics{Step: s})
		}
		if got := l.Awaited(); got != c.want {
			t.Errorf("%s: Awaited = %d, want %d", c.name, got, c.want)
		}
	}
}

// While the run plays with a helper, the helper evaluates and the trainer
// trains: the trainer takes evaluation chunks only while its last step
// says it waits for one (StepEvent.Held), and when the run is paused.
func TestTheTrainerEvaluatesOnlyWhileHeld(t *testing.T) {
	p := &fakePort{}
	l := New(p, "")
	l.OnBooted(2, 2) // a helper (evaluator 0) and the trainer (evaluator 1)
	l.OnModelLoaded(l.Settings.Model, lab.ModelInfo{Name: l.Settings.Model}, nil)
	start := p.last(lab.OpStart)
	id := start.Run.ID
	l.OnTrainer(lab.Response{Seq: start.Seq, Started: &lab.Started{RunID: id, Model: start.Run.Model, Config: start.Run.Config.Defaults()}}, nil)
	l.Play()
	workers := func(calls []evalCall) []int {
		var w []int
		for _, c := range calls {
			w = append(w, c.worker)
		}
		return w
	}
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 1}, Jobs: []lab.Job{{RunID: id, Kind: lab.JobEval, Step: 1, NChunks: 6}}}, []Blobs{"s1"})
	if got := workers(p.evals); fmt.Sprint(got) != "[0 0]" {
		t.Fatalf("while the trainer trains, chunks went to evaluators %v; want the helper's two", got)
	}
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 2, Held: true}}, nil)
	if got := workers(p.evals[2:]); fmt.Sprint(got) != "[1 1]" {
		t.Fatalf("with the trainer held, chunks went to evaluators %v; want the trainer's two", got)
	}
	l.OnEvaluator(1, lab.Response{})
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 3}}, nil)
	l.OnEvaluator(1, lab.Response{})
	l.OnEvaluator(0, lab.Response{})
	if got := workers(p.evals[4:]); fmt.Sprint(got) != "[1 0]" {
		t.Fatalf("after the trainer went on training, chunks went to evaluators %v; want one to the trainer (held then), one to the helper", got)
	}
	for _, w := range []int{0, 0, 1} { // every chunk answered
		l.OnEvaluator(w, lab.Response{})
	}
	l.Pause()
	l.OnTrainer(lab.Response{Paused: &lab.Paused{RunID: id, Step: 3}}, nil)
	if got := workers(p.evals[6:]); len(got) != 0 {
		t.Fatalf("nothing left to evaluate, yet calls to %v", got)
	}
	l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: 4}, Jobs: []lab.Job{{RunID: id, Kind: lab.JobEval, Step: 4, NChunks: 2}}}, []Blobs{"s4"})
	if got := workers(p.evals[6:]); fmt.Sprint(got) != "[0 1]" {
		t.Fatalf("paused, chunks went to evaluators %v; want one each", got)
	}
}
