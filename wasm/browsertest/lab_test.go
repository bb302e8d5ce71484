//go:build !wasm

package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// probeJS records, from now on, the longest gap between animation frames
// and every long task (main-thread work over 50 ms) the browser reports.
const probeJS = `(() => {
  const p = window.__probe = {maxGap: 0, over100: 0, frames: 0, longTasks: [], last: performance.now()};
  function frame(t) {
    const g = t - p.last;
    if (g > p.maxGap) p.maxGap = g;
    if (g > 100) { p.over100++; (p.gapsAt = p.gapsAt || []).push([Math.round(p.last), Math.round(g)]); }
    p.frames++;
    p.last = t;
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
  new PerformanceObserver((l) => { for (const e of l.getEntries()) p.longTasks.push(Math.round(e.duration)); })
    .observe({type: "longtask"});
  return true;
})()`

type probe struct {
	MaxGap    float64 `json:"maxGap"`
	Over100   int     `json:"over100"`
	Frames    int     `json:"frames"`
	LongTasks []int   `json:"longTasks"`
	GapsAt    [][]int `json:"gapsAt"`
}

// transportState is the transport's data-state: playing, starting, pausing
// or paused.
const transportState = `document.querySelector('.transport').dataset.state`

// setField sets a control's value and sends the event the page listens to.
func (p *page) setField(testid, value, event string) {
	p.t.Helper()
	js[bool](p, fmt.Sprintf(`(() => { const e = %s; e.value = %q; e.dispatchEvent(new Event(%q, {bubbles: true})); return true })()`, q(testid), value, event))
}

// chartSteps lists, per chart, whether every step 1..n has a data-step point.
func (p *page) chartSteps(n int) map[string]bool {
	p.t.Helper()
	got := js[map[string]bool](p, fmt.Sprintf(`(() => {
  const out = {};
  for (const id of ["chart-length", "chart-entropy", "chart-kl", "chart-safety"]) {
    const el = document.querySelector('svg[data-testid="' + id + '"]');
    if (!el) { out[id] = false; continue; }
    const s = new Set([...el.querySelectorAll("[data-step]")].map((e) => Number(e.dataset.step)));
    let ok = true;
    for (let i = 1; i <= %d; i++) if (!s.has(i)) ok = false;
    out[id] = ok;
  }
  return out;
})()`, n))
	return got
}

