//go:build !wasm

package browsertest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// press sends a key to the focused element, as the keyboard does.
func (p *page) press(key string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.KeyEvent(key)); err != nil {
		p.t.Fatalf("pressing %q: %v", key, err)
	}
}

const activeID = `(document.activeElement && document.activeElement.id) || ""`

// tabStops lists the controls a Tab press can reach: enabled, shown, not
// taken out of the tab order.
const tabStops = `[...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
  .filter((e) => !e.disabled && e.tabIndex >= 0 && e.checkVisibility({visibilityProperty: true}))`

// describe names an element for a test's message.
const describe = `((e) => e ? (e.dataset.testid || e.id || e.getAttribute("aria-label") || e.textContent.trim().slice(0, 30) || e.tagName) : "nothing")`

// Every control is reached by Tab, in turn, with nothing skipped and no
// trap; the token row is one tab stop whose arrow keys move between tokens
// and open each one's bars; the colour switch moves with the arrow keys.
func TestKeyboardReachesEveryControlAndMovesBetweenTokens(t *testing.T) {
	p := open(t, 1280, 800, 3*time.Minute)
	p.goTo("/#v=1&steps=2")
	p.wait(`!` + q("play") + `.disabled`)
	p.click("play")
	p.wait(q("step-count") + `.textContent == "2" && ` + transportState + ` == "paused" && ` + q("token"))
	// Nothing holds the focus at the start; Tab from the top of the page.
	js[bool](p, `(document.activeElement && document.activeElement.blur(), window.__seen = new Set(), true)`)
	stops := js[int](p, tabStops+`.length`)
	for i := 0; i < stops+5; i++ {
		p.press(kb.Tab)
		js[bool](p, `(window.__seen.add(document.activeElement), true)`)
	}
	missed := js[[]string](p, tabStops+`.filter((e) => !window.__seen.has(e)).map(`+describe+`)`)
	if len(missed) > 0 {
		t.Errorf("of %d tab stops, Tab never reached: %s", stops, strings.Join(missed, ", "))
	}
	if n := js[int](p, `document.querySelectorAll('.tokenrow [tabindex="0"]').length`); n != 1 {
		t.Errorf("the token row has %d tab stops, want 1 (a roving tab index)", n)
	}

	// Into the token row from the control before it.
	js[bool](p, `([...document.querySelectorAll('.probes button')].pop().focus(), true)`)
	p.press(kb.Tab)
	if id := js[string](p, activeID); id != "tok-0" {
		t.Fatalf("Tab after the probe prompts lands on %q, want the first token", id)
	}
	n := js[int](p, `document.querySelectorAll('.tokenrow .tok').length`)
	opened := func(want int) {
		t.Helper()
		p.wait(`document.activeElement && document.activeElement.id == "tok-` + strconv.Itoa(want) + `" && ` +
			`document.activeElement.getAttribute("aria-selected") == "true" && document.querySelector('.bars .barhead')`)
		word := js[string](p, `document.activeElement.querySelector('.w').textContent`)
		head := js[string](p, `document.querySelector('.bars .barhead').textContent`)
		if !strings.HasPrefix(head, "“"+word+"”") {
			t.Errorf("token %d (%q) is focused but the bars show %q", want, word, head)
		}
		if tabs := js[[]string](p, `[...document.querySelectorAll('.tokenrow .tok')].filter((e) => e.tabIndex == 0).map((e) => e.id)`); len(tabs) != 1 || tabs[0] != "tok-"+strconv.Itoa(want) {
			t.Errorf("tab stops in the row after moving to token %d: %v", want, tabs)
		}
	}
	p.press(kb.ArrowRight)
	opened(1)
	p.press(kb.ArrowRight)
	opened(2)
	p.press(kb.ArrowLeft)
	opened(1)
	p.press(kb.End)
	opened(n - 1)
	p.press(kb.ArrowRight) // stays on the last
	opened(n - 1)
	p.press(kb.Home)
	opened(0)
	p.screenshot("keyboard-1280-tokens.png")

	// The colour switch: arrows move its choice, and the tokens recolour.
	js[bool](p, `(document.querySelector('.switch [aria-checked="true"]').focus(), true)`)
	p.press(kb.ArrowRight)
	p.wait(`document.activeElement.id == "colour-advantage" && document.activeElement.getAttribute("aria-checked") == "true"`)
	if n := js[int](p, `document.querySelectorAll('.switch [aria-checked="true"]').length`); n != 1 {
		t.Errorf("%d colour choices checked", n)
	}
	// Enter on a focused token opens it too.
	js[bool](p, `(document.getElementById("tok-2").focus(), true)`)
	p.press(kb.Enter)
	p.wait(`document.querySelector('#tok-2[aria-selected="true"]') && document.activeElement.id == "tok-2"`)
}
