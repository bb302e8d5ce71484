package state

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// Port is how the lab reaches the browser: the workers, the network, the
// URL and downloads. Every call returns at once; answers come back through
// the Lab's On* methods.
type Port interface {
	// Trainer sends a request to the trainer worker; it answers OnTrainer.
	Trainer(req lab.Request)
	// Evaluator hands a job to evaluator i with its snapshots; it answers
	// OnEvaluator.
	Evaluator(i int, req lab.Request, blobs Blobs)
	// LoadModel fetches a base model and loads it into every worker; it
	// answers OnModelLoaded.
	LoadModel(name string)
	// FetchExample fetches a precomputed run by its logical name
	// ("report/runs/x.json"); it answers OnExample.
	FetchExample(name string)
	// SetHash replaces the URL's fragment without adding a history entry.
	SetHash(hash string)
	// Download offers data as a file.
	Download(name, mime string, data []byte)
	// DownloadSVG offers the chart whose data-testid is testid as an SVG file.
	DownloadSVG(testid, name string)
	// Board sends a request to the class board's API on the page's origin;
	// it answers OnBoard with the request's Seq.
	Board(req BoardRequest)
}

// Blobs are a job's weight snapshots, opaque to the lab: the page passes
// them from the trainer to an evaluator without reading them.
type Blobs any

// Notice is a message to the learner.
type Notice struct {
	Text  string
	Error bool
}

// Engine is what the page knows about the workers.
type Engine struct {
	Booted     bool   // the workers are running
	Fatal      string // the engine failed; nothing will run
	Loading    string // the model being fetched, if any
	Info       *lab.Info
	Models     map[string]lab.ModelInfo // loaded
	Evaluators int
	Workers    int    // the pool's engine Web Workers that train: the trainer and its helpers
	SIMD       bool   // the trainer runs the SIMD128 kernels
	NoSIMD     string // why not, when known
}

// Lab is the page's state. Methods are called under the render lock.
type Lab struct {
	Port     Port
	PageURL  string // the page's address without the fragment, for share links
	Settings Settings
	Engine   Engine
	Notice   *Notice

	Playing        bool   // the learner asked to play
	TrainerPlaying bool   // the trainer says it plays (a pause takes effect after the step in progress)
	Live           *Live  // the run in the trainer (nil before the first start)
	Examples       []*Run // precomputed runs, as they arrive
	Imported       []*Run
	ShownID        string // the run the charts show ("" = the live run, else the first example)
	CompareID      string // a run drawn faintly behind it ("" = none)
	Tokens         TokenView
	Cons           ConsEditor
	Guide          Guide
	Board          Board
	Teacher        Teacher   // the class board's teacher view (teacher.go)
	Repro          Reproduce // the Reproduce view (reproduce.go)
	HoverStep      int       // the step the charts' read-outs show; -1: the latest
	Exporting      string
	LastExport     string // what the last export offered, for the status line

	seq            int
	playSeq        int
	nextRunID      int
	resumeOnShow   bool
	evalQueue      []queuedJob
	evalLoad       []int // per evaluator: its jobs in flight
	trainerHeld    bool  // the trainer's last step said it waits for an evaluation (StepEvent.Held)
	exampleNames   []string
	pendingModel   string // start a run once this model is loaded
	startWanted    bool
	pendingExports []string // "json" or "csv", waiting for the live report
}

// Live is the run in the trainer.
type Live struct {
	Run
	RunID     int
	Started   *lab.Started
	Preparing bool // the trainer is setting it up (Cross-SFT can take a while)
	Pending   int  // evaluations handed out and not yet filed
	Step      int
	Probes    []distill.ProbeTrace // the latest step's token-level records
	ProbeStep int
	// rawProbes are the latest step's records as the trainer sent them
	// (JSON), not yet decoded: Flush decodes them before a render, so that
	// the steps no render shows cost nothing to decode.
	rawProbes     string
	rawProbesStep int
	rawProbesDone bool
	Log           []LogEntry
	StepMs        float64     // wall time of the latest step
	Paused        string      // why the trainer last paused on its own
	Memory        *lab.Memory // the trainer's, as last measured
}

// LogEntry is what the probe prompts got at one step.
type LogEntry struct {
	Step    int
	Prompt  string
	Family  string
	Answer  string
	Refused bool
	Tokens  int
}

// LogEvery is how often (in steps) the rollout log keeps the probes' answers.
const LogEvery = 5

// New returns a lab with the default settings, or those of the URL fragment
// hash (a bad fragment leaves the defaults and says why).
func New(port Port, hash string) *Lab {
	l := &Lab{Port: port, Settings: DefaultSettings(), HoverStep: -1}
	l.Tokens.Token = -1
	l.Tokens.Color = ColorDivergence
	if strings.TrimPrefix(hash, "#") != "" {
		s, err := ParseHash(hash, l.Settings)
		if err != nil {
			l.Notice = &Notice{Text: err.Error() + ". The lab starts from its defaults.", Error: true}
		} else {
			l.Settings = s
		}
	}
	l.Cons.Draft = l.Settings.Constitution
	l.Guide.Open = l.Settings.Guide
	l.Board.ClassDraft = l.Settings.Class
	l.Repro.OnIdle = l.suiteIdle
	l.initReproduce()
	return l
}

