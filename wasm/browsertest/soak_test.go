//go:build !wasm

package browsertest

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBrowserSoak is the browser half of `make soak`: the lab's default run
// for COPSD_SOAK_BROWSER steps (2,000 in `make soak`) in Chromium on the
// full pool of engine workers, at the fastest speed. Every step stays
// finite (a non-finite step pauses the run with a warning, which fails the
// soak), and after warm-up (the first 5% of the steps) neither the
// trainer's WebAssembly memory nor its live Go heap nor the page's
// JavaScript heap grows by 10% or more.
func TestBrowserSoak(t *testing.T) {
	steps, _ := strconv.Atoi(os.Getenv("COPSD_SOAK_BROWSER"))
	if steps == 0 {
		t.Skip("set COPSD_SOAK_BROWSER=steps (make soak uses 2000)")
	}
	p := open(t, 1280, 800, 3*time.Hour)
	p.goTo("/#v=1&model=base-rho50&recipe=opsd-rkl&seed=1&steps=" + strconv.Itoa(steps))
	p.wait(`!` + q("play") + `.disabled`)
	status := js[string](p, `document.querySelector(".engine").textContent`)
	start := time.Now()
	p.click("play")
	type sample struct {
		step          int
		heap, sys, js float64
	}
	read := func() sample {
		var s sample
		s.step = p.stepCount()
		f := strings.Fields(js[string](p, `document.querySelector(".engine").dataset.memory || ""`))
		if len(f) == 2 {
			s.heap, _ = strconv.ParseFloat(f[0], 64)
			s.sys, _ = strconv.ParseFloat(f[1], 64)
		}
		s.js = js[float64](p, `performance.memory ? performance.memory.usedJSHeapSize : 0`)
		return s
	}
	warm := max(steps/20, 100)
	var w, last sample
	for {
		time.Sleep(2 * time.Second)
		st := js[string](p, transportState)
		s := read()
		if w.sys == 0 && s.step >= warm+100 && s.sys > 0 {
			w = s // the first measurement after warm-up
			t.Logf("warm: step %d, wasm %.1f MB, live heap %.1f MB, page JS heap %.1f MB", s.step, s.sys/1e6, s.heap/1e6, s.js/1e6)
		}
		if n := s.step; n/500 != last.step/500 {
			t.Logf("step %d after %.0fs: wasm %.1f MB, live heap %.1f MB, page JS heap %.1f MB", n, time.Since(start).Seconds(), s.sys/1e6, s.heap/1e6, s.js/1e6)
		}
		last = s
		if st == "paused" {
			break
		}
	}
	if last.step != steps {
		t.Fatalf("the soak stopped at step %d of %d: %s", last.step, steps, js[string](p, `(document.querySelector("[role=alert]")||{}).textContent || ""`))
	}
	t.Logf("%d steps in %.0fs on %s", steps, time.Since(start).Seconds(), status)
	for _, m := range []struct {
		name     string
		from, to float64
	}{{"the trainer's WebAssembly memory", w.sys, last.sys}, {"the trainer's live Go heap", w.heap, last.heap}, {"the page's JavaScript heap", w.js, last.js}} {
		g := m.to/m.from - 1
		t.Logf("%s: %.1f MB after warm-up, %.1f MB at the end: %+.1f%%", m.name, m.from/1e6, m.to/1e6, 100*g)
		if g >= 0.10 {
			t.Errorf("%s grew by %.1f%% after warm-up (want < 10%%)", m.name, 100*g)
		}
	}
}
