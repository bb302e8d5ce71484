//go:build !wasm

package browsertest

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// teacherLayout lists what overlaps or sticks out in the teacher view: its
// controls must stay in the panel, and a wide table scrolls in its own box
// rather than widening the page.
const teacherLayout = `(() => {
  const panel = document.querySelector(".board").getBoundingClientRect();
  const out = [];
  for (const el of document.querySelectorAll('.teacher .row > *, .teacher .table-scroll, [data-testid="teacher-status"]')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.left < panel.left - 0.5 || r.right > panel.right + 0.5)) out.push((el.dataset.testid || el.className) + " sticks out of the panel");
  }
  const ctl = [...document.querySelectorAll('.teacher .teacher-key > *')].map((el) => [el.dataset.testid || el.tagName, el.getBoundingClientRect()]);
  for (let i = 0; i < ctl.length; i++) for (let j = i + 1; j < ctl.length; j++) {
    const [a, r] = ctl[i], [b, s] = ctl[j];
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left), h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    if (w > 1 && h > 1) out.push(a + " overlaps " + b);
  }
  if (document.documentElement.scrollWidth > innerWidth) out.push("the page is " + document.documentElement.scrollWidth + " px wide in a " + innerWidth + " px window");
  return out;
})()`

const teacherNames = `[...document.querySelectorAll('[data-testid="teacher-row"] td:first-child')].map((td) => td.textContent)`

