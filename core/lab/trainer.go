package lab

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
)

// trainer is a run in progress and its report. It does what distill.Session
// does, except that evaluations are handed out as Jobs and filed back later
// (record), in any order: the report it builds is the Session's, number for
// number.
type trainer struct {
	id    int
	model string
	run   *distill.Run
	rep   distill.Report

	// Evaluations in flight. issued lists the eval steps handed out, in
	// order; got holds the ones filed ahead of an earlier one; filed counts
	// the issued steps already in rep.Steps.
	issued []int
	got    map[int]diag.Metrics
	filed  int
	parts  map[int]*partsIn // evaluations split into chunks, by step, while their parts come in

	teacherPending, leakagePending bool
	detector                       diag.Detector // the CLI's: documented defaults

	busy  time.Duration        // compute time of the step in progress
	trace []distill.ProbeTrace // the latest step's probe records, with the full distributions (OpTrace)
	pool  *Pool                // computes the shards, when the trainer has helpers
}

// start begins a run, replacing any, and hands out the step-0 evaluation
// and the teacher's own evaluation.
func (e *Engine) start(req Request) (Response, error) {
	spec := req.Run
	if spec == nil {
		return Response{}, errors.New("start: missing run")
	}
	base, ok := e.bases[spec.Model]
	if !ok {
		return Response{}, fmt.Errorf("model %q is not loaded", spec.Model)
	}
	cfg := spec.Config
	if cfg.Privileged != distill.WithGold {
		// A preset's name stands for its text; the report keeps the text.
		c, err := base.World.LookupConstitution(cfg.Constitution)
		if err != nil {
			return Response{}, fmt.Errorf("constitution: %w", err)
		}
		cfg.Constitution = c.Spec()
	}
	t0 := time.Now()
	run, err := distill.NewRun(base, cfg)
	if err != nil {
		return Response{}, err
	}
	run.UseWorkers(1)    // one shard per tick
	run.FullTrace = true // kept for OpTrace; the step events carry the records without
	if e.Pool != nil {
		e.Pool.start(spec.ID, spec.Model, run) // the pool computes the shards
	}
	e.run = nil // a failed start leaves no run behind; a good one replaces the old
	t := &trainer{id: spec.ID, model: spec.Model, run: run, got: map[int]diag.Metrics{}, pool: e.Pool}
	t.rep = distill.NewReport(spec.Model, run.Cfg, run.Constitution().Text, run.CrossSFT)
	e.run = t
	st := &Started{RunID: t.id, Model: t.model, Config: run.Cfg, Constitution: run.Constitution().Text,
		CrossSFT: run.CrossSFT, Millis: ms(time.Since(t0))}
	for _, p := range distill.ProbePrompts(run.World)[:min(run.Cfg.Probes, len(distill.ProbePrompts(run.World)))] {
		st.Probes = append(st.Probes, p.Text)
	}
	jobs := []Job{t.evalJob()}
	if run.Cfg.Privileged == distill.WithConstitution {
		jobs = append(jobs, t.teacherJob(JobTeacher), t.teacherJob(JobLeakage))
		t.teacherPending, t.leakagePending = true, true
	}
	return Response{Started: st, Jobs: jobs}, nil
}

func (e *Engine) current(runID int) (*trainer, error) {
	if e.run == nil {
		return nil, errors.New("no run: start one first")
	}
	if runID != 0 && runID != e.run.id {
		return nil, fmt.Errorf("run %d is not the current run (%d)", runID, e.run.id)
	}
	return e.run, nil
}

// step takes req.N steps (default 1) and answers the last one's event, with
// the evaluation Jobs of all of them. A non-finite step stops early.
func (e *Engine) step(req Request) (Response, error) {
	t, err := e.current(0)
	if err != nil {
		return Response{}, err
	}
	n := req.N
	if n == 0 {
		n = 1
	}
	if n < 1 || n > 1000 {
		return Response{}, fmt.Errorf("n = %d, want 1 to 1000 steps", n)
	}
	var resp Response
	for range n {
		ev, job, err := t.step()
		if err != nil {
			return Response{}, err
		}
		resp.Step = ev
		if job != nil {
			resp.Jobs = append(resp.Jobs, *job)
		}
		if ev.Warning != "" || ev.Done {
			break
		}
	}
	return resp, nil
}

