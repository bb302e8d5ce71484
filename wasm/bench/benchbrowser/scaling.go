//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// tfjsPeerMs is the tuned tfjs-wasm peer's reference OPSD step at d=128 on
// this machine (issue 13: 399–408 ms), the yardstick of the browser's step.
const tfjsPeerMs = 400

// ScaleRun is one workload's timing on K workers: goroutines natively, Web
// Workers in Chromium (one replica of the run each).
type ScaleRun struct {
	Workload string    `json:"workload"` // ref-sharded-d128, ref-sharded-d64, lab-opsd, lab-page
	Where    string    `json:"where"`    // native, chromium
	Workers  int       `json:"workers"`
	Ms       []float64 `json:"ms"`
	MedianMs float64   `json:"median_ms"`
	// Hashes of the trained parameters: natively the run's, in Chromium
	// every replica's (equal when the replicas stayed identical).
	Hashes []string `json:"hashes,omitempty"`
}

// Scaling sums up a workload's runs at K = 1, 2 (and 4) in one place.
type Scaling struct {
	Workload   string  `json:"workload"`
	Where      string  `json:"where"`
	Ms1        float64 `json:"ms_k1"`
	Ms2        float64 `json:"ms_k2"`
	Ms4        float64 `json:"ms_k4,omitempty"` // oversubscribed on two cores: for the bits
	Ratio      float64 `json:"ratio_k2_k1"`     // K=2 time over K=1 time, same run
	Efficiency float64 `json:"efficiency_k2"`   // speedup / K
	SameBits   bool    `json:"same_bits"`       // every K, every replica, the same parameters
	// BitsChecked: the runs carry hashes (the lab page's do not: its bits
	// are wasm/browsertest's TestBrowserMatchesCLI's).
	BitsChecked bool `json:"bits_checked"`
}

// nativeScaling collects stepbench's NAME@K workloads (and NAME, K=1).
func nativeScaling(r stepReport) []ScaleRun {
	var out []ScaleRun
	for _, w := range r.Results {
		name, k := w.Name, 1
		if i := strings.LastIndexByte(name, '@'); i >= 0 {
			k, _ = strconv.Atoi(name[i+1:])
			name = name[:i]
		} else if name != "lab-opsd" {
			continue
		}
		out = append(out, ScaleRun{Workload: name, Where: "native", Workers: k, Ms: w.Ms, MedianMs: w.MedianMs, Hashes: []string{w.Hash}})
	}
	return out
}

// shardsReply is what the page's runShards resolves with.
type shardsReply struct {
	Ms []float64 `json:"ms"`
	// Per step: the busiest worker's shard compute and the slowest
	// replica's update; the rest of Ms is messaging and copies.
	Compute []float64 `json:"compute"`
	Apply   []float64 `json:"apply"`
	Hashes  []string  `json:"hashes"`
	SIMD    []bool    `json:"simd"`
	Shards  int       `json:"shards"`
	Error   string    `json:"error"`
}

// chromiumScaling times the sharded reference step on K Web Workers of the
// benchmark page (SIMD kernels bound), K = 1, 2, 4, for both shapes: two
// rounds over K, each of reps timed steps from a fresh start, so that a
// drift of the machine's load falls on every K alike; the median is over
// both rounds.
func chromiumScaling(ctx context.Context, reps int) ([]ScaleRun, error) {
	var out []ScaleRun
	for _, shape := range []string{"d128", "d64"} {
		runs := map[int]*ScaleRun{}
		for round := range 2 {
			for _, k := range []int{1, 2, 4} {
				logf("chromium: sharded reference step %s on %d workers (round %d, load %s)", shape, k, round+1, loadavg())
				r, err := runShards(ctx, shape, k, reps)
				if err != nil {
					return nil, err
				}
				if runs[k] == nil {
					runs[k] = &ScaleRun{Workload: "ref-sharded-" + shape, Where: "chromium", Workers: k}
				}
				logf("  step %.1f ms: busiest worker's shards %.1f ms, update %.1f ms, messaging %.1f ms (medians)",
					median(r.Ms), median(r.Compute), median(r.Apply), median(r.Ms)-median(r.Compute)-median(r.Apply))
				runs[k].Ms = append(runs[k].Ms, r.Ms...)
				runs[k].Hashes = append(runs[k].Hashes, r.Hashes...)
			}
		}
		for _, k := range []int{1, 2, 4} {
			runs[k].MedianMs = median(runs[k].Ms)
			out = append(out, *runs[k])
		}
	}
	return out, nil
}

