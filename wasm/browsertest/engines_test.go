//go:build unix && !wasm

package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copsdlab/copsd/wasm/browsertest/webdriver"
)

// The core of the lab in Firefox ESR (WebDriver BiDi) and WebKitGTK
// (WebKitWebDriver on Xvfb): the page loads, plays 20 steps, its charts hold
// them, a token opens its bars, an unknown constitution word is named, the
// exported run JSON (trained by two engine workers) equals `copsd run
// -json`'s bit for bit, and the share
// link, reloaded, brings the same settings back and replays the same run to
// the same bits.
func TestFirefoxCoreSubset(t *testing.T) { coreSubset(t, startFirefox(t)) }

func TestWebKitCoreSubset(t *testing.T) { coreSubset(t, startWebKit(t)) }

// startFirefox opens the lab's server in Firefox ESR at 1280×800.
func startFirefox(t *testing.T) *remote {
	exe := engineTool(t, "firefox-esr")
	return startEngine(t, func(ctx context.Context, dir string) (webdriver.Browser, error) {
		return webdriver.StartFirefox(ctx, exe, dir, 1280, 800)
	})
}

// startWebKit opens the lab's server in WebKitGTK's MiniBrowser at 1280×800.
func startWebKit(t *testing.T) *remote {
	xvfb, driver := engineTool(t, "Xvfb"), engineTool(t, "WebKitWebDriver")
	if _, err := os.Stat(webdriver.MiniBrowser); err != nil {
		t.Fatalf("WebKitGTK's MiniBrowser is missing (%v): `make engines` installs webkit2gtk-driver", err)
	}
	return startEngine(t, func(ctx context.Context, dir string) (webdriver.Browser, error) {
		return webdriver.StartWebKit(ctx, xvfb, driver, dir, 1280, 800)
	})
}

func engineTool(t *testing.T, name string) string {
	t.Helper()
	if os.Getenv("COPSD_BROWSER") != "1" {
		t.Skip("set COPSD_BROWSER=1 after `make web` to run the browser tests")
	}
	if _, err := os.Stat(filepath.Join(dist(), "index.html")); err != nil {
		t.Fatalf("the app is not built (%v): run `make web`", err)
	}
	exe, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: `make engines` installs it", name)
	}
	return exe
}

// remote is a page in Firefox or WebKit on a fresh server of the built app.
type remote struct {
	t   *testing.T
	b   webdriver.Browser
	url string
	ctx context.Context
}

func startEngine(t *testing.T, start func(context.Context, string) (webdriver.Browser, error)) *remote {
	t.Helper()
	ts := labServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	began := time.Now()
	b, err := start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	t.Logf("browser started in %.1fs", time.Since(began).Seconds())
	return &remote{t: t, b: b, url: ts.URL, ctx: ctx}
}

// rjs evaluates an expression in the page.
func rjs[T any](r *remote, expr string) T {
	r.t.Helper()
	raw, err := r.b.Eval(expr)
	if err != nil {
		r.t.Fatalf("evaluating %.200s: %v", expr, err)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		r.t.Fatalf("evaluating %.200s: %v (%.200s)", expr, err, raw)
	}
	return v
}