func (l *Lab) nextSeq() int {
	l.seq++
	return l.seq
}

// OnBooted says the workers run: a pool of workers that train (the
// trainer and its helpers) and evaluators evaluators.
func (l *Lab) OnBooted(evaluators, workers int) {
	l.Engine.Booted = true
	l.Engine.Workers = max(workers, 1)
	l.Engine.Evaluators = max(evaluators, 1)
	l.evalLoad = make([]int, l.Engine.Evaluators)
	l.Engine.Models = map[string]lab.ModelInfo{}
	l.Reset()
	if l.Settings.Class != "" && l.Board.Class == "" {
		l.loadBoard(l.Settings.Class) // a class link opens on its board
	}
}

// OnSIMD says whether the trainer's engine runs the SIMD128 kernels.
func (l *Lab) OnSIMD(active bool, why string) {
	l.Engine.SIMD, l.Engine.NoSIMD = active, why
}

// OnFatal says the engine cannot run.
func (l *Lab) OnFatal(err string) {
	l.Engine.Fatal = err
	l.Playing = false
	l.Notice = &Notice{Text: "The engine stopped: " + err + ". Reload the page to start again.", Error: true}
}

// OnModelLoaded says a base model is in every worker (or why not).
func (l *Lab) OnModelLoaded(name string, info lab.ModelInfo, err error) {
	if l.Engine.Loading == name {
		l.Engine.Loading = ""
	}
	if err != nil {
		l.Notice = &Notice{Text: fmt.Sprintf("The model %s did not load: %v", name, err), Error: true}
		return
	}
	l.Engine.Models[name] = info
	if l.Engine.Info == nil {
		l.Port.Trainer(lab.Request{Op: lab.OpInfo, Seq: l.nextSeq()})
	}
	if l.pendingModel == name && l.startWanted {
		l.Reset()
	}
}

// OnManifest lists the bundle's files; the precomputed runs among them are
// fetched, the three the page opens with first. Of a run made over several
// seeds, the page shows seed 1 (the others are in the report's figures).
func (l *Lab) OnManifest(names []string) {
	var runs, seed1 []string
	for _, n := range names {
		if strings.HasPrefix(n, ExampleDir) && strings.HasSuffix(n, ".json") {
			runs = append(runs, n)
			if strings.HasSuffix(n, "-s1.json") {
				seed1 = append(seed1, n)
			}
		}
	}
	if len(seed1) > 0 {
		runs = seed1
	}
	sort.Slice(runs, func(i, j int) bool {
		a, b := exampleRank(runs[i]), exampleRank(runs[j])
		if a != b {
			return a < b
		}
		return runs[i] < runs[j]
	})
	l.exampleNames = runs
	for _, n := range runs {
		l.Port.FetchExample(n)
	}
}

// OnTrainer handles a message from the trainer: a reply or a play event.
// jobs are the snapshots of resp.Jobs, in order.
func (l *Lab) OnTrainer(resp lab.Response, jobs []Blobs) {
	switch {
	case resp.Info != nil:
		l.Engine.Info = resp.Info
		return
	case resp.Check != nil:
		l.onCheck(resp)
		return
	case resp.Report != nil:
		l.onReport(resp.Report)
		return
	case resp.Trace != nil:
		l.onTrace(resp.Trace)
		return
	}
	if resp.Seq != 0 && resp.Seq == l.playSeq {
		l.TrainerPlaying = resp.Error == "" && l.Playing
	}
	live := l.Live
	if resp.Error != "" && resp.Started == nil && resp.Step == nil {
		if live != nil && live.Preparing {
			live.Preparing = false
		}
		l.Playing = false
		l.Notice = &Notice{Text: resp.Error, Error: true}
		return
	}
	if s := resp.Started; s != nil {
		if live == nil || s.RunID != live.RunID {
			return
		}
		live.Started, live.Preparing = s, false
		// Started comes before any step or evaluation of its run.
		live.Report = distill.NewReport(s.Model, s.Config, s.Constitution, s.CrossSFT)
		l.Guide.onStarted(l)
	}
	if ev := resp.Step; ev != nil && live != nil && ev.RunID == live.RunID {
		l.onStep(ev)
	}
	if p := resp.Paused; p != nil && live != nil && p.RunID == live.RunID {
		l.Playing, l.TrainerPlaying = false, false
		defer l.dispatch() // the teacher's measurements wait for a pause
		if p.Auto {
			live.Paused = p.Reason
			if strings.Contains(p.Reason, "non-finite") {
				l.Notice = &Notice{Text: p.Reason, Error: true}
			}
		}
	}
	if r := resp.Recorded; r != nil {
		l.onRecorded(r)
	}
	for i, j := range resp.Jobs {
		if live == nil || j.RunID != live.RunID {
			continue
		}
		var b Blobs
		if i < len(jobs) {
			b = jobs[i]
		}
		l.queueJob(j, b)
	}
}

