// Command stepbench times the benchmark workloads of package refstep and
// prints one JSON object. The same program runs natively and, built for
// GOOS=js GOARCH=wasm, in a Web Worker (wasm/bench/web/runner.js), with or
// without the SIMD kernels; wasm/bench/benchbrowser drives both.
//
//	stepbench [-reps 7] [-only ref-opsd-d128,...] [-ckpt assets/models/base-rho0.ckpt] [-no-scaling]
//
// Each workload takes one untimed step, then -reps timed steps; it reports
// every step's milliseconds, their median, and a hash of the trained
// parameters after all steps, which must be the same on every platform and
// kernel path. The workloads named NAME@K run on K goroutines (natively
// only: a Web Worker has one thread) and must end with the hash of the
// same workload on one worker.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/wasm/bench/refstep"
)

// Result is one workload's timing.
type Result struct {
	Name     string             `json:"name"`
	Workers  int                `json:"workers,omitempty"`
	What     string             `json:"what"`
	Ms       []float64          `json:"ms"`
	MedianMs float64            `json:"median_ms"`
	PhaseMs  map[string]float64 `json:"phase_median_ms,omitempty"` // reference OPSD: rollouts, teacher, update
	Hash     string             `json:"hash"`                      // FNV-1a of the trained parameters' bits
}

// Report is the program's output.
type Report struct {
	GOOS    string   `json:"goos"`
	GOARCH  string   `json:"goarch"`
	SIMD    string   `json:"simd"` // the host's word on the SIMD kernels (COPSD_SIMD_ACTIVE), "" natively
	Reps    int      `json:"reps"`
	Results []Result `json:"results"`
}

type workload struct {
	name, what string
	setup      func(ckpt []byte) (step func(), params func() []float32, err error)
	needsCkpt  bool
	workers    int                  // goroutines (0: one); over one: native only
	phases     map[string][]float64 // filled by step, when it times its phases
}

var workloads = []workload{
	refOPSD("d128"), refOPSD("d64"), refPretrain("d128"), refPretrain("d64"), labOPSD(1),
	{name: "lab-pretrain", what: "core/pretrain step with its defaults (d=64, 2 layers, 32 documents)",
		setup: func([]byte) (func(), func() []float32, error) {
			tr, err := pretrain.New(pretrain.Config{Seed: 1, Steps: 1000})
			if err != nil {
				return nil, nil, err
			}
			tr.Model.Workers = 1
			return func() { tr.Step() }, tr.Model.Params, nil
		}},
	// Scaling over workers (goroutines), native only: a Web Worker runs
	// one thread; the browser's workers are wasm/bench/web/shards.js's.
	refSharded("d128", 1), refSharded("d128", 2), refSharded("d128", 4),
	refSharded("d64", 1), refSharded("d64", 2), refSharded("d64", 4),
	labOPSD(2), labOPSD(4),
}

// ScaleName is the name of a workload's run on k workers.
func ScaleName(base string, k int) string { return fmt.Sprintf("%s@%d", base, k) }

// labOPSD is the lab's default step on k goroutines (Run.UseWorkers); "lab-opsd" with one.
func labOPSD(k int) workload {
	name := "lab-opsd"
	if k > 1 {
		name = ScaleName(name, k)
	}
	return workload{name: name, needsCkpt: true, workers: k,
		what: fmt.Sprintf("core/distill opsd-rkl step on base-rho0 (d=64, 2 layers; 4 prompts x 8 samples = 4 shards, probes), %d worker(s)", k),
		setup: func(ckpt []byte) (func(), func() []float32, error) {
			base, err := pretrain.DecodeBytes(ckpt)
			if err != nil {
				return nil, nil, err
			}
			cfg, err := distill.Recipe("opsd-rkl")
			if err != nil {
				return nil, nil, err
			}
			cfg.Seed = 1
			run, err := distill.NewRun(base, cfg)
			if err != nil {
				return nil, nil, err
			}
			run.UseWorkers(k)
			step := func() {
				if _, err := run.Step(); err != nil {
					panic(err)
				}
			}
			return step, run.Student.Params, nil
		}}
}

