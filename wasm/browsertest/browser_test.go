//go:build !wasm

// Package browsertest drives the built lab in headless Chromium. It runs when
// COPSD_BROWSER=1 (make test sets it after building the bundle) and skips
// otherwise, so a plain `go test ./...` needs no browser.
package browsertest

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/copsdlab/copsd/serve"
)

// dist is the built app, relative to this package.
const dist = "../../serve/dist"

func browser(t *testing.T, width, height int) (context.Context, string) {
	t.Helper()
	if os.Getenv("COPSD_BROWSER") != "1" {
		t.Skip("set COPSD_BROWSER=1 after `make web` to run the browser tests")
	}
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("the app is not built (%v): run `make web`", err)
	}
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: `make chromium` installs it")
	}
	srv, err := serve.New(serve.Config{App: os.DirFS(dist)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	home := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(home, "profile")), chromedp.WindowSize(width, height),
		chromedp.Env("HOME=" + home),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx, ts.URL
}

// The page loads the engine (Go wasm in a Web Worker) and the base models,
// and samples graded answers from them.
func TestPageSamplesFromTheBaseModel(t *testing.T) {
	ctx, url := browser(t, 1280, 800)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("sample").disabled`)
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "engine ready") {
		t.Fatalf("status %q", status)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sample"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelectorAll("#samples li .badge").length > 0`)
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#samples li").length`))
	if err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#samples li .text")))
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || strings.TrimSpace(first) == "" {
		t.Fatalf("got %d samples, first %q", n, first)
	}
	if dir := os.Getenv("COPSD_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			os.WriteFile(filepath.Join(dir, "sample-1280.png"), png, 0o644)
		}
	}
}

// A constitution with an unknown word shows an error naming the word.
func TestBadConstitutionShowsAClearError(t *testing.T) {
	ctx, url := browser(t, 1280, 800)
	sel := chromedp.CSS(`[data-testid="constitution-error"]`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.getElementById("sample").disabled`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("constitution"), "refuse bananas ."), chromedp.Click(chromedp.ID("sample"))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.querySelector('[data-testid="constitution-error"]').hidden`)
	msg, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, `"bananas"`) {
		t.Fatalf("error %q does not name the unknown word", msg)
	}
}

// waitJS polls a JavaScript condition every 50 ms until it holds.
func waitJS(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err != nil {
			t.Fatalf("waiting for %s: %v", cond, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", cond, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