// The teacher opens the teacher view from the keyboard, claims the class,
// sorts the table by safety with a header button (aria-sort follows), hides
// a rude post, which leaves the board for everyone, and downloads the CSV.
// The view lays out on a laptop and a phone, and axe finds nothing in it.
func TestTeacherView(t *testing.T) {
	p := open(t, 1280, 800, 3*time.Minute)
	p.bypassCSP()
	for i, name := range []string{"Ana", "Ben", "Rude Name", "Dev"} {
		p.postRun("cs-teach", name, []float64{0.7, 0.95, 0.6, 0.8}[i], 0.5+0.1*float64(i), []string{"null", "40", "null", "12"}[i])
	}
	p.goTo("/#v=1&steps=3&class=cs-teach")
	p.wait(q("board-message") + `.textContent == "cs-teach: 4 runs by 4 students."`)

	// Open the details and claim, from the keyboard.
	js[bool](p, `(() => { `+q("teacher-toggle")+`.focus(); return true })()`)
	p.press("\r")
	p.wait(q("teacher-toggle") + `.getAttribute("aria-expanded") == "true" && ` + q("teacher-view"))
	if n := js[int](p, `document.querySelectorAll('[data-testid="teacher-table"]').length`); n != 0 {
		t.Errorf("the table shows before a key: %d", n)
	}
	js[bool](p, `(() => { `+q("teacher-claim")+`.focus(); return true })()`)
	p.press("\r")
	p.wait(q("teacher-newkey") + ` && ` + q("teacher-newkey") + `.textContent.length == 43`)
	p.wait(`document.querySelectorAll('[data-testid="teacher-row"]').length == 4`)
	if got := js[string](p, q("teacher-status")+`.textContent`); !strings.Contains(got, "shown only this once") {
		t.Errorf("status after claiming: %q", got)
	}
	key := js[string](p, q("teacher-newkey")+`.textContent`)

	// Every header sorts by a button that has a name; scope and aria-sort on the th.
	heads := js[[]map[string]string](p, `[...document.querySelectorAll('[data-testid="teacher-table"] thead th')].map((th) => ({scope: th.getAttribute("scope") || "", sort: th.getAttribute("aria-sort") || "", button: th.querySelector("button") ? th.querySelector("button").textContent.trim() : "", text: th.textContent.trim()}))`)
	want := []string{"Name", "Constitution", "Recipe", "Model", "Seed", "Safety", "Helpfulness", "Over-refusal", "Collapse step"}
	if len(heads) != len(want)+1 {
		t.Fatalf("headers %v", heads)
	}
	for i, w := range want {
		if h := heads[i]; h["scope"] != "col" || h["sort"] != "none" || h["button"] != w {
			t.Errorf("header %d: %v, want a %q button in a th scope=col aria-sort=none", i, h, w)
		}
	}
	if h := heads[len(want)]; h["scope"] != "col" || h["text"] != "Actions" {
		t.Errorf("the actions header: %v", h)
	}
	js[bool](p, `(() => { `+q("sort-safety")+`.focus(); return true })()`)
	p.press("\r")
	p.wait(`document.querySelector('[data-testid="sort-safety"]').parentElement.getAttribute("aria-sort") == "descending"`)
	if got := js[[]string](p, teacherNames); strings.Join(got, ",") != "Ben,Dev,Ana,Rude Name" {
		t.Errorf("by safety, highest first: %v", got)
	}
	p.press("\r")
	p.wait(`document.querySelector('[data-testid="sort-safety"]').parentElement.getAttribute("aria-sort") == "ascending"`)
	if got := js[[]string](p, teacherNames); strings.Join(got, ",") != "Rude Name,Ana,Dev,Ben" {
		t.Errorf("by safety, lowest first: %v", got)
	}
	if got := js[string](p, `document.querySelector('[data-testid="teacher-row"]').textContent`); !strings.Contains(got, "refuse weapons . be brief .") || !strings.Contains(got, "none") {
		t.Errorf("a row reads %q", got)
	}

	if vs := p.audit(); len(vs) > 0 {
		for _, v := range vs {
			t.Errorf("axe, teacher view: %s", v)
		}
	}
	if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".teacher-details"))); err != nil {
		t.Fatal(err)
	}
	if bad := js[[]string](p, teacherLayout); len(bad) > 0 {
		t.Errorf("at 1280 × 800: %s", strings.Join(bad, "; "))
	}
	p.screenshot("teacher-1280.png")

	// Hide the rude post: its button is named after it.
	hide := `document.querySelector('[aria-label^="Hide run #3 by Rude Name"]')`
	js[bool](p, `(() => { `+hide+`.focus(); return true })()`)
	p.press("\r")
	p.wait(q("teacher-status") + `.textContent.includes("Run #3 (Rude Name) is hidden from cs-teach's board")`)
	p.wait(`document.querySelectorAll('[data-testid="teacher-row"]').length == 3`)
	p.wait(q("board-message") + `.textContent == "cs-teach: 3 runs by 3 students."`)
	resp, err := http.Get(p.url + "/api/board/cs-teach")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "Rude Name") {
		t.Errorf("the board still lists the hidden run: %s", body)
	}
	req, _ := http.NewRequest("DELETE", p.url+"/api/board/cs-teach/runs/1", nil)
	req.Header.Set("Authorization", "Bearer "+key[:42])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("a wrong key: %v %v", resp, err)
	}

	// The CSV, as the link downloads it.
	if href := js[string](p, q("teacher-csv")+`.getAttribute("href")`); href != "/api/board/cs-teach/runs.csv" {
		t.Errorf("CSV link %q", href)
	}
	resp, err = http.Get(p.url + "/api/board/cs-teach/runs.csv")
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || strings.Count(string(csv), "\n") != 4 || strings.Contains(string(csv), "Rude Name") {
		t.Errorf("CSV: %q %s", resp.Header.Get("Content-Type"), csv)
	}

	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	p.wait(`innerWidth == 390`)
	if err := chromedp.Do(p.ctx, chromedp.ScrollIntoView(chromedp.CSS(".teacher-details"))); err != nil {
		t.Fatal(err)
	}
	if bad := js[[]string](p, teacherLayout); len(bad) > 0 {
		t.Errorf("at 390 × 844: %s", strings.Join(bad, "; "))
	}
	p.screenshot("teacher-390.png")
	js[bool](p, `(() => { `+q("teacher-table")+`.scrollIntoView({block: "center"}); return true })()`)
	p.screenshot("teacher-390-table.png")
}
