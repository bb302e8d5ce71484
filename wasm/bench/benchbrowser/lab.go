//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// PoolRun is wasm/browsertest's TestCollapseBannerWithThePool measurement
// of one pool size (the same fields).
type PoolRun struct {
	Workers       int       `json:"workers"`
	BannerMs      float64   `json:"banner_ms"` // the median of the rounds
	BannerRounds  []float64 `json:"banner_rounds_ms"`
	BannerStep    int       `json:"banner_step"`
	StepMs        []float64 `json:"step_ms"`
	MedianStepMs  float64   `json:"median_step_ms"`
	MaxFrameGapMs float64   `json:"max_frame_gap_ms"`
	FramesOver100 int       `json:"frames_over_100ms"`
	Frames        int       `json:"frames"`
	Status        string    `json:"status"`
}

// LabPage is the default demo in Chromium with one engine worker and with two.
type LabPage struct {
	Runs []PoolRun `json:"runs"`
	// TargetsMet: with two workers the banner by step 40, in ≤ 0.65× the
	// time of one, and no frame gap over 100 ms (the test's verdict).
	TargetsMet bool   `json:"targets_met"`
	Verdict    string `json:"verdict,omitempty"` // the test's complaints
}

// labPage runs wasm/browsertest's TestCollapseBannerWithThePool on the
// built lab (serve/dist: make web) and returns its measurements.
func labPage(dir string) (*LabPage, error) {
	if _, err := os.Stat("serve/dist/index.html"); err != nil {
		return nil, fmt.Errorf("the lab is not built (make web): %w", err)
	}
	out := filepath.Join(dir, "pool.json")
	c := exec.Command("go", "test", "-count=1", "-timeout", "20m", "-run", "^TestCollapseBannerWithThePool$", "-v", "./wasm/browsertest/")
	c.Env = append(os.Environ(), "COPSD_BROWSER=1", "COPSD_TIMING=1", "COPSD_BENCH_OUT="+out)
	b, runErr := c.CombinedOutput()
	lp := &LabPage{TargetsMet: runErr == nil}
	raw, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("the collapse demo with the pool gave no measurements (%v):\n%s", runErr, b)
	}
	if err := json.Unmarshal(raw, &lp.Runs); err != nil {
		return nil, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "pool_perf_test.go") && (strings.Contains(l, "want") || strings.Contains(l, "more than")) {
			lp.Verdict += strings.TrimSpace(l) + "\n"
		}
	}
	return lp, nil
}

// scaleRuns are the page's step times per pool size, for the scaling table.
func (lp *LabPage) scaleRuns() []ScaleRun {
	var out []ScaleRun
	for _, r := range lp.Runs {
		out = append(out, ScaleRun{Workload: "lab-page", Where: "chromium", Workers: r.Workers, Ms: r.StepMs, MedianMs: r.MedianStepMs})
	}
	return out
}

func printLabPage(lp *LabPage) {
	if lp == nil || len(lp.Runs) == 0 {
		return
	}
	fmt.Printf("\nthe default demo (/: opsd-rkl, rho 0.5, seed 1) in Chromium, from Play to the collapse banner\n\n")
	fmt.Printf("%-8s %10s %12s %14s %16s\n", "workers", "banner s", "banner step", "ms / step", "max frame gap")
	for _, r := range lp.Runs {
		fmt.Printf("%-8d %10.1f %12d %14.0f %13.0f ms\n", r.Workers, r.BannerMs/1000, r.BannerStep, r.MedianStepMs, r.MaxFrameGapMs)
	}
	if len(lp.Runs) == 2 {
		fmt.Printf("workers=2 / workers=1: banner %s, step %s\n", ratio(lp.Runs[1].BannerMs, lp.Runs[0].BannerMs), ratio(lp.Runs[1].MedianStepMs, lp.Runs[0].MedianStepMs))
	}
	fmt.Printf("targets (banner by step 40, ≤ 0.65×, no frame gap over 100 ms): met %v\n%s", lp.TargetsMet, lp.Verdict)
}
