//go:build unix

package webdriver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// WebKit is WebKitGTK's MiniBrowser driven by WebKitWebDriver (classic W3C
// WebDriver over HTTP), on a private Xvfb display.
type WebKit struct {
	ctx     context.Context
	xvfb    *exec.Cmd
	driver  *exec.Cmd
	base    string // http://127.0.0.1:port/session/id
	session bool
}

// MiniBrowser is where Debian's WebKitGTK keeps the browser the driver runs.
const MiniBrowser = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"

// StartWebKit starts Xvfb, WebKitWebDriver and a MiniBrowser window of
// width × height. ctx bounds every command.
func StartWebKit(ctx context.Context, xvfb, driver, dir string, width, height int) (*WebKit, error) {
	w := &WebKit{ctx: ctx}
	// Xvfb picks a free display and writes its number to the pipe.
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	w.xvfb = exec.CommandContext(ctx, xvfb, "-displayfd", "3", "-screen", "0", "1600x1200x24", "-nolisten", "tcp")
	w.xvfb.ExtraFiles = []*os.File{wr}
	if err := w.xvfb.Start(); err != nil {
		return nil, fmt.Errorf("starting Xvfb: %v", err)
	}
	wr.Close()
	display := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		display <- strings.TrimSpace(line)
		r.Close()
	}()
	var disp string
	select {
	case disp = <-display:
	case <-time.After(20 * time.Second):
	}
	if disp == "" {
		w.Close()
		return nil, fmt.Errorf("Xvfb did not report a display")
	}
	port, err := freePort()
	if err != nil {
		w.Close()
		return nil, err
	}
	w.driver = exec.CommandContext(ctx, driver, fmt.Sprintf("--port=%d", port), "--host=127.0.0.1")
	// WebKitGTK keeps its default accelerated compositing (software GL on
	// Xvfb). With WEBKIT_DISABLE_COMPOSITING_MODE=1 its screenshot waits for
	// the next frame the page paints, and a page at rest paints none: the
	// screenshot never answers.
	w.driver.Env = append(os.Environ(), "DISPLAY=:"+disp, "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "XDG_CACHE_HOME="+dir+"/cache",
		"XDG_DATA_HOME="+dir+"/data")
	// Its own process group, so that Close ends the browser it starts too.
	w.driver.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.driver.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("starting WebKitWebDriver: %v", err)
	}
	root := fmt.Sprintf("http://127.0.0.1:%d", port)
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"webkitgtk:browserOptions": map[string]any{"binary": MiniBrowser, "args": []string{"--automation"}}}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := w.do("POST", root+"/session", caps)
		if err == nil {
			if err := json.Unmarshal(res, &sess); err != nil || sess.SessionID == "" {
				w.Close()
				return nil, fmt.Errorf("new session: %s", res)
			}
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			w.Close()
			return nil, fmt.Errorf("new WebKit session: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.base, w.session = root+"/session/"+sess.SessionID, true
	if _, err := w.do("POST", w.base+"/window/rect", map[string]any{"width": width, "height": height}); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// do sends one command and returns its value.
func (w *WebKit) do(method, url string, body any) (json.RawMessage, error) {
	return w.doCtx(w.ctx, method, url, body)
}

// doCtx is do, given up when ctx ends.
func (w *WebKit) doCtx(ctx context.Context, method, url string, body any) (json.RawMessage, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s %s: HTTP %d: %.300s", method, url, resp.StatusCode, b)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(r.Value, &e)
		return nil, fmt.Errorf("%s %s: %s: %s", method, strings.TrimPrefix(url, w.base), e.Error, e.Message)
	}
	return r.Value, nil
}

func (w *WebKit) Navigate(url string) error {
	_, err := w.do("POST", w.base+"/url", map[string]any{"url": url})
	return err
}

func (w *WebKit) Eval(expr string) (json.RawMessage, error) {
	script := `const done = arguments[arguments.length - 1]; ` + wrap(expr) + `.then(done);`
	res, err := w.do("POST", w.base+"/execute/async", map[string]any{"script": script, "args": []any{}})
	if err != nil {
		return nil, err
	}
	var s string
	if err := json.Unmarshal(res, &s); err != nil {
		return nil, fmt.Errorf("script result %s", res)
	}
	return unwrap(s)
}

// Screenshot copies the frame WebKitGTK last presented, which can lag the
// page's latest change (a scroll, an opened panel): it first waits for the
// page to render two animation frames, so that the one presented holds it.
func (w *WebKit) Screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(w.ctx, ScreenshotTimeout)
	defer cancel()
	frames := `const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));`
	_, err := w.doCtx(ctx, "POST", w.base+"/execute/async", map[string]any{"script": frames, "args": []any{}})
	var res json.RawMessage
	if err == nil {
		res, err = w.doCtx(ctx, "GET", w.base+"/screenshot", nil)
	}
	if ctx.Err() != nil && w.ctx.Err() == nil {
		return nil, fmt.Errorf("WebKitWebDriver gave no screenshot within %v", ScreenshotTimeout)
	}
	if err != nil {
		return nil, err
	}
	var s string
	if err := json.Unmarshal(res, &s); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(s)
}

func (w *WebKit) Resize(width, height int) error {
	_, err := w.do("POST", w.base+"/window/rect", map[string]any{"width": width, "height": height})
	return err
}

func (w *WebKit) Close() error {
	if w.session {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		w.ctx = ctx
		w.do("DELETE", w.base, nil)
		cancel()
	}
	if w.driver != nil && w.driver.Process != nil {
		syscall.Kill(-w.driver.Process.Pid, syscall.SIGKILL)
	}
	for _, c := range []*exec.Cmd{w.driver, w.xvfb} {
		if c != nil && c.Process != nil {
			c.Process.Kill()
			c.Wait()
		}
	}
	return nil
}