// The page runs 20 steps without freezing, its charts hold the 20 steps,
// a token opens its candidate bars, an unknown word in the constitution is
// named, and the share link reloads the same settings.
func TestLabRunsTwentyStepsAndReplaysItsLink(t *testing.T) {
	p := open(t, 1280, 800, 6*time.Minute)
	p.goTo("/")
	p.wait(`!` + q("play") + `.disabled`)
	p.screenshot("lab-1280-start.png")

	p.setField("constitution", "refuse weapons . refuse hacking . refuse theft . refuse poison . be helpful .", "input")
	stop := `document.querySelector('.transport input[type=number]')`
	js[bool](p, `(() => { const e = `+stop+`; e.value = "20"; e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
	js[bool](p, probeJS)
	start := time.Now()
	p.click("play")
	p.wait(q("step-count") + `.textContent == "20" && ` + transportState + ` == "paused"`)
	elapsed := time.Since(start)
	pr := js[probe](p, `window.__probe`)
	t.Logf("20 steps in %.1fs; frames %d, longest frame gap %.0f ms, gaps over 100 ms %d, long tasks %v",
		elapsed.Seconds(), pr.Frames, pr.MaxGap, pr.Over100, pr.LongTasks)
	t.Logf("gaps at %v", pr.GapsAt)
	if timing(t) {
		if pr.MaxGap > 100 {
			t.Errorf("the main thread stalled: a %.0f ms gap between frames while training (want ≤ 100)", pr.MaxGap)
		}
		for _, d := range pr.LongTasks {
			if d > 100 {
				t.Errorf("a %d ms long task while training (want none over 100 ms)", d)
			}
		}
	}
	// The charts are drawn at the next animation frame after the step lands.
	for tries := 0; ; tries++ {
		missing := ""
		for id, ok := range p.chartSteps(20) {
			if !ok {
				missing += " " + id
			}
		}
		if missing == "" {
			break
		}
		if tries == 40 {
			t.Errorf("charts without a point for each of the 20 steps:%s", missing)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.screenshot("lab-1280-20steps.png")

	// A token opens the mirrored candidate bars, with the number it shows.
	p.click("token")
	p.wait(`document.querySelectorAll('.bars .barrow').length >= 5`)
	shown := js[string](p, q("token")+`.querySelector('.n').textContent`)
	attr := js[string](p, q("token")+`.dataset.divergence`)
	if shown == "" || shown != attr {
		t.Errorf("token shows %q but data-divergence is %q", shown, attr)
	}
	bars := js[string](p, `document.querySelector('.bars').textContent`)
	if !strings.Contains(bars, "p_student") || !strings.Contains(bars, "p_teacher") {
		t.Errorf("candidate bars without exact numbers: %q", bars)
	}
	chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".tokens")))
	p.screenshot("lab-1280-tokens.png")

	// An unknown word is named, with suggestions, and nothing resets.
	p.setField("constitution", "refuse weapons . refuse bananas .", "input")
	p.wait(q("constitution-error") + ` && ` + q("constitution-error") + `.textContent.includes('"bananas"')`)
	if got := p.stepCount(); got != 20 {
		t.Errorf("an invalid constitution reset the run: step %d", got)
	}
	link := js[string](p, q("share-link")+`.href`)
	if !strings.Contains(link, "stop=20") || !strings.Contains(link, "recipe=opsd-rkl") {
		t.Fatalf("share link %q lacks the settings", link)
	}

	// Change a setting, then open the link: its settings come back.
	p.setField("seed", "7", "change")
	p.wait(q("step-count") + `.textContent == "0"`)
	if err := chromedp.Do(p.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	p.goTo(strings.TrimPrefix(link, p.url))
	p.wait(`!` + q("play") + `.disabled`)
	state := js[map[string]string](p, `({seed: `+q("seed")+`.value, recipe: `+q("recipe")+`.value, model: `+q("model")+`.value,
		constitution: `+q("constitution")+`.value, stop: `+stop+`.value, link: `+q("share-link")+`.href})`)
	want := map[string]string{"seed": "1", "recipe": "opsd-rkl", "model": "base-rho50",
		"constitution": "refuse weapons . refuse hacking . refuse theft . refuse poison . be helpful .", "stop": "20", "link": link}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("after reloading the link, %s = %q, want %q", k, state[k], v)
		}
	}
}

// Pause takes effect within one training step; the time is printed.
func TestPauseIsQuick(t *testing.T) {
	requireTiming(t)
	p := open(t, 1280, 800, 4*time.Minute)
	p.goTo("/")
	p.wait(`!` + q("play") + `.disabled`)
	js[bool](p, `(() => {
  window.__pauses = [];
  const el = document.querySelector('.transport');
  new MutationObserver(() => { if (el.dataset.state === "paused" && window.__clicked) { window.__pauses.push(performance.now() - window.__clicked); window.__clicked = 0; } })
    .observe(el, {attributes: true, attributeFilter: ["data-state"]});
  return true;
})()`)
	var worst float64
	for i := range 4 {
		p.click("play")
		p.wait(transportState + ` == "playing" && Number(` + q("step-count") + `.textContent) >= ` + fmt.Sprint(2+3*i))
		time.Sleep(time.Duration(137*i) * time.Millisecond) // land at different points of a step
		js[bool](p, `(() => { window.__clicked = performance.now(); `+q("pause")+`.click(); return true })()`)
		p.wait(transportState + ` == "paused"`)
		d := js[[]float64](p, `window.__pauses`)
		worst = max(worst, d[len(d)-1])
	}
	ms := js[[]float64](p, `window.__pauses`)
	t.Logf("pause latencies (click to the trainer stopping): %.0f ms; worst %.0f ms", ms, worst)
	if worst > 200 {
		t.Errorf("pause took %.0f ms to take effect (want ≤ 200)", worst)
	}
}
