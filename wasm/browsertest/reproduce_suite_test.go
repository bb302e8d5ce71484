//go:build !wasm

package browsertest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/report"
)

// A whole suite at full length in the tab, as a reader runs it: its wall
// time, and every exported run equal to assets/report/runs byte for byte
// (with seeds 3, the export's report.md equals assets/report's too). Too
// long for make test: make reproduce-browser runs it (COPSD_SUITE=quick or
// full, COPSD_SUITE_SEEDS, COPSD_SUITE_WORKERS; COPSD_SUITE_OUT keeps the
// runs that differ).
func TestReproduceSuiteInTheBrowser(t *testing.T) {
	suite := os.Getenv("COPSD_SUITE")
	if suite == "" {
		t.Skip("set COPSD_SUITE=quick or full (make reproduce-browser)")
	}
	seeds, workers := envInt("COPSD_SUITE_SEEDS", 1), envInt("COPSD_SUITE_WORKERS", 0)
	p := open(t, 1280, 900, 3*time.Hour)
	dir := p.downloadsTo()
	link := fmt.Sprintf("/#v=1&view=reproduce&suite=%s&seeds=%d", suite, seeds)
	if workers > 0 {
		link += fmt.Sprintf("&workers=%d", workers)
	}
	p.goTo(link)
	p.wait(`!` + q("reproduce-start") + `.disabled`)
	jobs := report.QuickJobs(seeds)
	if suite == "full" {
		jobs = report.FullJobs(seeds, nil)
	}
	start := time.Now()
	p.click("reproduce-start")
	p.waitSuite(fmt.Sprintf(`document.querySelectorAll('[data-testid="reproduce-row"][data-status="done"]').length === %d`, len(jobs)))
	wall := time.Since(start)
	t.Logf("%s suite, %d seeds, %d runs: %.1f min in Chromium (%s)", suite, seeds, len(jobs), wall.Minutes(), js[string](p, `document.querySelector(".engine").textContent`))
	for _, c := range js[[]string](p, `[...document.querySelectorAll('[data-testid="reproduce-claim"]')].map((e) => e.dataset.asserted + " " + e.dataset.holds + " " + e.querySelector("th").textContent)`) {
		t.Log("claim: " + c)
		if strings.HasPrefix(c, "yes no") {
			t.Errorf("an asserted claim does not hold: %s", c)
		}
	}
	files := exportSuite(p, dir)
	root := filepath.Join("..", "..", "assets", "report")
	for _, j := range jobs {
		want, err := os.ReadFile(filepath.Join(root, "runs", j.Name()+".json"))
		if err != nil {
			t.Errorf("%s: no committed run: %v", j.Name(), err)
			continue
		}
		if got := files["runs/"+j.Name()+".json"]; !bytes.Equal(got, want) {
			t.Errorf("%s: the tab's run differs from assets/report/runs: %s", j.Name(), diffAt(got, want))
			if out := os.Getenv("COPSD_SUITE_OUT"); out != "" {
				os.WriteFile(filepath.Join(out, j.Name()+".json"), got, 0o644)
			}
		}
	}
	if suite == "full" && seeds == 3 {
		want, _ := os.ReadFile(filepath.Join(root, "report.md"))
		if !bytes.Equal(files["report.md"], want) {
			t.Error("the tab's report.md differs from assets/report/report.md")
		}
	}
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err != nil || n <= 0 {
		return def
	}
	return n
}

// diffAt says where a and b first differ.
func diffAt(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("at byte %d of %d/%d: %q against %q", i, len(a), len(b), a[max(0, i-100):min(len(a), i+60)], b[max(0, i-100):min(len(b), i+60)])
}