func (r *remote) wait(cond string) {
	r.t.Helper()
	for !rjs[bool](r, "!!("+cond+")") {
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("waiting for %s: %v", cond, r.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *remote) goTo(path string) {
	r.t.Helper()
	if err := r.b.Navigate(r.url + path); err != nil {
		r.t.Fatal(err)
	}
	r.wait(`performance.getEntriesByName("copsd-first-render").length > 0`)
}

// click is the DOM's click() on the element with the data-testid (a
// WebDriver element click on Play did not start a run in WebKitGTK).
func (r *remote) click(testid string) {
	r.t.Helper()
	rjs[bool](r, `(`+q(testid)+`.click(), true)`)
}

func (r *remote) setField(testid, value, event string) {
	r.t.Helper()
	rjs[bool](r, fmt.Sprintf(`(() => { const e = %s; e.value = %q; e.dispatchEvent(new Event(%q, {bubbles: true})); return true })()`, q(testid), value, event))
}

// captureExports keeps every file the page offers for download: its Blob,
// as URL.createObjectURL receives it.
const captureExports = `(() => {
  window.__exports = [];
  const make = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (b) => { window.__exports.push(b); return make(b); };
  return true;
})()`

// exportJSON clicks Export JSON and returns the file the page offers.
func (r *remote) exportJSON() []byte {
	r.t.Helper()
	n := rjs[int](r, `window.__exports.length`)
	r.wait(`!` + q("export-json") + `.disabled`)
	r.click("export-json")
	r.wait(fmt.Sprintf(`window.__exports.length > %d`, n))
	return []byte(rjs[string](r, fmt.Sprintf(`window.__exports[%d].text()`, n)))
}

func (r *remote) screenshot(name string) {
	dir := os.Getenv("COPSD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := r.b.Screenshot()
	if err != nil {
		r.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		r.t.Error(err)
	}
}

// playTo plays the run to its stop step and returns the time it took.
func (r *remote) playTo(steps int) time.Duration {
	r.t.Helper()
	start := time.Now()
	r.click("play")
	r.wait(fmt.Sprintf(`%s.textContent == "%d" && %s == "paused"`, q("step-count"), steps, transportState))
	return time.Since(start)
}

func coreSubset(t *testing.T, r *remote) {
	const steps = 20
	native := make(chan []byte, 1)
	ckpt := bundledModel(t, "models/base-rho50.ckpt")
	go func() { native <- nativeReport(t, ckpt) }()
	engine := strings.ToLower(strings.TrimPrefix(t.Name(), "Test"))
	engine = strings.TrimSuffix(engine, "coresubset")

	began := time.Now()
	// Two engine workers, the trainer and a helper: shards, gradients and
	// evaluations cross between them in this engine too (the share link
	// keeps workers=2, so its replay below does as well).
	r.goTo(fmt.Sprintf("/#v=1&model=base-rho50&recipe=opsd-rkl&seed=1&steps=%d&workers=2", steps))
	r.wait(`!` + q("play") + `.disabled && document.querySelector(".engine").textContent.includes("· 2 workers")`)
	t.Logf("load: %.1fs to the engine ready", time.Since(began).Seconds())
	r.screenshot(engine + "-1280-start.png")
	rjs[bool](r, captureExports)

	played := r.playTo(steps)
	t.Logf("play: %d steps in %.1fs", steps, played.Seconds())
	chartsHold := fmt.Sprintf(`(() => {
  for (const id of ["chart-length", "chart-entropy", "chart-kl", "chart-safety"]) {
    const el = document.querySelector('svg[data-testid="' + id + '"]');
    if (!el) return false;
    const s = new Set([...el.querySelectorAll("[data-step]")].map((e) => Number(e.dataset.step)));
    for (let i = 1; i <= %d; i++) if (!s.has(i)) return false;
  }
  return true;
})()`, steps)
	r.wait(chartsHold)
	r.screenshot(engine + "-1280-20steps.png")

	// A token opens its candidate bars, with the numbers.
	r.click("token")
	r.wait(`document.querySelectorAll('.bars .barrow').length >= 5`)
	if bars := rjs[string](r, `document.querySelector('.bars').textContent`); !strings.Contains(bars, "p_student") || !strings.Contains(bars, "p_teacher") {
		t.Errorf("candidate bars without exact numbers: %q", bars)
	}
	rjs[bool](r, `(document.querySelector(".tokens").scrollIntoView(), true)`)
	r.screenshot(engine + "-1280-tokens.png")

	// The exported run is the command line's, bit for bit.
	first := r.exportJSON()
	t.Logf("export: at %.1fs", time.Since(began).Seconds())
	want := canonical(t, <-native)
	t.Logf("the native run's JSON: at %.1fs", time.Since(began).Seconds())
	if got := canonical(t, first); !bytes.Equal(got, want) {
		t.Fatalf("the exported run differs from `copsd run`'s:\n%s %s\nnative  %s", engine, around(got, want), around(want, got))
	}

	// An unknown word is named, and nothing resets.
	r.setField("constitution", "refuse weapons . refuse bananas .", "input")
	r.wait(q("constitution-error") + ` && ` + q("constitution-error") + `.textContent.includes('"bananas"')`)
	if n := rjs[string](r, q("step-count")+`.textContent`); n != fmt.Sprint(steps) {
		t.Errorf("an invalid constitution reset the run: step %s", n)
	}

	// The share link, reloaded after a change, brings the settings back and
	// replays the run to the same bits.
	link := rjs[string](r, q("share-link")+`.href`)
	r.setField("seed", "7", "change")
	r.wait(q("step-count") + `.textContent == "0"`)
	if err := r.b.Navigate("about:blank"); err != nil {
		t.Fatal(err)
	}
	r.goTo(strings.TrimPrefix(link, r.url))
	r.wait(`!` + q("play") + `.disabled`)
	got := rjs[map[string]string](r, `({seed: `+q("seed")+`.value, recipe: `+q("recipe")+`.value, model: `+q("model")+`.value, link: `+q("share-link")+`.href})`)
	for k, v := range map[string]string{"seed": "1", "recipe": "opsd-rkl", "model": "base-rho50", "link": link} {
		if got[k] != v {
			t.Errorf("after reloading the link, %s = %q, want %q", k, got[k], v)
		}
	}
	rjs[bool](r, captureExports)
	replayed := r.playTo(steps)
	if again := r.exportJSON(); !bytes.Equal(again, first) {
		t.Errorf("the link's replay exported a different run:\nreplay %s\nfirst  %s", around(again, first), around(first, again))
	}
	t.Logf("link replay: %d steps in %.1fs, the same bits; %s subset in %.1fs", steps, replayed.Seconds(), engine, time.Since(began).Seconds())

	// A phone: nothing is cut off sideways.
	if err := r.b.Resize(390, 844); err != nil {
		t.Fatal(err)
	}
	for tries := 0; rjs[int](r, `innerWidth`) >= 500; tries++ {
		if tries == 100 {
			t.Fatalf("the window did not narrow to a phone's width: innerWidth %d", rjs[int](r, `innerWidth`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	rjs[bool](r, `(scrollTo(0, 0), true)`)
	r.screenshot(engine + "-390-start.png")
	if w := rjs[[]int](r, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %d px wide in a %d px window", w[0], w[1])
	}
	rjs[bool](r, `(document.querySelector(".tokens").scrollIntoView(), true)`)
	r.screenshot(engine + "-390-tokens.png")
}

// nativeReport is `copsd run -json` of opsd-rkl, seed 1, 20 steps, on the
// bundled rho-0.5 model; run once for the tests that compare with it.
func nativeReport(t *testing.T, ckpt string) []byte {
	native.once.Do(func() {
		dir, err := os.MkdirTemp("", "copsd-native-")
		if err != nil {
			native.err = err
			return
		}
		defer os.RemoveAll(dir)
		exe := filepath.Join(dir, "copsd")
		build := exec.Command("go", "build", "-o", exe, "./core/cmd/copsd")
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			native.err = fmt.Errorf("building the CLI: %v\n%s", err, out)
			return
		}
		out := filepath.Join(dir, "cli.json")
		if b, err := exec.Command(exe, "run", "-recipe", "opsd-rkl", "-ckpt", ckpt, "-seed", "1", "-steps", "20", "-json", out, "-q").CombinedOutput(); err != nil {
			native.err = fmt.Errorf("copsd run: %v\n%s", err, b)
			return
		}
		native.report, native.err = os.ReadFile(out)
	})
	if native.err != nil {
		t.Error(native.err)
		return []byte("{}")
	}
	return native.report
}

var native struct {
	once   sync.Once
	report []byte
	err    error
}
