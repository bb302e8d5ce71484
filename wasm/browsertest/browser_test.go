//go:build !wasm

// Package browsertest drives the built lab in headless Chromium. It runs when
// COPSD_BROWSER=1 (make test sets it after building the bundle) and skips
// otherwise, so a plain `go test ./...` needs no browser. COPSD_DIST points
// at another built tree than serve/dist; COPSD_SCREENSHOTS names a directory
// for the screenshots; COPSD_CONSOLE=1 prints the page's console.
package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/copsdlab/copsd/serve"
	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/serve/board/sqlitestore"
)

// dist is the built app, relative to this package.
func dist() string {
	if d := os.Getenv("COPSD_DIST"); d != "" {
		return d
	}
	return "../../serve/dist"
}

// page is a browser tab on the served lab.
type page struct {
	t    *testing.T
	ctx  context.Context
	url  string
	home string

	store *sqlitestore.Store // the class board's
	// down cuts the network between the browser and the server: while set,
	// every request is dropped without an answer, the service worker's too.
	down atomic.Bool
	// app serves the app and the board; deploy replaces it.
	app atomic.Pointer[http.Handler]

	mu      sync.Mutex
	console []string
}

// open starts Chromium at the given window size on a fresh server of the
// built app and its class board. The tab's console is kept and printed if
// the test fails.
func open(t *testing.T, width, height int, timeout time.Duration) *page {
	t.Helper()
	if os.Getenv("COPSD_BROWSER") != "1" {
		t.Skip("set COPSD_BROWSER=1 after `make web` to run the browser tests")
	}
	if _, err := os.Stat(filepath.Join(dist(), "index.html")); err != nil {
		t.Fatalf("the app is not built (%v): run `make web`", err)
	}
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: `make chromium` installs it")
	}
	// The class board, as `make run` serves it: SQLite in a fresh directory.
	store, err := sqlitestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := serve.New(serve.Config{App: os.DirFS(dist()), API: board.NewHandler(board.Config{Store: store})})
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, store: store}
	h := srv.Handler()
	p.app.Store(&h)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			panic(http.ErrAbortHandler) // the connection drops, no answer
		}
		(*p.app.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	home := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// Timers of a page in the background are throttled; these tests are its only tab.
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(filepath.Join(home, "profile")), chromedp.WindowSize(width, height),
		chromedp.Env("HOME=" + home),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel3)
	p.ctx, p.url, p.home = ctx, ts.URL, home
	// A browser window is at least 500 px wide; narrower sizes (a phone)
	// are emulated, as the device toolbar does.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m.String())
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("COPSD_CONSOLE") == "1" {
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, l := range p.console {
				t.Log("console: " + l)
			}
		}
	})
	return p
}

// labServer serves the built app and its class board, as `make run` does
// (the board on SQLite in a fresh directory), for the test's duration.
func labServer(t *testing.T) *httptest.Server {
	t.Helper()
	store, err := sqlitestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := serve.New(serve.Config{App: os.DirFS(dist()), API: board.NewHandler(board.Config{Store: store})})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// goTo loads the page at path (with any fragment) and waits for the lab's
// first render.
func (p *page) goTo(path string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(p.url+path)); err != nil {
		p.t.Fatal(err)
	}
	p.wait(`performance.getEntriesByName("copsd-first-render").length > 0`)
}

// js evaluates an expression.
func js[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// wait polls a JavaScript condition every 50 ms until it holds. chromedp's
// WaitEnabled and friends do not see attribute changes made by scripts.
func (p *page) wait(cond string) {
	p.t.Helper()
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err != nil {
			p.t.Fatalf("waiting for %s: %v", cond, err)
		}
		if ok {
			return
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("waiting for %s: %v", cond, p.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// click clicks the element with the data-testid.
func (p *page) click(testid string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(tid(testid)))); err != nil {
		p.t.Fatalf("clicking %s: %v", testid, err)
	}
}

func tid(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// q is a JavaScript expression for the element with the data-testid.
func q(id string) string { return fmt.Sprintf("document.querySelector('[data-testid=%q]')", id) }

// stepCount is the number the step counter shows.
func (p *page) stepCount() int {
	return js[int](p, `Number(`+q("step-count")+`.textContent)`)
}

// screenshot saves a PNG of the viewport when COPSD_SCREENSHOTS is set.
func (p *page) screenshot(name string) {
	dir := os.Getenv("COPSD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Error(err)
	}
}

func (p *page) consoleText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.console, "\n")
}