func (l *Lab) onStep(ev *lab.StepEvent) {
	live := l.Live
	if ev.Step != len(live.Report.Train)+1 {
		return // a repeat or a gap: not this run's next step
	}
	live.Report.AddStep(ev.Train, ev.Warning)
	live.Step, live.StepMs = ev.Step, ev.Millis
	if held := ev.Held; held != l.trainerHeld {
		l.trainerHeld = held
		defer l.dispatch()
	}
	if ev.Memory != nil {
		live.Memory = ev.Memory
	}
	if ev.Workers > 0 && ev.Workers != l.Engine.Workers {
		l.Engine.Workers = ev.Workers
		if n := len(ev.Lost); n > 0 {
			l.Notice = &Notice{Text: "An engine worker stopped: " + ev.Lost[n-1] + ". The run's numbers do not change.", Error: true}
		}
	}
	if len(ev.Probes) > 0 {
		live.rawProbes = ""
		l.setProbes(ev.Step, ev.Done, ev.Probes)
	}
	if ev.Done {
		l.Playing, l.TrainerPlaying = false, false
		defer l.dispatch()
	}
	l.Guide.onProgress(l)
}

// setProbes shows a step's probe records, and logs them every LogEvery
// steps.
func (l *Lab) setProbes(step int, done bool, probes []distill.ProbeTrace) {
	live := l.Live
	if len(probes) == 0 {
		return
	}
	live.Probes, live.ProbeStep = probes, step
	if l.Tokens.Probe >= len(probes) {
		l.Tokens.Probe = 0
	}
	if l.Tokens.Token >= 0 && l.Tokens.Token >= len(probes[l.Tokens.Probe].Tokens) {
		l.Tokens.Token = -1
	}
	if step == 1 || step%LogEvery == 0 || done {
		for _, p := range probes {
			live.Log = append(live.Log, LogEntry{Step: step, Prompt: p.Prompt, Family: p.Family,
				Answer: p.Response, Refused: p.Refused, Tokens: len(p.Tokens) - 1})
		}
	}
}

// OnProbes takes the probe records of the step the trainer just reported,
// still encoded (the page's binding sends them apart from the step's
// event): they are decoded when a render needs them (Flush) or when the
// rollout log does, not for every step.
func (l *Lab) OnProbes(runID, step int, done bool, raw string) {
	live := l.Live
	if live == nil || live.RunID != runID || step != live.Step || raw == "" {
		return // not the step just filed
	}
	live.rawProbes, live.rawProbesStep, live.rawProbesDone = raw, step, done
	if step == 1 || step%LogEvery == 0 || done {
		l.Flush()
	}
}

// Flush decodes the latest step's probe records if they wait: the page
// calls it before every render.
func (l *Lab) Flush() {
	live := l.Live
	if live == nil || live.rawProbes == "" {
		return
	}
	var probes []distill.ProbeTrace
	err := json.Unmarshal([]byte(live.rawProbes), &probes)
	live.rawProbes = ""
	if err != nil {
		l.Notice = &Notice{Text: "The step's token records could not be read: " + err.Error(), Error: true}
		return
	}
	l.setProbes(live.rawProbesStep, live.rawProbesDone, probes)
}

// onRecorded shows what the trainer filed of the live run's evaluations.
func (l *Lab) onRecorded(r *lab.Recorded) {
	live := l.Live
	if live == nil || r.RunID != live.RunID {
		return // an old run's
	}
	// The points come in step order with the trainer's collapse verdict.
	for _, m := range r.Points {
		live.Report.AddPoint(m)
	}
	live.Report.CollapseStep, live.Report.Collapse = r.CollapseStep, r.Collapse
	if r.Teacher != nil {
		live.Report.Teacher = r.Teacher
	}
	if r.Leakage != nil {
		live.Report.Leakage = r.Leakage
	}
	live.Pending = r.Pending
	if r.Pending == 0 && len(l.pendingExports) > 0 {
		l.Port.Trainer(lab.Request{Op: lab.OpReport, Seq: l.nextSeq()})
	}
	l.Guide.onProgress(l)
}

// TransportState is "playing", "starting" (asked, not yet confirmed),
// "pausing" (asked to pause; the trainer finishes its step) or "paused".
func (l *Lab) TransportState() string {
	switch {
	case l.Playing && l.TrainerPlaying:
		return "playing"
	case l.Playing:
		return "starting"
	case l.TrainerPlaying:
		return "pausing"
	}
	return "paused"
}

// OnWorkerLost says engine worker w (1-based among the trainer's helpers)
// failed: the trainer goes on with fewer workers, and the page says so.
func (l *Lab) OnWorkerLost(w int, why string) {
	l.Engine.Workers = max(l.Engine.Workers-1, 1)
	l.Notice = &Notice{Text: fmt.Sprintf("Engine worker %d stopped (%s). Training goes on with %d; the run's numbers do not change.", w, why, l.Engine.Workers), Error: true}
}
