package lab

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/pretrain"
)

// pipeline is a trainer and an evaluator wired as the page wires them.
type pipeline struct {
	t        *testing.T
	trainer  *Driver
	eval     *Engine
	jobs     []Job
	recorded []Recorded
}

func newPipeline(t *testing.T, ckpt []byte) *pipeline {
	p := &pipeline{t: t, trainer: NewDriver(), eval: New()}
	for _, e := range []*Engine{p.trainer.E, p.eval} {
		if _, err := e.Load("m", ckpt); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// do sends a request to the trainer through JSON, as the worker does, and
// queues the jobs it hands out.
func (p *pipeline) do(req Request) Response {
	p.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		p.t.Fatal(err)
	}
	r := p.trainer.Handle(mustDecode(p.t, b))
	if r.Error != "" {
		p.t.Fatalf("%s: %s", req.Op, r.Error)
	}
	p.jobs = append(p.jobs, r.Jobs...)
	return roundTrip(p.t, r)
}

// evaluateStep runs the queued evaluation of step s.
func (p *pipeline) evaluateStep(s int) {
	p.t.Helper()
	for i, j := range p.jobs {
		if j.Kind == JobEval && j.Step == s {
			p.evaluate(i)
			return
		}
	}
	p.t.Fatalf("no evaluation of step %d queued", s)
}

// evaluate runs queued job i on the evaluator and files the result.
func (p *pipeline) evaluate(i int) {
	p.t.Helper()
	j := p.jobs[i]
	p.jobs = append(p.jobs[:i], p.jobs[i+1:]...)
	b, _ := json.Marshal(Request{Op: OpEvaluate, Job: &j})
	var r Response
	if err := json.Unmarshal(p.eval.Call(b, j.Blobs...), &r); err != nil {
		p.t.Fatal(err)
	}
	if r.Error != "" {
		p.t.Fatalf("evaluate %s step %d: %s", j.Kind, j.Step, r.Error)
	}
	rec := p.do(Request{Op: OpRecord, Measured: r.Measured})
	p.recorded = append(p.recorded, *rec.Recorded)
}

func mustDecode(t *testing.T, b []byte) Request {
	t.Helper()
	req, err := DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// roundTrip passes a response through JSON, keeping the jobs' blobs.
func roundTrip(t *testing.T, r Response) Response {
	t.Helper()
	jobs := r.Jobs
	var out Response
	if err := json.Unmarshal(EncodeResponse(r), &out); err != nil {
		t.Fatal(err)
	}
	for i := range out.Jobs {
		out.Jobs[i].Blobs = jobs[i].Blobs
	}
	return out
}

// The browser's split of a run — trainer, evaluators, records in any order —
// gives distill.Session's report, byte for byte, for every kind of teacher.
func TestLabMatchesSession(t *testing.T) {
	if testing.Short() {
		t.Skip("runs full evaluations")
	}
	ckpt := tinyCheckpoint(t)
	base, err := pretrain.DecodeBytes(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		recipe string
		edit   func(*distill.Config)
	}{
		{"frozen rkl", "opsd-rkl", nil},
		{"ema sampled", "opsd-sampled", func(c *distill.Config) { c.Teacher = distill.EMA }},
		{"live jsd", "opsd-jsd", func(c *distill.Config) { c.Teacher = distill.Live; c.Temperature = 1.3 }},
		{"gold", "opsd-gold", nil},
		{"cross-sft", "copsd", func(c *distill.Config) { c.CrossSFTEpochs = 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := distill.Recipe(tc.recipe)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Seed, cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.EvalSamples = 3, 3, 2, 2, 3, 1
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			s, err := distill.NewSession(base, "m", cfg, distill.SessionOptions{TeacherEval: true, Leakage: true})
			if err != nil {
				t.Fatal(err)
			}
			for !s.Run.Done() {
				if _, _, err := s.Step(); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := json.MarshalIndent(s.Report, "", " ")

			p := newPipeline(t, ckpt)
			p.do(Request{Op: OpStart, Run: &RunSpec{ID: 7, Model: "m", Config: cfg}})
			for step := 1; step <= cfg.Steps; step++ {
				p.do(Request{Op: OpStep})
				if step == 3 {
					// The step-2 evaluation first: it must wait for the initial one.
					p.evaluateStep(2)
					if len(p.recorded[0].Points) != 0 {
						t.Fatalf("step 2 filed before step 0: %+v", p.recorded[0])
					}
				}
			}
			for len(p.jobs) > 0 {
				p.evaluate(0)
			}
			rep := p.do(Request{Op: OpReport}).Report
			if rep.Pending != 0 {
				t.Fatalf("%d evaluations pending", rep.Pending)
			}
			got, _ := json.MarshalIndent(rep.Report, "", " ")
			if string(got) != string(want) {
				t.Errorf("lab report differs from the session's:\n got %s\nwant %s", firstDiff(got, want), firstDiff(want, got))
			}
		})
	}
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo, hi := max(0, i-200), min(len(a), i+200)
	return string(a[lo:hi])
}

// tickStep ticks until a step completes (or the driver pauses or fails).
func tickStep(d *Driver) (Response, time.Duration) {
	for {
		r, wait := d.Tick()
		if r.Step != nil || r.Paused != nil || r.Error != "" || !d.Playing() {
			return r, wait
		}
	}
}

// playUntilPaused ticks d at its fastest speed until it stops playing; it
// returns the ticks and the responses that carry a step, a pause or an error.
func playUntilPaused(t *testing.T, d *Driver) (events []Response, ticks int) {
	t.Helper()
	for d.Playing() {
		r, wait := d.Tick()
		ticks++
		if wait != 0 {
			t.Errorf("fastest speed waited %v", wait)
		}
		if r.Step != nil || r.Paused != nil || r.Error != "" {
			events = append(events, r)
		}
	}
	return events, ticks
}

func TestDriverPlaysPausesAndStops(t *testing.T) {
	p := newPipeline(t, tinyCheckpoint(t))
	d := p.trainer
	if r := d.Handle(Request{Op: OpPlay}); !strings.Contains(r.Error, "no run") {
		t.Fatalf("play without a run: %+v", r)
	}
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 6, 3, 1, 2, 1
	p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
	p.do(Request{Op: OpPlay, Transport: &Transport{StopAt: 2}})
	events, ticks := playUntilPaused(t, d)
	if ticks < 2*3 { // sample, grad and probe phases of one shard each
		t.Errorf("2 steps took %d ticks: a tick should be one phase of a step", ticks)
	}
	if len(events) != 2 || events[1].Paused == nil || !strings.Contains(events[1].Paused.Reason, "stop step 2") {
		t.Fatalf("stop step: %d events, last %+v", len(events), events[len(events)-1].Paused)
	}
	if len(events[0].Step.Probes) != 1 || len(events[0].Step.Probes[0].Tokens) == 0 {
		t.Errorf("step 1 has no token-level probe: %+v", events[0].Step)
	}
	if r, _ := d.Tick(); r.Step != nil {
		t.Error("ticked while paused")
	}
	p.do(Request{Op: OpPlay, Transport: &Transport{Speed: 1000}})
	r, wait := tickStep(d)
	if r.Step.Step != 3 || len(r.Jobs) != 1 || r.Jobs[0].Step != 3 {
		t.Fatalf("step 3 should hand out an evaluation: %+v jobs %d", r.Step, len(r.Jobs))
	}
	if wait > 1e6 {
		t.Errorf("1000 steps/s waited %v", wait)
	}
	if r := d.Handle(Request{Op: OpPause, Seq: 9}); r.Paused == nil || r.Paused.Step != 3 || r.Seq != 9 || d.Playing() {
		t.Fatalf("pause: %+v", r)
	}
	// A pause between two phases of step 4 answers at once with step 3; the
	// step is finished by the next tick or Step.
	p.do(Request{Op: OpPlay})
	if r, _ := d.Tick(); r.Step != nil {
		t.Fatalf("one tick completed a step: %+v", r.Step)
	}
	if r := d.Handle(Request{Op: OpPause}); r.Paused == nil || r.Paused.Step != 3 || d.Playing() {
		t.Fatalf("pause mid-step: %+v", r)
	}
	// A knob turned now applies from step 5: step 4 keeps what it started with.
	if r := d.Handle(Request{Op: OpSet, Knobs: &Knobs{LR: 2e-3}}); r.Error != "" {
		t.Fatal(r.Error)
	}
	if w := d.Handle(Request{Op: OpReport}).Report.Report.Warnings; len(w) == 0 || !strings.HasPrefix(w[len(w)-1], "after step 4:") {
		t.Errorf("knob change mid-step noted as %q", w)
	}
	if r := d.Handle(Request{Op: OpStep}); r.Step == nil || r.Step.Step != 4 {
		t.Fatalf("step after a mid-step pause: %+v", r)
	}
	p.do(Request{Op: OpPlay})
	for d.Playing() {
		r, _ = d.Tick()
	}
	if r.Paused == nil || !strings.Contains(r.Paused.Reason, "finished") || !r.Step.Done {
		t.Fatalf("end of run: %+v", r)
	}
	if r := d.Handle(Request{Op: OpPlay}); !strings.Contains(r.Error, "finished") {
		t.Errorf("play after the end: %+v", r)
	}
	if r := d.Handle(Request{Op: OpStep}); !strings.Contains(r.Error, "finished") {
		t.Errorf("step after the end: %+v", r)
	}
	if r := d.Handle(Request{Op: OpSpeed, Transport: &Transport{Speed: -1}}); r.Error == "" {
		t.Error("negative speed accepted")
	}
}

func TestKnobsChangeWithoutRestart(t *testing.T) {
	p := newPipeline(t, tinyCheckpoint(t))
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.Prompts, cfg.G, cfg.Probes = 4, 1, 2, 1
	p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
	p.do(Request{Op: OpStep})
	r := p.do(Request{Op: OpSet, Knobs: &Knobs{LR: 2e-3, Temperature: 0.7}})
	if r.Knobs.LR != 2e-3 || r.Knobs.Temperature != 0.7 {
		t.Fatalf("knobs: %+v", r.Knobs)
	}
	if r := p.trainer.Handle(Request{Op: OpSet, Knobs: &Knobs{LR: 3}}); !strings.Contains(r.Error, "lr") {
		t.Errorf("lr 3 accepted: %+v", r)
	}
	s := p.do(Request{Op: OpStep})
	if s.Step.Step != 2 {
		t.Fatalf("the run restarted: step %d", s.Step.Step)
	}
	rep := p.do(Request{Op: OpReport}).Report
	if rep.Report.Config.LR != 1e-3 || len(rep.Report.Warnings) != 1 || !strings.Contains(rep.Report.Warnings[0], "after step 1") {
		t.Errorf("report: config lr %v, warnings %q", rep.Report.Config.LR, rep.Report.Warnings)
	}
	if len(p.jobs) != 3 || p.jobs[0].Config.Temperature != 1 {
		t.Fatalf("jobs: %d", len(p.jobs))
	}
}

func TestRecordRefusesWhatWasNotAskedFor(t *testing.T) {
	p := newPipeline(t, tinyCheckpoint(t))
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.Prompts, cfg.G = 4, 1, 2
	p.do(Request{Op: OpStart, Run: &RunSpec{ID: 5, Model: "m", Config: cfg}})
	for _, tc := range []struct {
		m    Measured
		want string
	}{
		{Measured{RunID: 4, Kind: JobEval}, "not the current run"},
		{Measured{RunID: 5, Kind: JobEval}, "without metrics"},
		{Measured{RunID: 5, Kind: JobEval, Step: 10, Metrics: new(diag.Metrics)}, "no evaluation of step 10"},
		{Measured{RunID: 5, Kind: "x"}, "unknown kind"},
	} {
		if r := p.trainer.Handle(Request{Op: OpRecord, Measured: &tc.m}); !strings.Contains(r.Error, tc.want) {
			t.Errorf("%+v: error %q, want %q", tc.m, r.Error, tc.want)
		}
	}
	if r := p.trainer.Handle(Request{Op: OpStart, Run: &RunSpec{ID: 6, Model: "m", Config: distill.Config{Constitution: "refuse bananas ."}}}); !strings.Contains(r.Error, `"bananas"`) {
		t.Errorf("bad constitution: %+v", r)
	}
	if _, err := p.trainer.E.current(5); err != nil {
		t.Errorf("a failed start should keep the old run: %v", err)
	}
}

func TestCheckLocatesErrors(t *testing.T) {
	e := New()
	if r := e.Handle(Request{Op: OpCheck, Constitution: "be helpful ."}); !strings.Contains(r.Error, "no model") {
		t.Fatalf("check without a model: %+v", r)
	}
	if _, err := e.Load("m", tinyCheckpoint(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text, want string
		ok         bool
		rules      int
	}{
		{"safety", "refuse weapons . refuse hacking . refuse theft . refuse poison . be helpful .", true, 5},
		{"be   helpful", "be helpful .", true, 1},
		{"", "", true, 0},
		{"refuse bananas .", `unknown word: "bananas"`, false, 0},
		{"be helpful . be weapons .", `rule 2 "be weapons"`, false, 0},
	} {
		c := e.Handle(Request{Op: OpCheck, Constitution: tc.text}).Check
		if c == nil || c.OK != tc.ok || (tc.ok && (c.Text != tc.want || c.Rules != tc.rules)) || (!tc.ok && !strings.Contains(c.Error, tc.want)) {
			t.Errorf("check %q: %+v", tc.text, c)
		}
	}
	c := e.Handle(Request{Op: OpCheck, Constitution: "refuse wepons . be helpfull ."}).Check
	if len(c.Unknown) != 2 || c.Unknown[0].Word != "wepons" || len(c.Unknown[0].Suggestions) == 0 || c.Unknown[0].Suggestions[0] != "weapons" {
		t.Errorf("unknown words: %+v", c.Unknown)
	}
	if c := e.Handle(Request{Op: OpCheck, Constitution: "be helpful . be weapons ."}).Check; c.BadRule == nil || c.BadRule.Rule != 2 {
		t.Errorf("bad rule: %+v", c)
	}
}

// With KeepUp, the driver does not train more than one evaluation interval
// past an evaluation still out: it waits, and goes on once it is in.
func TestDriverKeepsUpWithEvaluations(t *testing.T) {
	p := newPipeline(t, tinyCheckpoint(t))
	d := p.trainer
	d.KeepUp = true
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 9, 3, 1, 2, 0
	p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
	p.do(Request{Op: OpPlay})
	step := 0
	for range 200 {
		r, wait := d.Tick()
		p.jobs = append(p.jobs, r.Jobs...)
		if r.Step != nil {
			step = r.Step.Step
		}
		if wait == evalWait {
			break
		}
	}
	if step != 3 {
		t.Fatalf("with the step-0 evaluation out, training stopped at step %d, want 3 (one interval)", step)
	}
	p.evaluateStep(0)
	for range 200 {
		r, wait := d.Tick()
		p.jobs = append(p.jobs, r.Jobs...)
		if r.Step != nil {
			step = r.Step.Step
		}
		if wait == evalWait {
			break
		}
	}
	if step != 6 {
		t.Fatalf("with evaluation 0 filed and 3 out, training stopped at step %d, want 6", step)
	}
}

// An evaluation split into chunks across several evaluators, their parts
// filed in any order, gives the report one evaluator gives.
func TestSplitEvaluationMatches(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 2, 2, 1, 2, 0
	report := func(split int) string {
		p := newPipeline(t, ckpt)
		p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
		p.do(Request{Op: OpStep, N: 2})
		for len(p.jobs) > 0 {
			j := p.jobs[0]
			if j.Kind != JobEval || split == 1 {
				p.evaluate(0)
				continue
			}
			p.jobs = p.jobs[1:]
			if j.NChunks < 2 {
				t.Fatalf("an evaluation of %d chunks", j.NChunks)
			}
			for e := split - 1; e >= 0; e-- { // the last evaluator answers first
				sub := j
				sub.Chunks = nil
				for c := e; c < j.NChunks; c += split {
					sub.Chunks = append(sub.Chunks, c)
				}
				b, _ := json.Marshal(Request{Op: OpEvaluate, Job: &sub})
				var r Response
				if err := json.Unmarshal(p.eval.Call(b, j.Blobs...), &r); err != nil || r.Error != "" {
					t.Fatalf("evaluate chunks %v: %v %s", sub.Chunks, err, r.Error)
				}
				p.do(Request{Op: OpRecord, Measured: r.Measured})
			}
		}
		r := p.do(Request{Op: OpReport})
		if r.Report.Pending != 0 {
			t.Fatalf("%d evaluations pending", r.Report.Pending)
		}
		b, _ := json.Marshal(r.Report.Report)
		return string(b)
	}
	if one, three := report(1), report(3); one != three {
		t.Fatalf("a split evaluation differs:\n%s", firstDiff([]byte(three), []byte(one)))
	}
}

// The trainer files an evaluation it ran of its own run at once and answers
// what that changed; one it no longer awaits goes back as it was.
func TestTrainerFilesItsOwnEvaluation(t *testing.T) {
	p := newPipeline(t, tinyCheckpoint(t))
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 2, 2, 2, 2, 0
	p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
	var job *Job
	for i := range p.jobs {
		if p.jobs[i].Kind == JobEval && p.jobs[i].Step == 0 {
			job = &p.jobs[i]
		}
	}
	if job == nil {
		t.Fatal("no evaluation of step 0 handed out")
	}
	b, _ := json.Marshal(Request{Op: OpEvaluate, Job: job})
	call := func() Response {
		var r Response
		if err := json.Unmarshal(p.trainer.E.Call(b, job.Blobs...), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := call(); r.Error != "" || r.Measured != nil || r.Recorded == nil || len(r.Recorded.Points) != 1 || r.Recorded.Points[0].Step != 0 {
		t.Fatalf("the trainer's own evaluation: %+v", r)
	}
	if r := call(); r.Error != "" || r.Recorded != nil || r.Measured == nil || r.Measured.Metrics == nil {
		t.Errorf("an evaluation no longer awaited: %+v", r)
	}
}