// runShards runs the page's runShards: the sharded step on k workers.
func runShards(ctx context.Context, shape string, k, reps int) (shardsReply, error) {
	job, _ := json.Marshal(map[string]any{"wasm": "shardbench.wasm", "argv": []string{"-shape", shape, "-seed", "1"},
		"simd": true, "workers": k, "reps": reps})
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`runShards(`+string(job)+`).then(JSON.stringify)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return shardsReply{}, fmt.Errorf("sharded step %s on %d workers: %w", shape, k, err)
	}
	var r shardsReply
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, err
	}
	if r.Error != "" {
		return r, fmt.Errorf("sharded step %s on %d workers: %s", shape, k, r.Error)
	}
	if len(r.Hashes) != k || slices.Contains(r.SIMD, false) {
		return r, fmt.Errorf("sharded step %s on %d workers: %d hashes, SIMD kernels bound %v", shape, k, len(r.Hashes), r.SIMD)
	}
	return r, nil
}

// summarize groups runs by workload and place. Runs without hashes (the
// lab page's) count for the bits only through their own test.
func summarize(runs []ScaleRun) []Scaling {
	var out []Scaling
	for _, r := range runs {
		i := slices.IndexFunc(out, func(s Scaling) bool { return s.Workload == r.Workload && s.Where == r.Where })
		if i < 0 {
			out = append(out, Scaling{Workload: r.Workload, Where: r.Where, SameBits: true})
			i = len(out) - 1
		}
		s := &out[i]
		switch r.Workers {
		case 1:
			s.Ms1 = r.MedianMs
		case 2:
			s.Ms2 = r.MedianMs
		case 4:
			s.Ms4 = r.MedianMs
		}
	}
	for i := range out {
		s := &out[i]
		if s.Ms1 > 0 && s.Ms2 > 0 {
			s.Ratio = s.Ms2 / s.Ms1
			s.Efficiency = s.Ms1 / s.Ms2 / 2
		}
		var want string
		for _, r := range runs {
			if r.Workload != s.Workload || r.Where != s.Where {
				continue
			}
			for _, h := range r.Hashes {
				if want == "" {
					want = h
				}
				s.SameBits = s.SameBits && h == want
				s.BitsChecked = true
			}
		}
	}
	return out
}

// sameAcross says whether every run of a workload, wherever it ran, ended
// with the same parameters.
func sameAcross(runs []ScaleRun) bool {
	want := map[string]string{}
	for _, r := range runs {
		for _, h := range r.Hashes {
			if w, ok := want[r.Workload]; ok && w != h {
				return false
			}
			want[r.Workload] = h
		}
	}
	return true
}

func printScaling(o Output) {
	if len(o.Scaling) == 0 {
		return
	}
	fmt.Printf("\nscaling over workers (goroutines natively, Web Workers with the SIMD kernels in Chromium), medians, ms\n\n")
	fmt.Printf("%-18s %-9s %8s %8s %8s %9s %11s  %s\n", "workload", "where", "K=1", "K=2", "K=4", "K2/K1", "efficiency", "same bits (every K and replica)")
	for _, s := range o.ScalingSummary {
		bits := strconv.FormatBool(s.SameBits)
		if !s.BitsChecked {
			bits = "- (TestBrowserMatchesCLI checks the page's bits)"
		}
		fmt.Printf("%-18s %-9s %8s %8s %8s %9s %11s  %s\n", s.Workload, s.Where, num(s.Ms1), num(s.Ms2), num(s.Ms4),
			ratio(s.Ms2, s.Ms1), strconv.FormatFloat(s.Efficiency, 'f', 2, 64), bits)
		if s.Workload == "ref-sharded-d128" && s.Where == "chromium" {
			fmt.Printf("%-18s %-9s against the tfjs-wasm peer (%d ms): K=1 %s, K=2 %s\n", "", "", tfjsPeerMs, ratio(s.Ms1, tfjsPeerMs), ratio(s.Ms2, tfjsPeerMs))
		}
	}
	fmt.Printf("the same parameters natively and in Chromium, for every K: %v\n", o.ScalingSameBits)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// scalingPart measures, after the rest, the workloads over several
// workers: the sharded reference step on Web Workers of the open page
// (closed after), the default demo's banner with 1 and 2 engine workers
// (lab), copsd reproduce at -jobs 1 and 2 (repro: reduced, full or off).
func scalingPart(o *Output, ctx context.Context, dir string, reps int, lab bool, repro string, closePage func()) error {
	sc, err := chromiumScaling(ctx, reps)
	if err != nil {
		return err
	}
	o.Scaling = append(o.Scaling, sc...)
	closePage()
	if lab {
		logf("chromium: the default demo with 1 and 2 engine workers (load %s)", loadavg())
		if o.LabPage, err = labPage(dir); err != nil {
			return err
		}
		o.Scaling = append(o.Scaling, o.LabPage.scaleRuns()...)
	}
	if repro != "off" {
		if o.Reproduce, err = reproduce(dir, repro); err != nil {
			return err
		}
	}
	o.ScalingSummary, o.ScalingSameBits = summarize(o.Scaling), sameAcross(o.Scaling)
	return nil
}

// scalingNames are stepbench's workloads over workers.
const scalingNames = "lab-opsd,lab-opsd@2,lab-opsd@4,ref-sharded-d128@1,ref-sharded-d128@2,ref-sharded-d128@4,ref-sharded-d64@1,ref-sharded-d64@2,ref-sharded-d64@4"

// runScaling is the benchmark's scaling part alone (-scaling-only): the
// workloads over workers natively and in Chromium, the default demo's
// banner, copsd reproduce.
func runScaling(reps int, outPath string, lab bool, repro string, timeout time.Duration) error {
	o := Output{When: time.Now().UTC().Format(time.RFC3339), Host: runtime.GOOS + "/" + runtime.GOARCH, Reps: reps, LoadAvg: loadavg()}
	dir, err := os.MkdirTemp("", "copsd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := build(dir, false); err != nil {
		return err
	}
	logf("native: stepbench over workers (load %s)", loadavg())
	b, err := command(".", filepath.Join(dir, "stepbench-native"), "-reps", strconv.Itoa(reps), "-only", scalingNames, "-ckpt", "assets/models/base-rho0.ckpt")
	if err != nil {
		return err
	}
	var r stepReport
	if err := json.Unmarshal(lastLine(b), &r); err != nil {
		return fmt.Errorf("native stepbench output: %w", err)
	}
	o.Scaling = nativeScaling(r)
	ctx, _, closePage, err := openPage(dir, timeout)
	if err != nil {
		return err
	}
	defer closePage()
	o.Browser, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err := scalingPart(&o, ctx, dir, reps, lab, repro, closePage); err != nil {
		return err
	}
	o.LoadAvg += " -> " + loadavg()
	fmt.Printf("\n%s\nload average %s; medians of %d steps\n", o.Browser, o.LoadAvg, o.Reps)
	printScaling(o)
	printLabPage(o.LabPage)
	printReproduce(o.Reproduce)
	return writeOutput(o, outPath)
}
