//go:build !wasm

package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core as `make axe` installs it (pinned by
// wasm/browsertest/npm/package-lock.json).
const axeSource = "../../build/npm-browsertest/node_modules/axe-core/axe.min.js"

// axeTags are the rule sets of WCAG 2.1 level AA.
const axeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]`

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		html := n.HTML
		if len(html) > 160 {
			html = html[:160] + "…"
		}
		fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, html, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

// bypassCSP lets the tab run axe-core, which the page's Content-Security-
// Policy would refuse as an injected script. It holds from the next load on.
func (p *page) bypassCSP() {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		p.t.Fatal(err)
	}
}

// audit runs axe-core over the whole document at WCAG 2.1 AA and returns
// what it finds.
func (p *page) audit() []axeViolation {
	p.t.Helper()
	if !js[bool](p, `typeof axe === "object"`) {
		src, err := os.ReadFile(axeSource)
		if err != nil {
			p.t.Fatalf("axe-core is not installed (%v): run `make axe`", err)
		}
		if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](string(src)+"\n;true")); err != nil {
			p.t.Fatalf("loading axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {runOnly: {type: "tag", values: `+axeTags+`}, resultTypes: ["violations"]}).then((r) => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("running axe-core: %v", err)
	}
	return out
}

// The page passes axe-core's WCAG 2.1 AA rules with no violation on the
// landing view, after training, with a token's candidate bars open, with the
// guided experiments open, with a class board that holds runs, and on the
// Reproduce view with a report's tables, claims and figures.
func TestAccessibilityAudit(t *testing.T) {
	p := open(t, 1280, 800, 4*time.Minute)
	p.bypassCSP()
	check := func(view string) {
		t.Helper()
		vs := p.audit()
		t.Logf("axe-core, WCAG 2.1 AA, %s: %d violations", view, len(vs))
		for _, v := range vs {
			t.Errorf("%s: %s", view, v)
		}
		if dir := os.Getenv("COPSD_SCREENSHOTS"); dir != "" {
			p.screenshot(filepath.Base("a11y-" + strings.ReplaceAll(view, " ", "-") + ".png"))
		}
	}
	p.postRun("cs101", "Ben", 0.95, 0.45, "40")
	p.goTo("/#v=1&steps=5&class=cs101")
	p.wait(`!` + q("play") + `.disabled && ` + boardPoints + `.length == 1`)
	check("landing view")

	p.click("play")
	p.wait(q("step-count") + `.textContent == "5" && ` + transportState + ` == "paused"`)
	p.wait(`document.querySelectorAll('.log .entries li').length > 0`)
	check("after training")

	p.click("token")
	p.wait(`document.querySelectorAll('.bars .barrow').length >= 5`)
	check("token bars open")

	p.click("guide-toggle")
	p.wait(q("guide-run"))
	check("guide open")

	// The Reproduce view with the committed report imported: its tables
	// with a link in every cell, its claims and its figures.
	p.goTo("/#v=1&view=reproduce&suite=full&seeds=3")
	if err := chromedp.Do(p.ctx, chromedp.SetUploadFiles(chromedp.CSS(tid("reproduce-import")), []string{committedBundle(t)})); err != nil {
		t.Fatal(err)
	}
	p.wait(`document.querySelectorAll('[data-status="done"]').length === 33 && document.querySelectorAll('[data-testid="chart-suite-entropy"] polyline').length > 0 && ` + q("chart-suite-pareto") + ` !== null`)
	check("reproduce view")
}
