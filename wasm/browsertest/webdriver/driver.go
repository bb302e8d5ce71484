//go:build unix

// Package webdriver drives Firefox and WebKitGTK for the browser tests, over
// the two W3C protocols they speak: WebDriver BiDi (Firefox ESR's built-in
// remote agent, over a websocket) and classic WebDriver over HTTP
// (WebKitGTK's WebKitWebDriver). Chromium is driven by chromedp instead.
//
// Both give the same small surface: load a URL, evaluate a script in the
// page (awaiting a promise), take a screenshot. The page is exercised
// through the DOM, not through synthetic input: in WebKitGTK a WebDriver
// element click on Play did not start a run, where the DOM's click() does.
package webdriver

import (
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// Browser is one browser window on one page.
type Browser interface {
	// Navigate loads url and returns once its load event has fired.
	Navigate(url string) error
	// Eval evaluates the JavaScript expression in the page, awaits it if it
	// is a promise, and returns its value as JSON.
	Eval(expr string) (json.RawMessage, error)
	// Resize makes the page's viewport (Firefox) or the window (WebKit)
	// width × height CSS pixels.
	Resize(width, height int) error
	// Screenshot is a PNG of the viewport, or an error if the browser has
	// not given it within ScreenshotTimeout.
	Screenshot() ([]byte, error)
	// Close ends the browser and everything it started.
	Close() error
}

// ScreenshotTimeout bounds a screenshot: a driver that does not answer
// gives an error instead of holding the test until its own deadline.
const ScreenshotTimeout = 20 * time.Second

// wrap makes expr a script whose result is the JSON string of
// {"v": value} or {"e": "error message"}: the same decoding for both
// protocols, whatever their own ways of serialising values.
func wrap(expr string) string {
	return `(async () => { try { return JSON.stringify({v: await (` + expr + `)}); } catch (e) { return JSON.stringify({e: String(e && e.stack || e)}); } })()`
}

func unwrap(s string) (json.RawMessage, error) {
	var r struct {
		V json.RawMessage `json:"v"`
		E *string         `json:"e"`
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, fmt.Errorf("decoding the script's result %.200q: %v", s, err)
	}
	if r.E != nil {
		return nil, fmt.Errorf("script error: %s", *r.E)
	}
	if r.V == nil {
		r.V = json.RawMessage("null")
	}
	return r.V, nil
}

// freePort is a TCP port on the loopback interface nothing listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
