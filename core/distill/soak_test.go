package distill

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/pretrain"
)

// TestSoak is the native soak of `make soak` (part of `make bench`): the
// lab's default run (opsd-rkl on the rho 0.5 base, one worker as in the
// browser) for COPSD_SOAK steps (10,000 by default). Every step's training
// metrics and, at the end, every weight stay finite, and the Go heap after
// warm-up (live bytes after a collection) grows by less than 10%: a run
// keeps no per-step state beyond what its config fixes.
func TestSoak(t *testing.T) {
	steps, _ := strconv.Atoi(os.Getenv("COPSD_SOAK"))
	if steps == 0 {
		t.Skip("set COPSD_SOAK=steps (make soak uses 10000)")
	}
	base, err := pretrain.Open("../../assets/models/base-rho50.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	base.Model.Workers = 1
	cfg, _ := Recipe("opsd-rkl")
	cfg.Steps = steps
	r, err := NewRun(base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	warm := max(steps/20, 10)
	var warmHeap uint64
	start := time.Now()
	for r.StepNum() < steps {
		res, err := r.Step()
		if err != nil {
			t.Fatal(err)
		}
		if res.Warning != "" || !finiteMetrics(res.Train) {
			t.Fatalf("step %d is not finite: %+v %s", r.StepNum(), res.Train, res.Warning)
		}
		if r.StepNum() == warm {
			warmHeap = liveHeap()
		}
		if n := r.StepNum(); n%1000 == 0 {
			t.Logf("step %d: %.1f steps/s, live heap %.2f MB", n, float64(n)/time.Since(start).Seconds(), float64(liveHeap())/1e6)
		}
	}
	for i, w := range r.Student.Params() {
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			t.Fatalf("student weight %d is %v after %d steps", i, w, steps)
		}
	}
	endHeap := liveHeap()
	runtime.KeepAlive(r) // measured with the run alive, as at warm-up
	growth := float64(endHeap)/float64(warmHeap) - 1
	fmt.Printf("soak: %d steps in %.0fs (%.1f steps/s), all finite; live heap %.2f MB after %d warm-up steps, %.2f MB at the end: %+.1f%%\n",
		steps, time.Since(start).Seconds(), float64(steps)/time.Since(start).Seconds(), float64(warmHeap)/1e6, warm, float64(endHeap)/1e6, 100*growth)
	if growth >= 0.10 {
		t.Errorf("the live heap grew by %.1f%% after warm-up (want < 10%%)", 100*growth)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func finiteMetrics(t TrainMetrics) bool {
	return len(zeroNonFinite(reflect.ValueOf(&t).Elem())) == 0
}