// refSharded is the sharded reference OPSD step (refstep.Sharded) on k goroutines.
func refSharded(shape string, k int) workload {
	s, _ := refstep.ShapeByName(shape)
	return workload{name: ScaleName("ref-sharded-"+shape, k), workers: k,
		what: fmt.Sprintf("the reference OPSD step at d=%d in %d shards (a prompt with its %d samples each), %d worker(s)", s.Model.Dim, s.Prompts, s.G, k),
		setup: func([]byte) (func(), func() []float32, error) {
			o, err := refstep.NewSharded(s, 1)
			if err != nil {
				return nil, nil, err
			}
			o.UseWorkers(k)
			return func() { o.Step() }, o.Student.Params, nil
		}}
}

func refOPSD(shape string) workload {
	s, _ := refstep.ShapeByName(shape)
	phases := map[string][]float64{}
	return workload{name: "ref-opsd-" + shape, phases: phases,
		what: fmt.Sprintf("OPSD step, %d layer(s), %d heads, d=%d: %d rows x %d sampled tokens after a %d-token prompt, %d-token teacher prefix",
			s.Model.Layers, s.Model.Heads, s.Model.Dim, s.Rows(), s.Response, s.PromptLen, s.Prefix),
		setup: func([]byte) (func(), func() []float32, error) {
			o, err := refstep.NewOPSD(s, 1)
			if err != nil {
				return nil, nil, err
			}
			step := func() { // o.Step, one phase at a time
				for _, ph := range []struct {
					name string
					fn   func()
				}{{"rollouts", o.Rollouts}, {"teacher", o.TeacherScore}, {"update", func() { o.Update() }}} {
					t0 := time.Now()
					ph.fn()
					phases[ph.name] = append(phases[ph.name], ms(time.Since(t0)))
				}
			}
			return step, o.Student.Params, nil
		}}
}

func refPretrain(shape string) workload {
	s, _ := refstep.ShapeByName(shape)
	return workload{name: "ref-pretrain-" + shape,
		what: fmt.Sprintf("pretraining step, d=%d, %d layer(s), 16 x 64 tokens", s.Model.Dim, s.Model.Layers),
		setup: func([]byte) (func(), func() []float32, error) {
			p, err := refstep.NewPretrain(s.Model, 16, 64, 1)
			if err != nil {
				return nil, nil, err
			}
			return func() { p.Step() }, p.M.Params, nil
		}}
}

func main() {
	reps := flag.Int("reps", 7, "timed steps per workload")
	only := flag.String("only", "", "comma-separated workloads (default all)")
	noScaling := flag.Bool("no-scaling", false, "skip the workloads on more than one worker")
	ckptPath := flag.String("ckpt", "assets/models/base-rho0.ckpt", "base checkpoint for lab-opsd: a file, or an http(s) URL")
	flag.Parse()
	rep := Report{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, SIMD: os.Getenv("COPSD_SIMD_ACTIVE"), Reps: *reps}
	var ckpt []byte
	for _, w := range workloads {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), w.name) {
			continue
		}
		if w.workers > 1 && (runtime.GOOS == "js" || *noScaling) {
			continue
		}
		if w.needsCkpt && ckpt == nil {
			var err error
			if ckpt, err = load(*ckptPath); err != nil {
				fail(err)
			}
		}
		step, params, err := w.setup(ckpt)
		if err != nil {
			fail(fmt.Errorf("%s: %w", w.name, err))
		}
		step() // warm-up: buffers, caches, the JIT
		for k := range w.phases {
			delete(w.phases, k)
		}
		r := Result{Name: w.name, What: w.what, Workers: w.workers}
		for range *reps {
			t0 := time.Now()
			step()
			r.Ms = append(r.Ms, ms(time.Since(t0)))
		}
		r.MedianMs = Median(r.Ms)
		if len(w.phases) > 0 {
			r.PhaseMs = map[string]float64{}
			for k, v := range w.phases {
				r.PhaseMs[k] = Median(v)
			}
		}
		r.Hash = fmt.Sprintf("%016x", model.HashFloats(params()))
		rep.Results = append(rep.Results, r)
		fmt.Fprintf(os.Stderr, "%-18s %8.1f ms (median of %d)\n", r.Name, r.MedianMs, len(r.Ms))
	}
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Median returns the median of xs (the mean of the middle two for an even count).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func load(path string) ([]byte, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		resp, err := http.Get(path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", path, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	return os.ReadFile(path)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "stepbench:", err)
	os.Exit(1)
}
