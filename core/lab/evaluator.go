package lab

import (
	"errors"
	"fmt"
	"time"

	"github.com/copsdlab/copsd/core/distill"
)

// evalCache is an evaluator's run skeleton for the run it last served: a
// distill.Run whose weights each Job overwrites, so evaluation goes through
// distill's own Run.Evaluate (the same prompts, seeds and teacher context).
type evalCache struct {
	runID int
	model string
	run   *distill.Run
}

// evaluate runs a Job on the snapshot in req.Blobs.
func (e *Engine) evaluate(req Request) (Response, error) {
	j := req.Job
	if j == nil {
		return Response{}, errors.New("evaluate: missing job")
	}
	r, err := e.evalRunFor(j, len(req.Blobs))
	if err != nil {
		return Response{}, err
	}
	// The knobs that change mid-run are the evaluation's too.
	r.Cfg.Temperature = j.Config.Temperature
	r.Yield = e.Yield
	t0 := time.Now()
	out := &Measured{RunID: j.RunID, Kind: j.Kind, Step: j.Step}
	switch j.Kind {
	case JobEval:
		if err := decodeParams(r.Student, req.Blobs[0]); err != nil {
			return Response{}, fmt.Errorf("evaluate: student: %w", err)
		}
		if !j.Live {
			if r.Teacher == r.Student {
				return Response{}, errors.New("evaluate: a live teacher's job must say so")
			}
			if err := decodeParams(r.Teacher, req.Blobs[1]); err != nil {
				return Response{}, fmt.Errorf("evaluate: teacher: %w", err)
			}
		}
		samples := j.Config.EvalSamplesAt(j.Step, j.Final)
		if j.Chunks != nil {
			parts, err := evalParts(r, samples, j.Chunks)
			if err != nil {
				return Response{}, err
			}
			out.Parts = parts
			break
		}
		m, err := r.EvaluateWith(samples)
		if err != nil {
			return Response{}, err
		}
		m.Step = j.Step
		out.Metrics = &m
	case JobTeacher, JobLeakage:
		if err := decodeParams(r.Teacher, req.Blobs[0]); err != nil {
			return Response{}, fmt.Errorf("evaluate: teacher: %w", err)
		}
		// As distill.NewSession measures the teacher (TeacherEval, Leakage).
		if j.Kind == JobTeacher {
			m, err := r.EvaluateTeacher()
			if err != nil {
				return Response{}, err
			}
			out.Teacher = &m
			break
		}
		l, err := r.MeasureLeakage()
		if err != nil {
			return Response{}, err
		}
		out.Leakage = &l
	default:
		return Response{}, fmt.Errorf("evaluate: unknown job kind %q", j.Kind)
	}
	out.Millis = ms(time.Since(t0))
	return Response{Measured: out}, nil
}

// fileOwn files at once, as OpRecord would, an evaluation this engine ran
// of the run it trains, and answers what that changed: the page need not
// send the result back to the trainer. A result the run does not await (an
// earlier run's, a step already filed) goes back as it is.
func (e *Engine) fileOwn(resp Response) Response {
	m := resp.Measured
	if e.run == nil || m == nil || m.RunID != e.run.id {
		return resp
	}
	rec, err := e.record(Request{Measured: m})
	if err != nil || rec.Recorded == nil {
		return resp
	}
	return Response{Recorded: rec.Recorded}
}

// evalParts computes the given chunks of an evaluation with samples answers
// per held-out prompt.
func evalParts(r *distill.Run, samples int, chunks []int) ([]EvalPart, error) {
	n := r.EvalChunks(samples)
	index := map[string]int{}
	for i, p := range r.World.Eval {
		index[p.ID] = i
	}
	var out []EvalPart
	for _, c := range chunks {
		if c < 0 || c >= n {
			return nil, fmt.Errorf("evaluate: chunk %d of %d", c, n)
		}
		part, err := r.EvaluateChunk(samples, c)
		if err != nil {
			return nil, err
		}
		ep := EvalPart{Chunk: c, Sums: part.Sums}
		for _, s := range part.Samples {
			ep.Samples = append(ep.Samples, EvalSample{Prompt: index[s.Prompt.ID], Response: s.Response, Entropy: s.Entropy})
		}
		out = append(out, ep)
	}
	return out, nil
}

// evalRunFor is the run skeleton for job j, which came with blobs
// snapshots: the one kept from the last job of the same run, or a new one.
func (e *Engine) evalRunFor(j *Job, blobs int) (*distill.Run, error) {
	base, ok := e.bases[j.Model]
	if !ok {
		return nil, fmt.Errorf("model %q is not loaded", j.Model)
	}
	want := 1
	if j.Kind == JobEval && !j.Live {
		want = 2
	}
	if blobs != want {
		return nil, fmt.Errorf("evaluate: %s job with %d snapshots, want %d", j.Kind, blobs, want)
	}
	c := e.evalRun
	if c == nil || c.runID != j.RunID || c.model != j.Model {
		cfg := j.Config
		// The teacher's weights come with the job: no Cross-SFT here.
		cfg.CrossSFTEpochs = 0
		run, err := distill.NewRun(base, cfg)
		if err != nil {
			return nil, err
		}
		c = &evalCache{runID: j.RunID, model: j.Model, run: run}
		e.evalRun = c
	}
	return c.run, nil
}
