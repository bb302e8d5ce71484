//go:build js && wasm

package page

import (
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// runner hands the Reproduce view's whole runs to the engine workers
// (state.Runner): one run per worker, the trainer and its helpers alike,
// each run from its config to its report inside its worker (lab.Whole).
// Its state is touched under the render lock only.
type runner struct {
	b      *bridge
	at     map[int]int     // run id → worker (0 the trainer, i+1 helper i)
	busy   map[int]bool    // workers running a whole run (or finishing an abandoned one)
	queued []wholeStart    // runs waiting for a free worker or their model
	models map[string]bool // models asked for by a run
}

type wholeStart struct {
	id    int
	model string
	cfg   distill.Config
}

func newRunner(b *bridge) *runner {
	return &runner{b: b, at: map[int]int{}, busy: map[int]bool{}, models: map[string]bool{}}
}

// workers are the engine workers alive, by index.
func (r *runner) workers() []int {
	out := []int{0}
	for i := range r.b.helpers {
		if !r.b.lost[i] {
			out = append(out, i+1)
		}
	}
	return out
}

func (r *runner) worker(w int) js.Value {
	if w == 0 {
		return r.b.trainer
	}
	return r.b.helpers[w-1]
}

// Slots implements state.Runner.
func (r *runner) Slots() int { return len(r.workers()) }

// StartRun implements state.Runner.
func (r *runner) StartRun(id int, model string, cfg distill.Config) {
	r.queued = append(r.queued, wholeStart{id, model, cfg})
	r.next()
}

// StopRun implements state.Runner: the worker abandons the run after its
// step in progress, and is free once it says so.
func (r *runner) StopRun(id int) {
	for i, q := range r.queued {
		if q.id == id {
			r.queued = append(r.queued[:i], r.queued[i+1:]...)
			return
		}
	}
	if w, ok := r.at[id]; ok {
		r.worker(w).Call("postMessage", map[string]any{"type": "abort", "id": id})
	}
}

// next starts queued runs on free workers, loading their models first.
func (r *runner) next() {
	for len(r.queued) > 0 {
		q := r.queued[0]
		if _, ok := r.b.lab.Engine.Models[q.model]; !ok {
			if !r.models[q.model] {
				r.models[q.model] = true
				if _, loading := r.b.loading[q.model]; !loading {
					r.b.LoadModel(q.model)
				}
			}
			return // onModel starts it
		}
		w := -1
		for _, c := range r.workers() {
			if !r.busy[c] {
				w = c
				break
			}
		}
		if w < 0 {
			return
		}
		r.queued = r.queued[1:]
		spec, _ := json.Marshal(lab.RunSpec{ID: q.id, Model: q.model, Config: q.cfg})
		r.at[q.id], r.busy[w] = w, true
		r.worker(w).Call("postMessage", map[string]any{"type": "whole", "id": q.id, "json": string(spec)})
	}
}

// onModel hears that a model loaded (or did not).
func (r *runner) onModel(name string, err error) {
	if !r.models[name] {
		return
	}
	delete(r.models, name)
	if err != nil {
		kept := r.queued[:0]
		for _, q := range r.queued {
			if q.model == name {
				r.b.lab.Repro.OnRunFailed(q.id, "the model did not load: "+err.Error())
				continue
			}
			kept = append(kept, q)
		}
		r.queued = kept
	}
	r.next()
}

// fromWorker handles a whole run's message from worker w.
func (r *runner) fromWorker(w int, typ string, d js.Value) {
	id := d.Get("id").Int()
	switch typ {
	case "whole-progress":
		step := d.Get("step").Int()
		var evals []diag.Metrics
		if e := d.Get("evals"); e.Type() == js.TypeString {
			if err := json.Unmarshal([]byte(e.String()), &evals); err != nil {
				evals = nil // the charts wait for the report
			}
		}
		r.b.queue(func() {
			r.b.lab.Repro.OnRunProgress(id, step)
			if len(evals) > 0 {
				r.b.lab.Repro.OnRunEvaluations(id, evals)
			}
		})
		return
	case "whole-done":
		data := []byte(d.Get("json").String())
		r.b.queue(func() { r.free(w, id); r.b.lab.Repro.OnRunDone(id, data) })
	case "whole-failed":
		why := d.Get("error").String()
		r.b.queue(func() { r.free(w, id); r.b.lab.Repro.OnRunFailed(id, why) })
	}
}

func (r *runner) free(w, id int) {
	delete(r.at, id)
	delete(r.busy, w)
	r.next()
}

// lost fails the run of a helper that died.
func (r *runner) lost(w int, why string) {
	for id, at := range r.at {
		if at == w {
			r.free(w, id)
			r.b.lab.Repro.OnRunFailed(id, errors.New("its engine worker stopped: "+why).Error())
		}
	}
}