// step takes one step (finishing one advance left half done), as
// distill.Session.Step does up to its evaluation, which it hands out as a
// Job instead.
func (t *trainer) step() (*StepEvent, *Job, error) {
	for {
		ev, job, err := t.advance()
		if err != nil || ev != nil {
			return ev, job, err
		}
	}
}

// advance does the next phase of a step (distill.Run.Advance); the event is
// nil until the step completes. Between phases the caller may handle other
// requests: a pause then leaves the step half done, and the next advance or
// step finishes it with the same result.
func (t *trainer) advance() (*StepEvent, *Job, error) {
	if !t.run.MidStep() && t.run.Done() {
		return nil, nil, fmt.Errorf("the run is finished: all %d steps have run", t.run.Cfg.Steps)
	}
	t0 := time.Now()
	res, done, err := t.run.Advance()
	t.busy += time.Since(t0)
	if err != nil {
		t.busy = 0
		return nil, nil, err
	}
	if !done {
		return nil, nil, nil
	}
	return t.finish(res)
}

// finish files a completed step and hands out its evaluation when one is due.
func (t *trainer) finish(res distill.StepResult) (*StepEvent, *Job, error) {
	t.rep.AddStep(res.Train, res.Warning)
	step := t.run.StepNum()
	if res.Warning != "" {
		res.Probes = nil // their values are not finite either, and JSON holds none
	}
	t.trace = res.Probes
	ev := &StepEvent{RunID: t.id, Step: step, Train: res.Train, Probes: withoutFull(res.Probes), Warning: res.Warning,
		Done: t.run.Done(), Millis: ms(t.busy), Workers: 1}
	if p := t.pool; p != nil {
		ev.Millis += ms(p.takeWaited()) // the step's wall time: its shards ran elsewhere meanwhile
		ev.Workers, ev.Verified, ev.Lost = p.Workers(), p.Verified, p.Lost
	}
	t.busy = 0
	if step%MemoryEvery == 0 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		ev.Memory = &Memory{LiveHeap: m.HeapAlloc, Sys: m.Sys}
	}
	if step%t.run.Cfg.EvalEvery != 0 && !t.run.Done() {
		return ev, nil, nil
	}
	job := t.evalJob()
	return ev, &job, nil
}

// evalJob snapshots the weights for the evaluation of the current step.
func (t *trainer) evalJob() Job {
	r := t.run
	live := r.Teacher == r.Student
	j := Job{RunID: t.id, Kind: JobEval, Step: r.StepNum(), Final: r.Done(), Model: t.model, Config: r.Cfg, Live: live,
		Blobs: [][]byte{encodeParams(r.Student)}}
	j.NChunks = r.EvalChunks(r.Cfg.EvalSamplesAt(j.Step, j.Final))
	if !live {
		j.Blobs = append(j.Blobs, encodeParams(r.Teacher))
	}
	t.issued = append(t.issued, j.Step)
	return j
}

// teacherJob snapshots the teacher as it starts (after any Cross-SFT), for
// its own evaluation or the leakage.
func (t *trainer) teacherJob(kind string) Job {
	r := t.run
	return Job{RunID: t.id, Kind: kind, Model: t.model, Config: r.Cfg, Blobs: [][]byte{encodeParams(r.Teacher)}}
}

