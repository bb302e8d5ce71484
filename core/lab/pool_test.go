package lab

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/distill"
)

// fakePool carries pool messages between a trainer and helper engines, as
// MessagePorts do: in order, one at a time, when pumped.
type fakePool struct {
	t       *testing.T
	helpers []*Engine
	toH     [][]PoolMsg // per helper
	pool    *Pool
	dead    map[int]bool
}

func newFakePool(t *testing.T, ckpt []byte, n int) *fakePool {
	f := &fakePool{t: t, toH: make([][]PoolMsg, n), dead: map[int]bool{}}
	for range n {
		e := New()
		if _, err := e.Load("m", ckpt); err != nil {
			t.Fatal(err)
		}
		f.helpers = append(f.helpers, e)
	}
	f.pool = NewPool(n, func(h int, m PoolMsg) {
		m.Bufs = append([][]byte(nil), m.Bufs...) // the binding transfers copies
		f.toH[h] = append(f.toH[h], m)
	})
	return f
}

// pump delivers every message waiting for a helper and its answers.
func (f *fakePool) pump() {
	for h := range f.helpers {
		for len(f.toH[h]) > 0 {
			m := f.toH[h][0]
			f.toH[h] = f.toH[h][1:]
			if f.dead[h] {
				continue
			}
			if out := f.helpers[h].PoolMessage(m); out != nil {
				f.pool.Deliver(h, *out)
			}
		}
	}
}

// playWithPool plays d to the end, pumping the pool between ticks, and
// returns the step events.
func playWithPool(t *testing.T, d *Driver, f *fakePool, kill func(step int)) []StepEvent {
	var evs []StepEvent
	for i := 0; d.Playing(); i++ {
		if i > 100000 {
			t.Fatal("the pool hangs")
		}
		r, _ := d.Tick()
		if r.Error != "" {
			t.Fatal(r.Error)
		}
		if r.Step != nil {
			evs = append(evs, *r.Step)
			if kill != nil {
				kill(r.Step.Step)
			}
		}
		if f != nil {
			f.pump()
		}
		if d.WaitingOnPool() {
			time.Sleep(time.Millisecond) // as the binding sleeps until a helper answers
		}
	}
	return evs
}

func stripPool(evs []StepEvent) string {
	for i := range evs {
		evs[i].Millis, evs[i].Workers, evs[i].Verified, evs[i].Lost = 0, 0, 0, nil
	}
	b, _ := json.Marshal(evs)
	return string(b)
}

// A trainer with a pool of helpers gives the same steps as one alone, its
// probes' full distributions included (the helpers trace the probes); the
// helpers' weights are checked against the trainer's at every gradient;
// and a helper that dies mid-run is dropped without changing a bit.
func TestPoolMatchesOneWorker(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	for _, recipe := range []string{"opsd-rkl", "copsd", "grpo"} {
		cfg, _ := distill.Recipe(recipe)
		cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 4, 2, 3, 2, 2
		if cfg.CrossSFTEpochs > 0 {
			cfg.CrossSFTEpochs = 1
		}
		play := func(helpers int, kill bool) ([]StepEvent, *Driver) {
			p := newPipeline(t, ckpt)
			var f *fakePool
			if helpers > 0 {
				f = newFakePool(t, ckpt, helpers)
				p.trainer.E.Pool = f.pool
			}
			p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
			p.do(Request{Op: OpPlay})
			var k func(int)
			if kill {
				k = func(step int) {
					if step == 2 {
						f.dead[0] = true
						f.pool.Drop(0, "the test stopped it")
					}
				}
			}
			return playWithPool(t, p.trainer, f, k), p.trainer
		}
		alone, d1 := play(0, false)
		pooled, d2 := play(2, false)
		if pooled[len(pooled)-1].Workers != 3 || pooled[len(pooled)-1].Verified == 0 {
			t.Errorf("%s: %d workers, %d gradients verified", recipe, pooled[len(pooled)-1].Workers, pooled[len(pooled)-1].Verified)
		}
		dropped, _ := play(2, true)
		last := dropped[len(dropped)-1]
		if last.Workers != 2 || len(last.Lost) != 1 {
			t.Errorf("%s: after a helper died: %d workers, lost %q", recipe, last.Workers, last.Lost)
		}
		want := stripPool(alone)
		if got := stripPool(pooled); got != want {
			t.Errorf("%s: the pool's steps differ from one worker's", recipe)
		}
		if got := stripPool(dropped); got != want {
			t.Errorf("%s: with a helper dropped mid-run the steps differ", recipe)
		}
		if d1.E.run.run.WeightsHash() != d2.E.run.run.WeightsHash() {
			t.Errorf("%s: the trainers' weights differ", recipe)
		}
		t1, err1 := d1.E.latestTrace()
		t2, err2 := d2.E.latestTrace()
		b1, _ := json.Marshal(t1.Trace)
		b2, _ := json.Marshal(t2.Trace)
		if err1 != nil || err2 != nil || string(b1) != string(b2) || !strings.Contains(string(b1), `"logp_teacher":[`) {
			t.Errorf("%s: the latest probe traces differ, or lack their full distributions (%v, %v)", recipe, err1, err2)
		}
	}
}

// A helper that stops answering (a worker the browser stopped) is dropped
// after the pool's timeout, its works go to the trainer, and the run goes on
// with the same bits.
func TestPoolDropsASilentHelper(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = 3, 3, 3, 2, 0
	play := func(silent bool) []StepEvent {
		p := newPipeline(t, ckpt)
		f := newFakePool(t, ckpt, 2)
		f.pool.Timeout = 50 * time.Millisecond
		f.dead[1] = silent
		p.trainer.E.Pool = f.pool
		p.do(Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}})
		p.do(Request{Op: OpPlay})
		return playWithPool(t, p.trainer, f, nil)
	}
	want := play(false)
	got := play(true)
	last := got[len(got)-1]
	if last.Workers != 2 || len(last.Lost) != 1 || !strings.Contains(last.Lost[0], "no answer") {
		t.Errorf("a silent helper: %d workers, lost %q", last.Workers, last.Lost)
	}
	if stripPool(got) != stripPool(want) {
		t.Error("with a silent helper dropped the steps differ")
	}
}

