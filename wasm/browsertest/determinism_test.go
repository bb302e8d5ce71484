//go:build !wasm

package browsertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/copsdlab/copsd/core/distill"
)

// The same recipe, model and seed give the same report in the browser as
// `copsd run` natively, bit for bit: the run is exported from the page as
// JSON and compared with the command line's JSON for the same checkpoint.
func TestBrowserMatchesCLI(t *testing.T) {
	const steps = 20
	p := open(t, 1280, 800, 10*time.Minute)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}

	// The command line runs meanwhile, on the very checkpoint the page loads.
	ckpt := bundledModel(t, "models/base-rho50.ckpt")
	cliJSON := filepath.Join(t.TempDir(), "cli.json")
	exe := filepath.Join(t.TempDir(), "copsd")
	build := exec.Command("go", "build", "-o", exe, "./core/cmd/copsd")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the CLI: %v\n%s", err, out)
	}
	cliTrace := filepath.Join(t.TempDir(), "cli.jsonl")
	cli := exec.Command(exe, "run", "-recipe", "opsd-rkl", "-ckpt", ckpt, "-seed", "1", "-steps", "20", "-json", cliJSON, "-q",
		"-trace", cliTrace, "-trace-full")
	var cliOut bytes.Buffer
	cli.Stdout, cli.Stderr = &cliOut, &cliOut
	cliStart := time.Now()
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	cliDone := make(chan error, 1)
	go func() { cliDone <- cli.Wait() }()

	if err := <-cliDone; err != nil {
		t.Fatalf("copsd run: %v\n%s", err, cliOut.String())
	}
	t.Logf("native: %s (%.1fs with evaluations, teacher and leakage)", strings.TrimSpace(strings.SplitN(cliOut.String(), "\n", 2)[0]), time.Since(cliStart).Seconds())
	native, err := os.ReadFile(cliJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := canonical(t, native)
	var browserJSON []byte
	// The pool of engine workers (workers=K) changes the speed only.
	for _, k := range []int{1, 2, 3} {
		p.goTo(fmt.Sprintf("/#v=1&model=base-rho50&recipe=opsd-rkl&seed=1&steps=20&workers=%d", k))
		p.reload()
		p.wait(`!` + q("play") + `.disabled`)
		start := time.Now()
		p.click("play")
		p.wait(q("step-count") + `.textContent == "20" && ` + transportState + ` == "paused"`)
		t.Logf("browser, %d workers: %d steps in %.1fs (%s)", k, steps, time.Since(start).Seconds(), js[string](p, `document.querySelector(".engine").textContent`))
		browserJSON = p.exportJSON(downloads)
		got := canonical(t, browserJSON)
		if !bytes.Equal(got, want) {
			t.Fatalf("with %d workers the browser's report differs from `copsd run`'s:\nbrowser %s\nnative  %s", k, around(got, want), around(want, got))
		}
	}
	// The token view's numbers, recomputable: the trace export is the
	// last step's lines of `copsd run -trace -trace-full`, byte for byte.
	p.click("export-trace")
	trace := p.download(downloads, "*-step20.jsonl")
	var last [][]byte
	cliLines, err := os.ReadFile(cliTrace)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.SplitAfter(cliLines, []byte("\n")) {
		if bytes.Contains(line, []byte(`{"step":20,`)) {
			last = append(last, line)
		}
	}
	if len(last) == 0 || !bytes.Equal(trace, bytes.Join(last, nil)) || !bytes.Contains(trace, []byte(`"logp_teacher":[`)) {
		t.Errorf("the trace export (%d bytes) is not copsd run -trace -trace-full's step 20 (%d lines): %s", len(trace), len(last), around(trace, bytes.Join(last, nil)))
	}
	var rep distill.Report
	json.Unmarshal(browserJSON, &rep)
	cs := "none"
	if rep.CollapseStep != nil {
		cs = strconv.Itoa(*rep.CollapseStep)
	}
	t.Logf("identical: %d training steps, %d evaluations, teacher %v, leakage %v, collapse step %s",
		len(rep.Train), len(rep.Steps), rep.Teacher != nil, rep.Leakage != nil, cs)
}

// exportJSON clicks the JSON export and returns the file it downloads
// into dir (emptied first).
func (p *page) exportJSON(dir string) []byte {
	p.t.Helper()
	old, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range old {
		os.Remove(f)
	}
	p.wait(`!` + q("export-json") + `.disabled`)
	p.click("export-json")
	for {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(matches) == 1 {
			if b, _ := os.ReadFile(matches[0]); json.Valid(b) {
				return b
			}
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("no export: %v", p.ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// canonical is a report re-encoded without the model's file name, which
// the command line takes from the checkpoint's path.
func canonical(t *testing.T, b []byte) []byte {
	t.Helper()
	var rep distill.Report
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("not a report: %v", err)
	}
	rep.Model = ""
	out, _ := json.MarshalIndent(rep, "", " ")
	return out
}

func around(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return string(a[max(0, i-300):min(len(a), i+200)])
}

// bundledModel is the path of a model file in the built app.
func bundledModel(t *testing.T, logical string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist(), "asset-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	name, ok := m[logical]
	if !ok {
		t.Fatalf("%s is not in the bundle", logical)
	}
	p, err := filepath.Abs(filepath.Join(dist(), name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
