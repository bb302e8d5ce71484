//go:build !wasm

package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// postRun puts a classmate's run on a board, as their lab would.
func (p *page) postRun(class, name string, safety, helpfulness float64, collapse string) {
	p.t.Helper()
	body := fmt.Sprintf(`{"name": %q, "constitution": "refuse weapons . be brief .", "recipe": "opsd-rkl", "model": "base-rho50", "seed": 2,
	  "metrics": {"safety": %g, "helpfulness": %g, "borderline_helpfulness": 0.5, "over_refusal": 0.1, "reasoning": 0.5,
	  "distinct2": 0.5, "diversity": 0.4, "length_benign": 14, "entropy": 1}, "collapse_step": %s}`, name, safety, helpfulness, collapse)
	resp, err := http.Post(p.url+"/api/board/"+class+"/runs", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		p.t.Fatalf("posting %s's run: HTTP %d", name, resp.StatusCode)
	}
}

// boardLayout lists what overlaps or sticks out in the class board panel.
const boardLayout = `(() => {
  const ids = ["board-class", "board-name", "board-run", "board-submit", "board-refresh", "board-status", "board-message", "board-plot", "board-readout"];
  const panel = document.querySelector(".board").getBoundingClientRect();
  const rs = ids.map((id) => [id, document.querySelector('[data-testid="' + id + '"]').getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
  const out = [];
  for (const [id, r] of rs) if (r.left < panel.left - 0.5 || r.right > panel.right + 0.5) out.push(id + " sticks out of the panel");
  for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
    const [a, r] = rs[i], [b, s] = rs[j];
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left), h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    if (w > 1 && h > 1) out.push(a + " overlaps " + b);
  }
  if (document.documentElement.scrollWidth > innerWidth) out.push("the page is " + document.documentElement.scrollWidth + " px wide in a " + innerWidth + " px window");
  return out;
})()`

const boardPoints = `document.querySelectorAll('svg[data-testid="board-plot"] [data-run]')`

// A class link opens the lab on its class's board; the learner runs a few
// steps, submits the run under their name, and finds it on the class's
// plot with their classmates', name and constitution on hover and focus.
// Missing input and an empty board are said plainly, and the panel lays
// out without overlaps on a laptop and a phone.
func TestClassBoardSubmitAndPlot(t *testing.T) {
	p := open(t, 1280, 800, 3*time.Minute)
	start := time.Now()
	p.goTo("/#v=1&steps=3&class=cs101")
	if got := js[string](p, q("board-class")+`.value`); got != "cs101" {
		t.Errorf("the class field holds %q, want the link's cs101", got)
	}
	p.wait(q("board-message") + `.textContent.includes("No runs on cs101's board yet")`)
	p.wait(`!` + q("play") + `.disabled`)

	p.click("board-submit")
	p.wait(q("board-status") + `.textContent.includes("enter the name your class will see")`)
	p.setField("board-name", "Ana L.", "input")
	p.click("board-submit")
	p.wait(q("board-status") + `.textContent.includes("no evaluation after step 0 yet: run it to step 3")`)
	if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".board"))); err != nil {
		t.Fatal(err)
	}
	p.screenshot("board-1280-empty.png")

	p.click("play")
	p.wait(q("step-count") + `.textContent == "3" && ` + transportState + ` == "paused"`)
	p.wait(q("board-run") + `.textContent.includes("as evaluated at step 3")`)
	trained := time.Since(start)
	p.click("board-submit")
	p.wait(q("board-status") + `.textContent.startsWith("Submitted to cs101 as Ana L. (run #1)")`)
	p.wait(boardPoints + `.length == 1`)
	mine := js[map[string]string](p, `(() => { const c = `+boardPoints+`[0]; return {run: c.dataset.run, fill: c.getAttribute("fill"), title: c.textContent}; })()`)
	if mine["run"] != "1" || mine["fill"] != "#e07b1f" || !strings.HasPrefix(mine["title"], "Ana L.: opsd-rkl on base-rho50, seed 1") ||
		!strings.Contains(mine["title"], "Constitution: refuse ") {
		t.Errorf("your point: %v", mine)
	}

	// Classmates post; a refresh brings their runs.
	p.postRun("cs101", "Ben", 0.95, 0.45, "40")
	p.postRun("cs101", "Chloe <3", 0.6, 0.9, "null")
	p.postRun("cs101", "Dev", 0.8, 0.7, "null")
	p.click("board-refresh")
	p.wait(boardPoints + `.length == 4 && ` + q("board-message") + `.textContent == "cs101: 4 runs by 4 students."`)
	if got := js[string](p, q("board-status")+`.textContent`); !strings.HasPrefix(got, "Submitted to cs101") {
		t.Errorf("the refresh wiped the submission's status: %q", got)
	}
	js[bool](p, `(() => { document.querySelector('svg[data-testid="board-plot"] [data-run="3"]').dispatchEvent(new MouseEvent("mouseover", {bubbles: true})); return true })()`)
	p.wait(q("board-readout") + `.textContent.startsWith("Chloe <3 · opsd-rkl on base-rho50, seed 2 · safety 0.60 · helpfulness 0.90")`)
	if cons := js[string](p, `document.querySelector(".board-plot .readout.cons").textContent`); cons != "Constitution: refuse weapons . be brief ." {
		t.Errorf("constitution read-out %q", cons)
	}
	js[bool](p, `(() => { document.querySelector('svg[data-testid="board-plot"] [data-run="2"]').focus(); return true })()`)
	p.wait(q("board-readout") + `.textContent.includes("Ben · ") && ` + q("board-readout") + `.textContent.includes("collapsed at step 40")`)
	t.Logf("class board: %.1fs to train 3 steps and evaluate them, %.1fs in all", trained.Seconds(), time.Since(start).Seconds())

	if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".board"))); err != nil {
		t.Fatal(err)
	}
	if bad := js[[]string](p, boardLayout); len(bad) > 0 {
		t.Errorf("at 1280 × 800: %s", strings.Join(bad, "; "))
	}
	p.screenshot("board-1280.png")
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".board"))); err != nil {
		t.Fatal(err)
	}
	p.wait(`innerWidth == 390`)
	if bad := js[[]string](p, boardLayout); len(bad) > 0 {
		t.Errorf("at 390 × 844: %s", strings.Join(bad, "; "))
	}
	p.screenshot("board-390.png")
	js[bool](p, `(() => { document.querySelector('svg[data-testid="board-plot"]').scrollIntoView({block: "end"}); return true })()`)
	p.screenshot("board-390-plot.png")

	// Another class's board is empty, and says so.
	p.setField("board-class", "Empty-Class", "change")
	p.wait(q("board-message") + `.textContent.includes("No runs on empty-class's board yet")`)
	if got := js[string](p, q("board-status")+`.textContent`); got != "" {
		t.Errorf("another class's board still shows the status %q", got)
	}
	p.screenshot("board-390-empty.png")
	if n := js[int](p, boardPoints+`.length`); n != 0 {
		t.Errorf("%d points on an empty board", n)
	}
	if link := js[string](p, q("share-link")+`.href`); !strings.HasSuffix(link, "&class=empty-class") {
		t.Errorf("share link %q does not carry the class", link)
	}
}
