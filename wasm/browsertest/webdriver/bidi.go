//go:build unix

package webdriver

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Firefox is Firefox (ESR 140 or later) driven over WebDriver BiDi.
type Firefox struct {
	cmd  *exec.Cmd
	conn *websocket.Conn
	ctx  context.Context
	ctxt string // the browsing context (the tab)

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan bidiReply
	readErr error
}

type bidiReply struct {
	Type    string          `json:"type"`
	ID      int             `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// prefs keep a test profile quiet: no first-run pages, updates or
// telemetry, and no network use of its own.
const prefs = `user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("app.update.disabledForTesting", true);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("dom.min_background_timeout_value", 4);
`

var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// StartFirefox starts the executable headless, with a fresh profile under
// dir and a window of width × height CSS pixels. ctx bounds every command.
func StartFirefox(ctx context.Context, exe, dir string, width, height int) (*Firefox, error) {
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(profile, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "--headless", "--no-remote", "--profile", profile,
		fmt.Sprintf("--remote-debugging-port=%d", port), "--width", fmt.Sprint(width), "--height", fmt.Sprint(height), "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+dir, "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &Firefox{cmd: cmd, ctx: ctx, waiting: map[int]chan bidiReply{}}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := bidiListening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var base string
	select {
	case base = <-found:
	case <-time.After(60 * time.Second):
		f.Close()
		return nil, fmt.Errorf("firefox did not start its WebDriver BiDi server within a minute")
	case <-ctx.Done():
		f.Close()
		return nil, ctx.Err()
	}
	conn, _, err := websocket.Dial(ctx, strings.TrimSuffix(base, "/")+"/session", nil)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("connecting to firefox's BiDi server: %v", err)
	}
	conn.SetReadLimit(64 << 20) // screenshots
	f.conn = conn
	go f.read()
	if _, err := f.call("session.new", map[string]any{"capabilities": map[string]any{}}); err != nil {
		f.Close()
		return nil, err
	}
	tree, err := f.call("browsingContext.getTree", map[string]any{"maxDepth": 0})
	if err != nil {
		f.Close()
		return nil, err
	}
	var t struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(tree, &t); err != nil || len(t.Contexts) == 0 {
		f.Close()
		return nil, fmt.Errorf("firefox has no tab: %s", tree)
	}
	f.ctxt = t.Contexts[0].Context
	return f, nil
}

// read hands each command's reply to its caller; events are dropped.
func (f *Firefox) read() {
	for {
		_, b, err := f.conn.Read(context.Background())
		if err != nil {
			f.mu.Lock()
			f.readErr = err
			for id, ch := range f.waiting {
				close(ch)
				delete(f.waiting, id)
			}
			f.mu.Unlock()
			return
		}
		var r bidiReply
		if json.Unmarshal(b, &r) != nil || r.Type == "event" {
			continue
		}
		f.mu.Lock()
		ch := f.waiting[r.ID]
		delete(f.waiting, r.ID)
		f.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

func (f *Firefox) call(method string, params any) (json.RawMessage, error) {
	return f.callCtx(f.ctx, method, params)
}

// callCtx is call, given up when ctx ends.
func (f *Firefox) callCtx(ctx context.Context, method string, params any) (json.RawMessage, error) {
	f.mu.Lock()
	if f.readErr != nil {
		f.mu.Unlock()
		return nil, fmt.Errorf("%s: the connection is closed: %v", method, f.readErr)
	}
	f.nextID++
	id := f.nextID
	ch := make(chan bidiReply, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := f.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return nil, fmt.Errorf("%s: %v", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s: the connection closed", method)
		}
		if r.Type == "error" {
			return nil, fmt.Errorf("%s: %s: %s", method, r.Error, r.Message)
		}
		return r.Result, nil
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.waiting, id)
		f.mu.Unlock()
		return nil, fmt.Errorf("%s: %v", method, ctx.Err())
	}
}

func (f *Firefox) Navigate(url string) error {
	_, err := f.call("browsingContext.navigate", map[string]any{"context": f.ctxt, "url": url, "wait": "complete"})
	return err
}

func (f *Firefox) Eval(expr string) (json.RawMessage, error) {
	res, err := f.call("script.evaluate", map[string]any{"expression": wrap(expr), "target": map[string]any{"context": f.ctxt},
		"awaitPromise": true, "resultOwnership": "none"})
	if err != nil {
		return nil, err
	}
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	if r.ExceptionDetails != nil {
		return nil, fmt.Errorf("script error: %s", r.ExceptionDetails.Text)
	}
	s, ok := r.Result.Value.(string)
	if !ok {
		return nil, fmt.Errorf("script result %s", res)
	}
	return unwrap(s)
}

func (f *Firefox) Screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(f.ctx, ScreenshotTimeout)
	defer cancel()
	res, err := f.callCtx(ctx, "browsingContext.captureScreenshot", map[string]any{"context": f.ctxt})
	if ctx.Err() != nil && f.ctx.Err() == nil {
		return nil, fmt.Errorf("Firefox gave no screenshot within %v", ScreenshotTimeout)
	}
	if err != nil {
		return nil, err
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

func (f *Firefox) Resize(width, height int) error {
	_, err := f.call("browsingContext.setViewport", map[string]any{"context": f.ctxt,
		"viewport": map[string]any{"width": width, "height": height}})
	return err
}

func (f *Firefox) Close() error {
	if f.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f.ctx = ctx
		f.call("browser.close", map[string]any{})
		cancel()
		f.conn.CloseNow()
	}
	done := make(chan struct{})
	go func() { f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		f.cmd.Process.Kill()
		<-done
	}
	return nil
}
