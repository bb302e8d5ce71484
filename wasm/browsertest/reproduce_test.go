//go:build !wasm

package browsertest

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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

	p.click("reproduce-export")
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(p.download(dir, "*.tar")))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
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

	p.click("reproduce-open")
	p.wait(q("reproduce") + ` === null && ` + q("play") + ` !== null`)
	if h := js[string](p, `location.hash`); !bytes.Contains([]byte(h), []byte("recipe=opsd-rkl")) || !bytes.Contains([]byte(h), []byte("model=base-rho50")) || !bytes.Contains([]byte(h), []byte("seed=1&")) {
		t.Errorf("the lab opened %s", h)
	}
}
