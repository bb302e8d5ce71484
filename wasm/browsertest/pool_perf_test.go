//go:build !wasm

package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Targets of the pool of engine workers (issue 13) on the default demo.
const (
	bannerStepBudget  = 40   // the confirming evaluation plus one eval_every
	bannerRatioBudget = 0.65 // workers=2 against workers=1, from Play, same run
	frameGapBudget    = 100  // ms between animation frames while training with the full pool
	bannerRounds      = 3    // timing passes per pool size, taking turns
)

// PoolRun is the default demo from Play to its collapse banner with a pool
// of Workers engine workers. The frame fields come from a second pass of
// the same demo with the frame probe running (framePass).
type PoolRun struct {
	Workers       int       `json:"workers"`
	BannerMs      float64   `json:"banner_ms"` // from the click on Play to the banner: the median of the rounds
	BannerRounds  []float64 `json:"banner_rounds_ms"`
	BannerStep    int       `json:"banner_step"` // what the step counter showed then (the latest of the rounds)
	StepMs        []float64 `json:"step_ms"`     // the status line's "s / step", at each change
	MedianStepMs  float64   `json:"median_step_ms"`
	MaxFrameGapMs float64   `json:"max_frame_gap_ms"` // between requestAnimationFrame callbacks, Play to banner
	FramesOver100 int       `json:"frames_over_100ms"`
	Frames        int       `json:"frames"`
	Status        string    `json:"status"` // the status line at the banner
}

// bannerJS watches the page for the collapse banner and the status line's
// step time, and clicks Play; with the frame probe (probeJS) running, it
// keeps the probe's numbers at the banner.
const bannerJS = `(() => {
  const b = window.__bench = {t0: 0, banner: 0, step: 0, stepMs: [], gap: 0, over100: 0, frames: 0, status: ""};
  const st = document.querySelector(".engine");
  let last = "";
  new MutationObserver(() => {
    if (!b.t0 || b.banner) return;
    const s = st.textContent;
    if (s !== last) {
      last = s;
      const m = /([\d.]+) s \/ step/.exec(s);
      if (m) b.stepMs.push(Number(m[1]) * 1000);
    }
    const el = document.querySelector('[data-testid="collapse-banner"]');
    if (el && el.textContent.startsWith("Your run")) {
      b.banner = performance.now() - b.t0;
      b.step = Number(document.querySelector('[data-testid="step-count"]').textContent);
      b.status = s;
      const p = window.__probe;
      if (p) { b.gap = p.maxGap; b.over100 = p.over100; b.frames = p.frames; }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  b.t0 = performance.now();
  document.querySelector('[data-testid="play"]').click();
  return true;
})()`

// bannerPass loads the default demo with k engine workers, clicks Play and
// waits for the collapse banner; with probe, the frame probe runs from Play.
func bannerPass(p *page, k int, probe bool) PoolRun {
	t := p.t
	t.Helper()
	p.goTo(fmt.Sprintf("/#v=1&model=base-rho50&recipe=opsd-rkl&seed=1&workers=%d", k)) // the default demo
	p.reload()
	p.wait(`!` + q("play") + `.disabled && document.querySelector(".engine").textContent.startsWith("engine ready")`)
	if k > 1 {
		p.wait(fmt.Sprintf(`document.querySelector(".engine").textContent.includes("· %d workers")`, k))
	}
	time.Sleep(time.Second) // the examples and the initial evaluation settle
	if probe {
		js[bool](p, probeJS)
	}
	js[bool](p, bannerJS)
	p.wait(`window.__bench.banner > 0`)
	var b struct {
		Banner  float64   `json:"banner"`
		Step    int       `json:"step"`
		StepMs  []float64 `json:"stepMs"`
		Gap     float64   `json:"gap"`
		Over100 int       `json:"over100"`
		Frames  int       `json:"frames"`
		Status  string    `json:"status"`
	}
	raw := js[string](p, `JSON.stringify(window.__bench)`)
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatal(err)
	}
	p.click("pause")
	p.wait(transportState + ` == "paused"`)
	return PoolRun{Workers: k, BannerMs: b.Banner, BannerStep: b.Step, StepMs: b.StepMs, MedianStepMs: medianOf(b.StepMs),
		MaxFrameGapMs: b.Gap, FramesOver100: b.Over100, Frames: b.Frames, Status: b.Status}
}

