//go:build !wasm

package browsertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/ui/state"
)

// downloadsTo sends the tab's downloads to a new directory.
func (p *page) downloadsTo() string {
	p.t.Helper()
	dir := p.t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		p.t.Fatal(err)
	}
	return dir
}

// download waits for a file matching pattern in dir and returns its bytes.
func (p *page) download(dir, pattern string) []byte {
	p.t.Helper()
	for {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) == 1 {
			if b, err := os.ReadFile(m[0]); err == nil && len(b) > 0 {
				return b
			}
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("no download %s: %v", pattern, p.ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// upload chooses a file in the import control.
func (p *page) upload(path string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.SetUploadFiles(chromedp.CSS(tid("import")), []string{path})); err != nil {
		p.t.Fatal(err)
	}
}

const notice = `(document.querySelector('.notice') || {textContent: ""}).textContent`

// A foreign link keeps the defaults and says so; runs export as JSON and
// charts as SVG; an exported run imports back; a bad file changes nothing
// and says why.
func TestLinksExportAndImport(t *testing.T) {
	p := open(t, 1280, 800, 3*time.Minute)
	dir := p.downloadsTo()
	p.goTo("/#v=1&seed=oops&recipe=grpo")
	p.wait(notice + `.includes("seed")`)
	if got := js[string](p, q("recipe")+`.value + " " + `+q("seed")+`.value`); got != "opsd-rkl 1" {
		t.Errorf("a bad link changed the settings to %q", got)
	}
	p.wait(`!` + q("export-json") + `.disabled`) // an example is on show
	p.click("export-json")
	exported := p.download(dir, "copsd-opsd-rkl-*.json")
	var rep distill.Report
	if err := json.Unmarshal(exported, &rep); err != nil || rep.Recipe != "opsd-rkl" || len(rep.Steps) == 0 {
		t.Fatalf("exported %d bytes: %v %+v", len(exported), err, rep.Recipe)
	}
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(`svg[data-testid="chart-length"]`), chromedp.AtLeast(1)),
		chromedp.Click(chromedp.CSS(`.chart .tiny`))); err != nil {
		t.Fatal(err)
	}
	svg := string(p.download(dir, "copsd-chart-length-*.svg"))
	if !strings.Contains(svg, "<svg") || strings.Count(svg, "data-step=") < 100 || !strings.Contains(svg, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("chart SVG: %d bytes, %d points", len(svg), strings.Count(svg, "data-step="))
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"recipe": "x",`), 0o644)
	shown := js[string](p, `document.querySelector('.runs .chip.on').textContent`)
	p.upload(bad)
	p.wait(notice + `.includes("Could not import bad.json")`)
	if now := js[string](p, `document.querySelector('.runs .chip.on').textContent`); now != shown {
		t.Errorf("a bad import changed the run on show: %q → %q", shown, now)
	}
	good := filepath.Join(t.TempDir(), "mine.json")
	os.WriteFile(good, exported, 0o644)
	p.upload(good)
	p.wait(notice + `.includes("Imported mine.json")`)
	if on := js[string](p, `document.querySelector('.runs .chip.on, .runs select option:checked:not([value=""])').textContent`); !strings.Contains(on, "Imported") {
		t.Errorf("the imported run is not on show: %q", on)
	}
}

// The phone layout has nothing cut off sideways; a hidden tab pauses and
// resumes at the same step; the second model loads only when chosen.
func TestPhoneHiddenTabAndModelOnDemand(t *testing.T) {
	p := open(t, 390, 844, 4*time.Minute)
	p.goTo("/")
	p.wait(`!` + q("play") + `.disabled`)
	p.screenshot("lab-390-start.png")
	if w := js[[]int](p, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %d px wide in a %d px window", w[0], w[1])
	}
	fetched := `performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.includes("/models/")).join(" ")`
	if m := js[string](p, fetched); strings.Contains(m, "base-rho0") || !strings.Contains(m, "base-rho50") {
		t.Errorf("models fetched at start: %s", m)
	}

	p.click("play")
	p.wait(transportState + ` == "playing" && Number(` + q("step-count") + `.textContent) >= 2`)
	hide := func(hidden bool) {
		js[bool](p, `(() => { Object.defineProperty(document, "hidden", {configurable: true, get: () => `+map[bool]string{true: "true", false: "false"}[hidden]+`});
		  document.dispatchEvent(new Event("visibilitychange")); return true })()`)
	}
	hide(true)
	p.wait(transportState + ` == "paused"`)
	at := p.stepCount()
	time.Sleep(1500 * time.Millisecond)
	if now := p.stepCount(); now != at {
		t.Errorf("a hidden tab went on training: step %d → %d", at, now)
	}
	hide(false)
	p.wait(transportState + ` == "playing"`)
	p.wait(`Number(` + q("step-count") + `.textContent) > ` + strconv.Itoa(at))
	p.click("pause")
	p.wait(transportState + ` == "paused"`)
	p.click("token")
	p.wait(`document.querySelector('.bars')`)
	chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(`svg[data-testid="chart-length"]`)))
	p.screenshot("lab-390-charts.png")
	// Down at the charts, scrolled past where the transport sits at the
	// top of the page, Play and the step counter are still on the screen,
	// on top of what scrolls under them.
	onTop := `((e) => { const r = e.getBoundingClientRect(); const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
	  return r.top >= 0 && r.bottom <= innerHeight && at !== null && e.contains(at); })`
	if scrolled, at := js[float64](p, `scrollY`), js[float64](p, `document.querySelector(".brand").getBoundingClientRect().bottom + scrollY`); scrolled < at+60 || !js[bool](p, onTop+`(`+q("play")+`)`) || !js[bool](p, onTop+`(`+q("step-count")+`)`) {
		t.Errorf("scrolled %.0f px down to the charts, Play and the step counter are not in view on top", scrolled)
	}
	chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".bars")))
	p.screenshot("lab-390-tokens.png")
	if w := js[[]int](p, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("after training the page is %d px wide in a %d px window", w[0], w[1])
	}

	js[bool](p, `(() => { const s = `+q("model")+`; s.value = "base-rho0"; s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
	p.wait(`!` + q("play") + `.disabled && ` + q("step-count") + `.textContent == "0"`)
	if m := js[string](p, fetched); !strings.Contains(m, "base-rho0") {
		t.Errorf("choosing rho 0 did not load it: %s", m)
	}
	if link := js[string](p, q("share-link")+`.href`); !strings.Contains(link, "model=base-rho0") {
		t.Errorf("share link %q", link)
	}
}

// The guided sequence: a classroom link opens it; Run waits for a
// prediction; the stage's run plays to its last evaluation and the outcome
// says what happened against what was predicted.
func TestGuidedExperiment(t *testing.T) {
	p := open(t, 1280, 800, 4*time.Minute)
	p.goTo("/#v=1&guide=1")
	p.wait(`!` + q("play") + `.disabled && ` + q("guide-run"))
	if !js[bool](p, q("guide-run")+`.disabled`) {
		t.Error("Run is offered before a prediction")
	}
	js[bool](p, `(() => { [...document.querySelectorAll('[data-testid="guide-predict"]')].find((b) => b.textContent.trim() == "shorter").click(); return true })()`)
	p.wait(`!` + q("guide-run") + `.disabled`)
	p.click("guide-run")
	p.wait(q("guide-run") + `.disabled && ` + transportState + ` == "playing"`)
	p.wait(q("guide-outcome"))
	out := js[string](p, q("guide-outcome")+`.textContent`)
	if !strings.Contains(out, "Benign answers went from") || !strings.Contains(out, "predicted") {
		t.Errorf("outcome: %q", out)
	}
	if n := p.stepCount(); n != state.GuideSteps {
		t.Errorf("the guided run stopped at step %d, want %d", n, state.GuideSteps)
	}
	if !js[bool](p, q("collapse-banner")+` != null`) {
		t.Error("the first experiment shows no collapse banner")
	}
	p.screenshot("guide-1280-outcome.png")
}