// A helper evaluates between the trainer's shard works: its evaluation
// gives way (Engine.Yield) and the works that came meanwhile are computed
// inside it, on the same engine. Neither changes a bit: the evaluation's
// parts equal an evaluator's that never gave way, and the steps equal one
// worker's.
func TestHelperEvaluatesBetweenShardWorks(t *testing.T) {
	want, p, f := withHelper(t, 3, 3, 1)
	job := p.jobs[0]
	job.Chunks = []int{0}
	p.do(Request{Op: OpPlay})
	for !p.trainer.WaitingOnPool() { // the first stage's works are out
		if r, _ := p.trainer.Tick(); r.Error != "" {
			t.Fatal(r.Error)
		}
	}
	helper := f.helpers[0]
	yields, answered := 0, 0
	helper.Yield = func() {
		yields++
		if len(f.toH[0]) > 0 {
			answered += len(f.toH[0])
			f.pump()
		}
	}
	b, _ := json.Marshal(Request{Op: OpEvaluate, Job: &job})
	got := helper.Call(b, job.Blobs...)
	helper.Yield = nil
	if yields == 0 || answered == 0 {
		t.Fatalf("the evaluation gave way %d times and answered %d works meanwhile", yields, answered)
	}
	if g, w := measuredOf(t, got), measuredOf(t, p.eval.Call(b, job.Blobs...)); g != w {
		t.Error("an evaluation that gave way to shard works differs from one that did not")
	}
	if pooled := stripPool(playWithPool(t, p.trainer, f, nil)); pooled != want {
		t.Error("the steps of a run whose helper evaluated between its works differ from one worker's")
	}
}

// withHelper is a pipeline whose trainer has one helper, its run of a small
// opsd-rkl config (3 prompts of 2 rollouts; steps, eval_every and probes
// given) started and paused, and want the steps of the same run played by a
// trainer alone, as stripPool gives them.
func withHelper(t *testing.T, steps, evalEvery, probes int) (want string, p *pipeline, f *fakePool) {
	ckpt := tinyCheckpoint(t)
	cfg, _ := distill.Recipe("opsd-rkl")
	cfg.Steps, cfg.EvalEvery, cfg.Prompts, cfg.G, cfg.Probes = steps, evalEvery, 3, 2, probes
	start := Request{Op: OpStart, Run: &RunSpec{ID: 1, Model: "m", Config: cfg}}
	alone := newPipeline(t, ckpt)
	alone.do(start)
	alone.do(Request{Op: OpPlay})
	want = stripPool(playWithPool(t, alone.trainer, nil, nil))
	p = newPipeline(t, ckpt)
	f = newFakePool(t, ckpt, 1)
	p.trainer.E.Pool = f.pool
	p.do(start)
	return want, p, f
}

// measuredOf is a response's Measured as JSON, without its time.
func measuredOf(t *testing.T, b []byte) string {
	t.Helper()
	var r Response
	if err := json.Unmarshal(b, &r); err != nil || r.Measured == nil {
		t.Fatalf("an evaluation answered %.200s (%v)", b, err)
	}
	r.Measured.Millis = 0
	out, _ := json.Marshal(r.Measured)
	return string(out)
}

// With helpers that evaluate (Driver.HelpersEvaluate), a step's works stay
// on the trainer while an evaluation of a step is out, and go to the
// helpers again once it is filed; a step after which the trainer waits for
// an evaluation says so (StepEvent.Held). The steps equal one worker's.
func TestTrainerKeepsItsWorksWhileHelpersEvaluate(t *testing.T) {
	want, p, f := withHelper(t, 4, 2, 0)
	p.trainer.KeepUp, p.trainer.HelpersEvaluate = true, true
	p.do(Request{Op: OpPlay})
	works := 0
	step := func() StepEvent {
		t.Helper()
		for i := 0; i < 10000; i++ {
			for _, m := range f.toH[0] {
				if m.Type == PoolWork {
					works++
				}
			}
			f.pump()
			r, wait := p.trainer.Tick()
			if r.Error != "" {
				t.Fatal(r.Error)
			}
			if r.Step != nil {
				p.jobs = append(p.jobs, r.Jobs...)
				return *r.Step
			}
			if wait > 0 {
				t.Fatal("the trainer waits for an evaluation it should not")
			}
		}
		t.Fatal("no step")
		return StepEvent{}
	}
	var evs []StepEvent
	for s := 1; s <= 2; s++ { // the evaluation of step 0 is out
		ev := step()
		if works != 0 {
			t.Fatalf("step %d: %d works went to the helper while it evaluates", s, works)
		}
		if want := s == 2; ev.Held != want { // step 3 would be 3 > eval_every past step 0
			t.Errorf("step %d: held %v, want %v", s, ev.Held, want)
		}
		evs = append(evs, ev)
	}
	p.evaluateStep(0)
	p.evaluateStep(2)
	ev := step()
	if works == 0 || ev.Held {
		t.Errorf("with every evaluation filed: %d works went to the helper, held %v", works, ev.Held)
	}
	evs = append(evs, ev, step())
	for i := range evs {
		evs[i].Held = false
	}
	if got := stripPool(evs); got != want {
		t.Errorf("the steps differ from one worker's: %s", firstDiff([]byte(got), []byte(want)))
	}
}