// set changes the knobs that need no restart.
func (e *Engine) set(req Request) (Response, error) {
	t, err := e.current(0)
	if err != nil {
		return Response{}, err
	}
	k := req.Knobs
	if k == nil {
		return Response{}, errors.New("set: missing knobs")
	}
	if k.LR != 0 {
		if err := t.run.SetLR(k.LR); err != nil {
			return Response{}, err
		}
	}
	if k.Temperature != 0 {
		if err := t.run.SetTemperature(k.Temperature); err != nil {
			return Response{}, err
		}
	}
	// The report's config is the run's starting config; a change is noted
	// beside it, since the run no longer replays from its config alone.
	if k.LR != 0 || k.Temperature != 0 {
		// A step in progress keeps the knobs it started with.
		after := t.run.StepNum()
		if t.run.MidStep() {
			after++
		}
		t.rep.Warnings = append(t.rep.Warnings, fmt.Sprintf("after step %d: learning rate %g, temperature %g (the config shows the starting values)",
			after, t.run.Cfg.LR, t.run.Cfg.Temperature))
	}
	return Response{Knobs: &Knobs{LR: t.run.Cfg.LR, Temperature: t.run.Cfg.Temperature}}, nil
}

// record files an evaluator's result. Evaluations join the report in step
// order, each followed by the collapse detector, exactly as in
// distill.Session.Step.
func (e *Engine) record(req Request) (Response, error) {
	m := req.Measured
	if m == nil {
		return Response{}, errors.New("record: missing measured")
	}
	t, err := e.current(m.RunID)
	if err != nil {
		return Response{}, err
	}
	out := &Recorded{RunID: t.id}
	switch m.Kind {
	case JobEval:
		if !t.awaits(m.Step) {
			return Response{}, fmt.Errorf("record: no evaluation of step %d is outstanding", m.Step)
		}
		if m.Metrics == nil && m.Parts != nil {
			done, err := t.addParts(m.Step, m.Parts)
			if err != nil || done == nil {
				out.Pending = t.pending()
				out.CollapseStep, out.Collapse = t.rep.CollapseStep, t.rep.Collapse
				return Response{Recorded: out}, err
			}
			m.Metrics = done
		}
		if m.Metrics == nil {
			return Response{}, errors.New("record: eval without metrics")
		}
		t.got[m.Step] = *m.Metrics
		for t.filed < len(t.issued) {
			s := t.issued[t.filed]
			mm, ok := t.got[s]
			if !ok {
				break
			}
			delete(t.got, s)
			t.filed++
			t.file(mm)
			out.Points = append(out.Points, mm)
		}
	case JobTeacher:
		if !t.teacherPending || m.Teacher == nil {
			return Response{}, errors.New("record: no teacher evaluation is outstanding")
		}
		t.teacherPending = false
		t.rep.Teacher, out.Teacher = m.Teacher, m.Teacher
	case JobLeakage:
		if !t.leakagePending || m.Leakage == nil {
			return Response{}, errors.New("record: no leakage measurement is outstanding")
		}
		t.leakagePending = false
		t.rep.Leakage, out.Leakage = m.Leakage, m.Leakage
	default:
		return Response{}, fmt.Errorf("record: unknown kind %q", m.Kind)
	}
	out.CollapseStep, out.Collapse, out.Pending = t.rep.CollapseStep, t.rep.Collapse, t.pending()
	return Response{Recorded: out}, nil
}

func (t *trainer) awaits(step int) bool {
	for _, s := range t.issued[t.filed:] {
		if s == step {
			_, dup := t.got[step]
			return !dup
		}
	}
	return false
}

// file adds one evaluation to the report, in step order, as Session does.
func (t *trainer) file(m diag.Metrics) {
	t.rep.AddEval(m, t.detector, m.Step >= t.run.Cfg.Steps)
}

// evalLag says whether the next step would take training more than one
// evaluation interval past the step of an evaluation still out: the
// trainer then waits for the evaluators, so that every evaluation, and so
// the collapse banner, comes at most one interval after its step.
func (t *trainer) evalLag() bool {
	if t.filed == len(t.issued) {
		return false
	}
	return t.run.StepNum()+1-t.issued[t.filed] > t.run.Cfg.EvalEvery
}

// evaluating says whether an evaluation of a step is still out. The
// helpers then evaluate, and the trainer computes a step's works itself.
func (t *trainer) evaluating() bool { return t.filed < len(t.issued) }

