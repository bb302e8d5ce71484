//go:build !wasm

package browsertest

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/chromedp"
)

// TestBrowserSoak is the browser half of `make soak`: the lab's default run
// for COPSD_SOAK_BROWSER steps (2,000 in `make soak`) in Chromium on the
// pool of two engine workers (the trainer and a helper, so the pool's
// messages are soaked too), at the fastest speed. Every step stays finite
// (a non-finite step pauses the run with a warning, which fails the soak),
// and after warm-up (the first 5% of the steps) the memory of the page and
// its trainer — both WebAssembly memories and the page's JavaScript heap
// after a collection — grows by less than 10%. The parts are logged, the
// trainer's live Go heap too.
func TestBrowserSoak(t *testing.T) {
	steps, _ := strconv.Atoi(os.Getenv("COPSD_SOAK_BROWSER"))
	if steps == 0 {
		t.Skip("set COPSD_SOAK_BROWSER=steps (make soak uses 2000)")
	}
	p := open(t, 1280, 800, 3*time.Hour)
	p.goTo("/#v=1&model=base-rho50&recipe=opsd-rkl&seed=1&workers=2&steps=" + strconv.Itoa(steps))
	p.wait(`!` + q("play") + `.disabled`)
	status := js[string](p, `document.querySelector(".engine").textContent`)
	start := time.Now()
	p.click("play")
	type sample struct {
		step                int
		heap, sys, js, page float64
	}
	read := func() sample {
		var s sample
		s.step = p.stepCount()
		f := strings.Fields(js[string](p, `document.querySelector(".engine").dataset.memory || ""`))
		if len(f) == 2 {
			s.heap, _ = strconv.ParseFloat(f[0], 64)
			s.sys, _ = strconv.ParseFloat(f[1], 64)
		}
		if _, err := chromedp.Call(p.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		s.js = js[float64](p, `performance.memory ? performance.memory.usedJSHeapSize : 0`)
		s.page = js[float64](p, `self.copsdMemory ? self.copsdMemory.buffer.byteLength : 0`)
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
			t.Logf("warm: step %d, trainer wasm %.1f MB (live heap %.1f MB), page wasm %.1f MB, page JS heap %.1f MB", s.step, s.sys/1e6, s.heap/1e6, s.page/1e6, s.js/1e6)
		}
		if n := s.step; n/500 != last.step/500 {
			t.Logf("step %d after %.0fs: trainer wasm %.1f MB (live heap %.1f MB), page wasm %.1f MB, page JS heap %.1f MB", n, time.Since(start).Seconds(), s.sys/1e6, s.heap/1e6, s.page/1e6, s.js/1e6)
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
	}{{"the trainer's WebAssembly memory", w.sys, last.sys}, {"the trainer's live Go heap", w.heap, last.heap},
		{"the page's WebAssembly memory", w.page, last.page}, {"the page's JavaScript heap", w.js, last.js}} {
		t.Logf("%s: %.1f MB after warm-up, %.1f MB at the end: %+.1f%%", m.name, m.from/1e6, m.to/1e6, 100*(m.to/m.from-1))
	}
	from, to := w.sys+w.page+w.js, last.sys+last.page+last.js
	g := to/from - 1
	t.Logf("all together: %.1f MB after warm-up, %.1f MB at the end: %+.1f%%", from/1e6, to/1e6, 100*g)
	if g >= 0.10 {
		t.Errorf("the page's and the trainer's memory grew by %.1f%% after warm-up (want < 10%%)", 100*g)
	}
}
