//go:build !wasm

package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/copsdlab/copsd/serve"
	"github.com/copsdlab/copsd/serve/board"
)

// offline cuts the network (the server answers nothing, to the service
// worker either) and tells the browser so (navigator.onLine, the offline
// and online events, and Chromium's own network emulation); online restores
// it.
func (p *page) offline(off bool) {
	p.t.Helper()
	p.down.Store(off)
	if _, err := chromedp.Call(p.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &off,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		p.t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		p.t.Fatal(err)
	}
}

// reload reloads the page and waits for the lab's first render.
func (p *page) reload() {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Reload()); err != nil {
		p.t.Fatal(err)
	}
	p.wait(`performance.getEntriesByName("copsd-first-render").length > 0`)
}

// After one visit the lab works with no network: a reload loads it from the
// service worker's cache, the examples show, it trains; a run posted to the
// class board while offline waits and arrives once when the network returns.
func TestOfflineAfterOneVisit(t *testing.T) {
	p := open(t, 1280, 800, 6*time.Minute)
	p.goTo("/#v=1&class=cs101")
	p.wait(`!` + q("play") + `.disabled`)
	p.wait(`navigator.serviceWorker.controller != null`) // installed: the app is precached
	p.examplesFetched()

	p.offline(true)
	p.reload()
	if js[bool](p, `navigator.onLine`) {
		t.Fatal("the browser still believes it is online")
	}
	p.wait(`!` + q("play") + `.disabled`) // the engine booted and the model loaded, from the cache
	p.wait(`[...document.querySelectorAll(".runs .chips button")].some((b) => b.textContent.startsWith("Example"))`)
	p.click("play")
	p.wait(`Number(` + q("step-count") + `.textContent) >= 10`)
	p.click("pause")
	p.wait(q("board-run") + `.textContent.includes("evaluated at step 10")`)
	p.screenshot("offline-trained-1280.png")

	p.setField("board-name", "Ana", "input")
	p.click("board-submit")
	p.wait(q("board-status") + `.textContent.includes("offline")`)
	time.Sleep(time.Second) // the post really waits
	if n := boardRuns(t, p); n != 0 {
		t.Fatalf("%d runs on the board while offline", n)
	}

	p.offline(false)
	p.wait(q("board-status") + `.textContent.includes("Submitted to cs101 as Ana")`)
	time.Sleep(time.Second) // a second copy would have arrived by now
	if n := boardRuns(t, p); n != 1 {
		t.Errorf("%d runs on the board after the network returned, want 1", n)
	}
	if status := js[string](p, q("board-status")+`.textContent`); !strings.Contains(status, "run #1") {
		t.Errorf("status %q", status)
	}
}

func boardRuns(t *testing.T, p *page) int {
	t.Helper()
	runs, _, err := p.store.List(context.Background(), "cs101", board.Page{Limit: board.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// deploy serves the app in dir from now on, with the same class board.
func (p *page) deploy(dir string) {
	p.t.Helper()
	srv, err := serve.New(serve.Config{App: os.DirFS(dir), API: board.NewHandler(board.Config{Store: p.store})})
	if err != nil {
		p.t.Fatal(err)
	}
	h := srv.Handler()
	p.app.Store(&h)
}

// A new deploy replaces the offline copy: the browser finds the new service
// worker (its version is all that differs here), which caches the new
// bundle under its version and deletes the old cache.
func TestNewDeployReplacesTheOfflineCopy(t *testing.T) {
	p := open(t, 1280, 800, 8*time.Minute)
	p.goTo("/")
	p.wait(`navigator.serviceWorker.controller != null`)
	first := p.cacheNames()
	if !strings.HasPrefix(first, "copsd-") || strings.Contains(first, " ") {
		t.Fatalf("caches after the first visit: %q", first)
	}

	next := t.TempDir()
	if err := os.CopyFS(next, os.DirFS(dist())); err != nil {
		t.Fatal(err)
	}
	sw, err := os.ReadFile(filepath.Join(next, "sw.js"))
	if err != nil {
		t.Fatal(err)
	}
	old := "copsd-" + strings.TrimPrefix(first, "copsd-")
	newer := regexp.MustCompile(`const VERSION = "[0-9a-f]{8}";`).ReplaceAll(sw, []byte(`const VERSION = "0000beef";`))
	if string(newer) == string(sw) {
		t.Fatal("sw.js has no version to change")
	}
	if err := os.WriteFile(filepath.Join(next, "sw.js"), newer, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"sw.js.br", "sw.js.gz"} { // the old worker, precompressed
		if err := os.Remove(filepath.Join(next, v)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	p.deploy(next)

	// A browser checks for a new worker on navigation; ask now.
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](
		`navigator.serviceWorker.getRegistration().then((r) => r.update()).then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for p.cacheNames() != "copsd-0000beef" {
		if time.Now().After(deadline) {
			state := js[string](p, `(() => { const c = navigator.serviceWorker.controller; return c ? c.scriptURL + " " + c.state : "no controller" })()`)
			t.Fatalf("the new deploy did not replace the cache within 2 minutes: caches %q, controller %s", p.cacheNames(), state)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.reload()
	p.wait(`!` + q("play") + `.disabled`)
	if got := p.cacheNames(); got != "copsd-0000beef" || got == old {
		t.Errorf("caches after the new deploy: %q (before: %q)", got, old)
	}
}

// cacheNames lists the page's caches, separated by spaces.
func (p *page) cacheNames() string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`caches.keys().then((k) => k.sort().join(" "))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}