func (t *trainer) pending() int {
	n := len(t.issued) - t.filed
	for _, p := range []bool{t.teacherPending, t.leakagePending} {
		if p {
			n++
		}
	}
	return n
}

func (e *Engine) report() (Response, error) {
	t, err := e.current(0)
	if err != nil {
		return Response{}, err
	}
	return Response{Report: &RunReport{Report: t.rep, Pending: t.pending(), Step: t.run.StepNum()}}, nil
}

// decodeParams overwrites m's parameters with a snapshot of the same model.
func decodeParams(m *model.Model, b []byte) error {
	if p := m.Params(); len(b) != 4*len(p) {
		return fmt.Errorf("snapshot of %d bytes for a model of %d parameters", len(b), len(p))
	}
	readFloats(m.Params(), b)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// partsIn are the chunks of a split evaluation received so far.
type partsIn struct {
	n     int
	parts map[int]EvalPart
}

// addParts files parts of the evaluation of step; once every chunk is in,
// it returns the evaluation, combined in chunk order.
func (t *trainer) addParts(step int, parts []EvalPart) (*diag.Metrics, error) {
	r := t.run
	final := step >= r.Cfg.Steps
	samples := r.Cfg.EvalSamplesAt(step, final)
	if t.parts == nil {
		t.parts = map[int]*partsIn{}
	}
	in := t.parts[step]
	if in == nil {
		in = &partsIn{n: r.EvalChunks(samples), parts: map[int]EvalPart{}}
		t.parts[step] = in
	}
	for _, p := range parts {
		if p.Chunk < 0 || p.Chunk >= in.n {
			return nil, fmt.Errorf("record: chunk %d of an evaluation of %d", p.Chunk, in.n)
		}
		if _, dup := in.parts[p.Chunk]; dup {
			return nil, fmt.Errorf("record: chunk %d of step %d came twice", p.Chunk, step)
		}
		in.parts[p.Chunk] = p
	}
	if len(in.parts) < in.n {
		return nil, nil
	}
	delete(t.parts, step)
	all := make([]diag.Part, in.n)
	w := r.World
	for c := range all {
		p := in.parts[c]
		all[c].Sums = p.Sums
		for _, s := range p.Samples {
			if s.Prompt < 0 || s.Prompt >= len(w.Eval) {
				return nil, fmt.Errorf("record: held-out prompt %d of %d", s.Prompt, len(w.Eval))
			}
			for _, tok := range s.Response {
				if tok < 0 || int(tok) >= w.Vocab.Size() {
					return nil, fmt.Errorf("record: token %d outside the vocabulary", tok)
				}
			}
			pr := w.Eval[s.Prompt]
			all[c].Samples = append(all[c].Samples, eval.Sample{Prompt: pr, Response: s.Response, Entropy: s.Entropy, Verdict: w.Judge(pr, s.Response)})
		}
	}
	m := r.CombineEval(all, samples)
	m.Step = step
	return &m, nil
}

// withoutFull is probes without each token's full distributions (the step
// event's copy: the page draws the rest; OpTrace gives them).
func withoutFull(probes []distill.ProbeTrace) []distill.ProbeTrace {
	if len(probes) == 0 {
		return probes
	}
	out := make([]distill.ProbeTrace, len(probes))
	for i, p := range probes {
		p.Tokens = slices.Clone(p.Tokens)
		for k := range p.Tokens {
			p.Tokens[k].Full = nil
		}
		out[i] = p
	}
	return out
}

// latestTrace answers OpTrace.
func (e *Engine) latestTrace() (Response, error) {
	t := e.run
	switch {
	case t == nil:
		return Response{}, errors.New("trace: no run")
	case len(t.trace) == 0:
		return Response{}, errors.New("trace: no step has run yet (or its values were not finite): play or step first")
	}
	return Response{Trace: &Trace{RunID: t.id, Step: t.run.StepNum(), Records: t.trace}}, nil
}
