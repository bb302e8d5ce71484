//go:build !wasm

package browsertest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/core/report"
)

// committedBundle writes a tar of the committed report (assets/report's
// report.md and runs) and returns its path.
func committedBundle(t *testing.T) string {
	t.Helper()
	root := filepath.Join("..", "..", "assets", "report")
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	add := func(name, path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		w.Write(data)
	}
	add("report/report.md", filepath.Join(root, "report.md"))
	for _, j := range report.FullJobs(3, nil) {
		add("report/runs/"+j.Name()+".json", filepath.Join(root, "runs", j.Name()+".json"))
	}
	w.Close()
	path := filepath.Join(t.TempDir(), "report.tar")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const reproRows = `document.querySelectorAll('[data-testid="reproduce-row"]')`

// #v=1&view=reproduce opens the Reproduce view with the suite's rows; the
// committed report's bundle imports into it, fills its claims, and exports
// again as assets/report's report.md and runs byte for byte; a finished
// row opens its run in the lab.
func TestReproduceViewImportsAndExportsTheReport(t *testing.T) {
	p := open(t, 1280, 900, 3*time.Minute)
	dir := p.downloadsTo()
	p.goTo("/#v=1&view=reproduce&suite=full&seeds=3")
	p.wait(reproRows + `.length === 33`)
	if got := js[string](p, reproRows+`[0].dataset.recipe + " " + `+reproRows+`[0].dataset.model + " " + `+reproRows+`[0].dataset.seed + " " + `+reproRows+`[0].dataset.status`); got != "opsd-rkl base-rho50 1 queued" {
		t.Errorf("first row %q", got)
	}
	for _, id := range []string{"reproduce-start", "reproduce-stop", "reproduce-suite", "reproduce-progress", "reproduce-export"} {
		if !js[bool](p, q(id)+` !== null`) {
			t.Errorf("no %s", id)
		}
	}
	p.wait(q("reproduce-storage") + `.textContent.includes("keeps")`)

	if err := chromedp.Do(p.ctx, chromedp.SetUploadFiles(chromedp.CSS(tid("reproduce-import")), []string{committedBundle(t)})); err != nil {
		t.Fatal(err)
	}
	p.wait(`document.querySelectorAll('[data-status="done"]').length === 33`)
	claims := js[[]string](p, `[...document.querySelectorAll('[data-testid="reproduce-claim"]')].map((e) => e.dataset.asserted + " " + e.dataset.holds)`)
	if len(claims) == 0 {
		t.Fatal("no claims")
	}
	for i, c := range claims {
		if c == "yes no" {
			t.Errorf("asserted claim %d does not hold", i)
		}
		if c != "yes yes" && c != "no yes" && c != "no no" {
			t.Errorf("claim %d: asserted/holds %q", i, c)
		}
	}

	files := checkSuiteView(p, report.FullJobs(1, nil), dir)
	root := filepath.Join("..", "..", "assets", "report")
	want, _ := os.ReadFile(filepath.Join(root, "report.md"))
	if !bytes.Equal(files["report.md"], want) {
		t.Errorf("the exported report.md differs from assets/report/report.md:\n%s", files["report.md"])
	}
	for _, j := range report.FullJobs(3, nil) {
		want, _ := os.ReadFile(filepath.Join(root, "runs", j.Name()+".json"))
		if !bytes.Equal(files["runs/"+j.Name()+".json"], want) {
			t.Errorf("runs/%s.json differs from the committed run", j.Name())
		}
	}

	// A cell, from the keyboard, opens its run in the lab, on show.
	cell := `a[data-testid="reproduce-cell"][data-model="base-rho0"][data-recipe="copsd"][data-metric="helpfulness"]`
	if err := chromedp.Do(p.ctx, chromedp.Focus(chromedp.CSS(cell))); err != nil {
		t.Fatal(err)
	}
	p.press(kb.Enter)
	p.wait(q("reproduce") + ` === null && ` + q("play") + ` !== null`)
	p.wait(`document.querySelector('.runs .chip.on, .runs select option:checked:not([value=""])') !== null`)
	if got := js[string](p, `(document.querySelector('.runs .chip.on') || document.querySelector('.runs select option:checked')).textContent`); !strings.Contains(got, "copsd") || !strings.Contains(got, "base-rho0") || !strings.Contains(got, "seed 1") {
		t.Errorf("the cell opened %q", got)
	}
	if h := js[string](p, `location.hash`); !strings.Contains(h, "recipe=copsd") || !strings.Contains(h, "model=base-rho0") || strings.Contains(h, "view=reproduce") {
		t.Errorf("the cell's run set the lab to %s", h)
	}
	p.click("reproduce-open-view")
	p.wait(`document.querySelectorAll('[data-status="done"]').length === 33`)

	p.click("reproduce-open")
	p.wait(q("reproduce") + ` === null && ` + q("play") + ` !== null`)
	if h := js[string](p, `location.hash`); !bytes.Contains([]byte(h), []byte("recipe=opsd-rkl")) || !bytes.Contains([]byte(h), []byte("model=base-rho50")) || !bytes.Contains([]byte(h), []byte("seed=1&")) {
		t.Errorf("the lab opened %s", h)
	}
}

// nativeRun is job's run as copsd run -json writes it, computed natively
// by a lab engine's whole run (core/cmd/copsd's TestLabWholeRunIsCopsdRunJSON
// holds it equal to copsd run -json byte for byte).
func nativeRun(t *testing.T, j report.Job, steps int) []byte {
	t.Helper()
	e := lab.New()
	ckpt, err := os.ReadFile(filepath.Join("..", "..", "assets", "models", j.Model+".ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(j.Model, ckpt); err != nil {
		t.Fatal(err)
	}
	cfg, err := j.Config(steps)
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.StartWhole(lab.RunSpec{Model: j.Model, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		if _, done, err = w.Step(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The quick suite, shortened by the link (rsteps), runs in the tab's
// engine workers; a reload after its first run keeps that run and resumes
// the rest; its rows, its claims and its export agree with the native runs
// bit for bit.
func TestReproduceQuickSuiteMatchesTheCLI(t *testing.T) {
	const steps = 2
	p := open(t, 1280, 900, 12*time.Minute)
	dir := p.downloadsTo()
	link := fmt.Sprintf("/#v=1&view=reproduce&rsteps=%d&workers=2", steps)
	p.goTo(link)
	p.wait(reproRows + `.length === 3 && !` + q("reproduce-start") + `.disabled`)
	p.click("reproduce-start")
	p.waitSuite(`document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]').length >= 1`)
	done := js[[]string](p, `[...document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]')].map((e) => e.dataset.model + "-" + e.dataset.recipe)`)

	// Reload: the finished runs are still there, the suite resumes.
	if err := chromedp.Do(p.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	p.wait(`performance.getEntriesByName("copsd-first-render").length > 0`)
	p.wait(reproRows + `.length === 3 && !` + q("reproduce-start") + `.disabled`)
	p.wait(fmt.Sprintf(`document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]').length >= %d`, len(done)))
	if got := js[[]string](p, `[...document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]')].map((e) => e.dataset.model + "-" + e.dataset.recipe)`); fmt.Sprint(got) != fmt.Sprint(done) {
		t.Errorf("after the reload, done %v; before, %v", got, done)
	}
	p.click("reproduce-start")
	p.waitSuite(`document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]').length === 3`)
	if failed := js[string](p, `(document.querySelector('.reproduce .notice.error') || {textContent: ""}).textContent`); failed != "" {
		t.Errorf("the view says %q", failed)
	}

	files := checkSuiteView(p, report.QuickJobs(1), dir)
	suite := &report.Suite{}
	for _, j := range report.QuickJobs(1) {
		want := nativeRun(t, j, steps)
		if !bytes.Equal(files["runs/"+j.Name()+".json"], want) {
			t.Errorf("%s: the tab's run differs from the native run", j.Name())
		}
		var rep distill.Report
		if err := json.Unmarshal(want, &rep); err != nil {
			t.Fatal(err)
		}
		rho := 0.5
		if j.Model == "base-rho0" {
			rho = 0
		}
		suite.Runs = append(suite.Runs, report.Run{Model: j.Model, Rho: rho, Report: &rep})
	}
	suite.Settle("assets/report")
	var md bytes.Buffer
	if err := suite.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["report.md"], md.Bytes()) {
		t.Errorf("the tab's report.md differs from the native one:\n%s", files["report.md"])
	}
	var holds []string
	for _, c := range report.Claims(suite) {
		holds = append(holds, map[bool]string{true: "yes", false: "no"}[c.Holds])
	}
	shown := js[[]string](p, `[...document.querySelectorAll('[data-testid="reproduce-claim"]')].map((e) => e.dataset.holds)`)
	if fmt.Sprint(shown) != fmt.Sprint(holds) {
		t.Errorf("claims shown %v, native %v", shown, holds)
	}
}

// waitSuite waits for cond, saying every 20 s where the suite stands.
func (p *page) waitSuite(cond string) {
	p.t.Helper()
	start := time.Now()
	for last := start; ; {
		if js[bool](p, "!!("+cond+")") {
			p.t.Logf("after %.0f s: %s", time.Since(start).Seconds(), js[string](p, suiteState))
			return
		}
		if time.Since(last) > 20*time.Second {
			last = time.Now()
			p.t.Logf("after %.0f s: %s", time.Since(start).Seconds(), js[string](p, suiteState))
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("waiting for %s: %v (%s)", cond, p.ctx.Err(), js[string](p, suiteState))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var suiteState = `[...document.querySelectorAll('[data-testid="reproduce-row"]')].map((e) => e.dataset.recipe + "/" + e.dataset.model + " " + e.dataset.status + " " + e.querySelector("progress").value).join(", ") + " | " + ` + q("reproduce-progress") + `.textContent + " | " + (document.querySelector('.reproduce .notice') || {textContent: ""}).textContent`

// The lab and a suite share the engine workers: starting the suite while
// the lab plays is refused, and so is Play while the suite runs, each with
// a message that says why and what to do; Reset waits for the suite; once
// the suite stops, the run is set up and Play plays.
func TestLabAndSuiteTakeTurnsWithTheEngineWorkers(t *testing.T) {
	p := open(t, 1280, 900, 4*time.Minute)
	p.goTo("/#v=1&steps=400&rsteps=40&workers=2")
	p.wait(`!` + q("play") + `.disabled`)
	p.click("play")
	p.wait(transportState + ` == "playing"`)
	p.click("reproduce-open-view")
	p.wait(reproRows + `.length === 3 && !` + q("reproduce-start") + `.disabled`)
	p.click("reproduce-start")
	p.wait(`(document.querySelector('.reproduce .notice.error') || {textContent: ""}).textContent.includes("The lab is training its run")`)
	if n := js[int](p, `document.querySelectorAll('[data-testid="reproduce-row"]:not([data-status="queued"])').length`); n != 0 {
		t.Errorf("%d runs of the suite started while the lab played", n)
	}

	p.click("reproduce-back")
	p.wait(q("pause") + ` !== null && !` + q("pause") + `.disabled`)
	p.click("pause")
	p.wait(transportState + ` == "paused"`)
	p.click("reproduce-open-view")
	p.wait(q("reproduce-start") + ` !== null`)
	p.click("reproduce-start")
	p.wait(`document.querySelectorAll('[data-testid="reproduce-row"][data-status="running"]').length > 0`)
	if e := js[string](p, `(document.querySelector('.reproduce .notice.error') || {textContent: ""}).textContent`); e != "" {
		t.Errorf("the suite says %q after the lab paused", e)
	}
	// The dynamics charts draw a run while it trains, from its evaluations.
	p.wait(`document.querySelectorAll('[data-testid="chart-suite-over-refusal"] polyline').length > 0`)
	if n := js[int](p, `document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]').length`); n != 0 {
		t.Errorf("%d runs done: the chart was to draw a run in progress", n)
	}
	js[bool](p, `(document.querySelector(".reproduce-charts").scrollIntoView(), true)`)
	p.screenshot("reproduce-running-figures.png")

	p.click("reproduce-back")
	p.wait(q("engine-busy") + ` !== null && !` + q("play") + `.disabled`)
	step := p.stepCount()
	p.click("play")
	p.wait(`[...document.querySelectorAll('[role="alert"]')].some((e) => e.textContent.includes("A reproduce suite is using the engine workers"))`)
	time.Sleep(time.Second)
	if st, n := js[string](p, transportState), p.stepCount(); st == "playing" || n != step {
		t.Errorf("the lab played while the suite ran: %s, step %d after %d", st, n, step)
	}
	p.screenshot("engines-busy-lab.png")
	// Reset waits for the suite too: the run is set up once it stops.
	p.click("reset")
	p.wait(`[...document.querySelectorAll('[role="alert"]')].some((e) => e.textContent.includes("sets this run up as soon as the suite stops"))`)

	p.click("reproduce-open-view")
	p.wait(q("reproduce-stop") + ` !== null && !` + q("reproduce-stop") + `.disabled`)
	p.click("reproduce-stop")
	p.wait(`document.querySelectorAll('[data-testid="reproduce-row"][data-status="running"]').length === 0`)
	p.click("reproduce-back")
	// The lab's view renders after the click: its Play button, then not busy.
	p.wait(q("play") + ` !== null && ` + q("engine-busy") + ` === null && !` + q("play") + `.disabled`)
	p.click("play")
	p.wait(transportState + ` == "playing"`)
}

// The Reproduce view, with the committed report imported, fits a laptop's
// screen and a phone's: nothing but the tables' own scroll boxes is wider
// than the screen, and every chart gets a readable width. With
// COPSD_SCREENSHOTS set it saves the whole page at each size.
func TestReproduceViewFitsLaptopAndPhone(t *testing.T) {
	for _, size := range [][2]int{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			p := open(t, size[0], size[1], 2*time.Minute)
			p.goTo("/#v=1&view=reproduce&suite=full&seeds=3")
			if err := chromedp.Do(p.ctx, chromedp.SetUploadFiles(chromedp.CSS(tid("reproduce-import")), []string{committedBundle(t)})); err != nil {
				t.Fatal(err)
			}
			p.wait(`document.querySelectorAll('[data-status="done"]').length === 33 && document.querySelectorAll('[data-testid="chart-suite-length"] polyline').length > 0 && ` + q("chart-suite-pareto") + ` !== null`)
			if w := js[[]int](p, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
				t.Errorf("the page is %d px wide on a %d px screen", w[0], w[1])
			}
			// Wider than its box: the offenders, outside the scroll boxes.
			wide := js[[]string](p, `[...document.querySelectorAll('.reproduce *')].filter((e) => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 5).map((e) => e.tagName + "." + e.className)`)
			if len(wide) > 0 {
				t.Errorf("sticking out of the screen: %v", wide)
			}
			// On a phone each claim stacks its cells under its name: nothing
			// to scroll sideways for.
			if w := js[[]int](p, `((b) => [b.scrollWidth, b.clientWidth])(document.querySelector(".reproduce-claims-block .table-scroll"))`); size[0] < 500 && w[0] > w[1] {
				t.Errorf("the claims are %d px wide in a %d px box", w[0], w[1])
			}
			// Each chart takes most of a phone's width, and its axis labels
			// are drawn at 10 px or more.
			minW := min(0.8*float64(size[0]), 400)
			for _, id := range []string{"chart-suite-over-refusal", "chart-suite-entropy", "chart-suite-length", "chart-suite-pareto"} {
				if w := js[float64](p, q(id)+`.getBoundingClientRect().width`); w < minW {
					t.Errorf("%s is %.0f px wide, want at least %.0f", id, w, minW)
				}
				px := js[float64](p, `((s) => parseFloat(getComputedStyle(s.querySelector("text")).fontSize) * s.getBoundingClientRect().width / s.viewBox.baseVal.width)(`+q(id)+`)`)
				if px < 10 {
					t.Errorf("%s: axis labels %.1f px tall on screen, want 10 or more", id, px)
				}
			}
			if dir := os.Getenv("COPSD_SCREENSHOTS"); dir != "" {
				shots := map[string]chromedp.Action[[]byte]{
					"page":    chromedp.FullScreenshot(100), // quality 100: a PNG
					"tables":  chromedp.Screenshot(chromedp.CSS(".reproduce-tables")),
					"figures": chromedp.Screenshot(chromedp.CSS(".reproduce-charts")),
					"claims":  chromedp.Screenshot(chromedp.CSS(".reproduce-claims-block")),
				}
				for name, shot := range shots {
					png, err := chromedp.Run(p.ctx, shot)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("reproduce-%s-%dx%d.png", name, size[0], size[1])), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// checkSuiteView checks what the Reproduce view shows of a suite of jobs
// (one seed's): a line per recipe on a model in each dynamics chart, a
// bubble per recipe and per base model in the Pareto plot, and every number
// of its tables a link to its run. It returns the files of the view's
// export (exportSuite).
func checkSuiteView(p *page, jobs []report.Job, dir string) map[string][]byte {
	t := p.t
	t.Helper()
	curves := map[string]bool{}
	for _, j := range jobs {
		curves[j.Model+" "+j.Recipe] = true
	}
	for _, id := range []string{"chart-suite-over-refusal", "chart-suite-entropy", "chart-suite-length"} {
		p.wait(fmt.Sprintf(`document.querySelectorAll('[data-testid=%q] polyline').length === %d`, id, len(curves)))
	}
	if n := js[int](p, `document.querySelectorAll('[data-testid="chart-suite-pareto"] circle').length`); n != len(curves)+2 {
		t.Errorf("%d bubbles in the Pareto plot, want %d recipes and 2 bases", n, len(curves))
	}
	if got := js[[]int](p, `[[...document.querySelectorAll('.reproduce-table td')].filter((e) => e.textContent !== "–").length, document.querySelectorAll('.reproduce-table td > a[data-testid="reproduce-cell"][href]').length]`); got[0] == 0 || got[0] != got[1] {
		t.Errorf("%d of %d cells with a number link to a run", got[1], got[0])
	}
	return exportSuite(p, dir)
}

// exportSuite clicks the Reproduce view's export and returns the files of
// the tar it downloads into dir, by name.
func exportSuite(p *page, dir string) map[string][]byte {
	p.t.Helper()
	p.click("reproduce-export")
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(p.download(dir, "*.tar")))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	return files
}
