//go:build !wasm

package browsertest

import (
	"bytes"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordWorkers keeps every Web Worker the page starts in
// window.__workers, in order (the trainer first), so that a test can make
// one fail.
const recordWorkers = `(() => {
  const W = window.Worker;
  window.__workers = [];
  window.Worker = function (url, opts) { const w = new W(url, opts); window.__workers.push(w); return w; };
  window.Worker.prototype = W.prototype;
})()`

// A helper engine worker that fails mid-run (its error event, and it is
// gone) is named on the page; its shards and its evaluations in flight go
// to the trainer, and the run goes on to the very report of copsd run.
func TestPoolGoesOnWithoutAFailedHelper(t *testing.T) {
	p := open(t, 1280, 800, 10*time.Minute)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: recordWorkers}); err != nil {
		t.Fatal(err)
	}
	want := canonical(t, nativeReport(t, bundledModel(t, "models/base-rho50.ckpt")))
	p.goTo("/#v=1&model=base-rho50&recipe=opsd-rkl&seed=1&steps=20&workers=3")
	p.reload()
	p.wait(`!` + q("play") + `.disabled && document.querySelector(".engine").textContent.includes("· 3 workers")`)
	p.click("play")
	// Early in the run: the step-0 evaluation's chunks are still out, on
	// every worker.
	p.wait(`Number(` + q("step-count") + `.textContent) >= 3`)
	js[bool](p, `(() => {
	  const w = window.__workers[1];
	  w.terminate();
	  w.dispatchEvent(new ErrorEvent("error", {message: "out of memory (a test)"}));
	  return true;
	})()`)
	p.wait(notice + `.includes("Engine worker 1 stopped (out of memory (a test))")`)
	p.wait(q("step-count") + `.textContent == "20" && ` + transportState + ` == "paused"`)
	if s := js[string](p, `document.querySelector(".engine").textContent`); !bytes.Contains([]byte(s), []byte("2 workers")) {
		t.Errorf("after losing a helper the status line reads %q, want 2 workers", s)
	}
	got := canonical(t, p.exportJSON(downloads))
	if !bytes.Equal(got, want) {
		t.Fatalf("after losing a helper the browser's report differs from `copsd run`'s:\nbrowser %s\nnative  %s", around(got, want), around(want, got))
	}
}