// The default collapse demo (/: opsd-rkl on rho 0.5, seed 1) with one
// engine worker and then with two (both cores here), in the same run: the
// time from Play to the collapse banner, the step the counter shows then,
// the status line's time per step, and the longest gap between animation
// frames. The banner shows by step 40 with the pool, in ≤ 0.65× the time
// of one worker, with no frame gap over 100 ms. The pool sizes take turns
// for bannerRounds rounds (COPSD_BANNER_ROUNDS), and the ratio is that of
// the medians: a single pass on a shared machine ranges ±15%. The frames
// are counted in a pass of their own: the probe's requestAnimationFrame
// loop makes the browser draw sixty frames a second, which the lab never
// asks for, and with every core training that drawing would come out of
// the banner's time. COPSD_BENCH_OUT names a JSON file for the
// measurements (make bench's table reads it).
func TestCollapseBannerWithThePool(t *testing.T) {
	requireTiming(t)
	rounds := bannerRounds
	if n, err := strconv.Atoi(os.Getenv("COPSD_BANNER_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	p := open(t, 1280, 800, time.Duration(5+3*rounds)*time.Minute)
	runs := []PoolRun{{Workers: 1}, {Workers: 2}}
	for round := range rounds {
		for i := range runs {
			r := bannerPass(p, runs[i].Workers, false)
			t.Logf("round %d, workers=%d: banner %.1f s after Play at step %d", round+1, r.Workers, r.BannerMs/1000, r.BannerStep)
			runs[i].BannerRounds = append(runs[i].BannerRounds, r.BannerMs)
			runs[i].BannerStep = max(runs[i].BannerStep, r.BannerStep)
			runs[i].StepMs = append(runs[i].StepMs, r.StepMs...)
			runs[i].Status = r.Status
		}
	}
	for i := range runs {
		r := &runs[i]
		r.BannerMs, r.MedianStepMs = medianOf(r.BannerRounds), medianOf(r.StepMs)
		f := bannerPass(p, r.Workers, true)
		r.MaxFrameGapMs, r.FramesOver100, r.Frames = f.MaxFrameGapMs, f.FramesOver100, f.Frames
		t.Logf("workers=%d: banner %.1f s after Play (median of %d rounds), by step %d; %.0f ms / step (median of the status line); %q; with the frame probe: banner %.1f s, longest frame gap %.0f ms (%d over 100 ms in %d frames)",
			r.Workers, r.BannerMs/1000, rounds, r.BannerStep, r.MedianStepMs, r.Status, f.BannerMs/1000, r.MaxFrameGapMs, r.FramesOver100, r.Frames)
	}
	if out := os.Getenv("COPSD_BENCH_OUT"); out != "" {
		b, _ := json.MarshalIndent(runs, "", "  ")
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	one, pool := runs[0], runs[1]
	t.Logf("workers=2 / workers=1: banner %.2f×, step time %.2f×", pool.BannerMs/one.BannerMs, pool.MedianStepMs/one.MedianStepMs)
	// Each round's own ratio too: its two passes ran back to back, under the
	// same load, so on a busy host they drift least (logged, not asserted).
	var paired []float64
	for i := range min(len(one.BannerRounds), len(pool.BannerRounds)) {
		paired = append(paired, pool.BannerRounds[i]/one.BannerRounds[i])
	}
	t.Logf("per round: %.2f×, median %.2f×", paired, medianOf(paired))
	if pool.BannerStep > bannerStepBudget {
		t.Errorf("with 2 workers the banner showed at step %d, want ≤ %d", pool.BannerStep, bannerStepBudget)
	}
	if pool.BannerMs > bannerRatioBudget*one.BannerMs {
		t.Errorf("with 2 workers the banner took %.1f s, more than %.2f× the %.1f s of one worker", pool.BannerMs/1000, bannerRatioBudget, one.BannerMs/1000)
	}
	if pool.MaxFrameGapMs > frameGapBudget {
		t.Errorf("a gap of %.0f ms between frames while training with 2 workers, want ≤ %d", pool.MaxFrameGapMs, frameGapBudget)
	}
}

func medianOf(xs []float64) float64 {
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
