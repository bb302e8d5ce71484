package serve

import (
	"bufio"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/serve/manifest"
)

func TestCleanPath(t *testing.T) {
	tests := []struct {
		escaped    string
		wantName   string
		wantStatus int
	}{
		{"/", manifest.Index, 0},
		{"/index.html", "index.html", 0},
		{"/app.1a2b3c4d.js", "app.1a2b3c4d.js", 0},
		{"/models/base-rho50.1a2b3c4d.ckpt", "models/base-rho50.1a2b3c4d.ckpt", 0},
		{"/caf%C3%A9.js", "café.js", 0},
		{"/a%20b.js", "a b.js", 0},
		{"", "", 404},
		{"index.html", "", 404},
		{"*", "", 404},
		{"//index.html", "", 404},
		{"/models/", "", 404},
		{"/models//x.ckpt", "", 404},
		{"/.", "", 404},
		{"/..", "", 404},
		{"/../etc/passwd", "", 404},
		{"/models/../index.html", "", 404},
		{"/./index.html", "", 404},
		{"/%2e%2e/etc/passwd", "", 404},
		{"/%2E%2E/etc/passwd", "", 404},
		{"/.%2e/index.html", "", 404},
		{"/.git/config", "", 404},
		{"/%2egit/config", "", 404},
		{"/models%2fbase.ckpt", "", 404},
		{"/models%2Fbase.ckpt", "", 404},
		{"/..%2f..%2fetc%2fpasswd", "", 404},
		{"/%5c..%5cindex.html", "", 404},
		{"/\\..\\index.html", "", 404},
		{"/a\\b", "", 404},
		{"/index.html%00", "", 404},
		{"/index.html%00.js", "", 404},
		{"/%00", "", 404},
		{"/index.html%0a", "", 404},
		{"/index.html%0d%0aSet-Cookie:x", "", 404},
		{"/%7f", "", 404},
		{"/C:/windows/win.ini", "", 404},
		{"/C%3a/windows/win.ini", "", 404},
		{"/%zz", "", 404},
		{"/%", "", 404},
		{"/%ff.js", "", 404}, // not UTF-8
		{"/" + strings.Repeat("a", maxPathLen-1), strings.Repeat("a", maxPathLen-1), 0},
		{"/" + strings.Repeat("a", maxPathLen), "", 414},
		{"/" + strings.Repeat("../", 1000), "", 414},
	}
	for _, tt := range tests {
		name, status := cleanPath(tt.escaped)
		if name != tt.wantName || status != tt.wantStatus {
			short := tt.escaped
			if len(short) > 40 {
				short = short[:40] + "..."
			}
			t.Errorf("cleanPath(%q): got (%q, %d), want (%q, %d)", short, name, status, tt.wantName, tt.wantStatus)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, seed := range []string{
		"/", "/index.html", "/models/x.ckpt", "/../x", "/%2e%2e/x", "/a%2fb", "/a\\b", "/%00",
		"//", "/.x", "/a/./b", "/%c3%a9", "/%", "/%zz", "/C:/x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		name, status := cleanPath(escaped)
		if status != 0 {
			if name != "" {
				t.Fatalf("cleanPath(%q): status %d with name %q", escaped, status, name)
			}
			if status != http.StatusNotFound && status != http.StatusRequestURITooLong {
				t.Fatalf("cleanPath(%q): status %d, want 404 or 414", escaped, status)
			}
			return
		}
		if !fs.ValidPath(name) || name == "." {
			t.Fatalf("cleanPath(%q) = %q: not a valid path inside the tree", escaped, name)
		}
		for _, elem := range strings.Split(name, "/") {
			if strings.HasPrefix(elem, ".") {
				t.Fatalf("cleanPath(%q) = %q: has a dot segment", escaped, name)
			}
		}
		if strings.ContainsAny(name, "\\:\x00\r\n") {
			t.Fatalf("cleanPath(%q) = %q: has a forbidden character", escaped, name)
		}
		if len(name) > maxPathLen {
			t.Fatalf("cleanPath(%q) = %q: longer than the limit", escaped, name)
		}
	})
}

// TestPathsOverTheWire sends raw request lines, so the paths reach the server exactly as written,
// through net/http's own request parsing. No odd path may give 500 or reach a file outside the
// tree.
func TestPathsOverTheWire(t *testing.T) {
	app := newTestApp(t)
	ts := httptest.NewUnstartedServer(newTestServer(t, Config{App: app.fsys}).Handler())
	ts.Config.MaxHeaderBytes = newTestServer(t, Config{App: app.fsys}).httpServer().MaxHeaderBytes
	ts.Start()
	defer ts.Close()

	js := app.hashed["app.js"]
	ckpt := app.hashed["models/base-rho50.ckpt"]
	tests := []struct {
		target string
		want   int
	}{
		{"/", 200},
		{"/index.html", 200},
		{"/?v=2", 200},
		{"/" + js, 200},
		{"/" + js + "?x=1#frag", 200},
		{"/" + ckpt, 200},
		{"/nope.js", 404},
		{"/INDEX.HTML", 404},
		{"/index.html/", 404},
		{"/models", 404},
		{"/models/", 404},
		{"/" + js + ".br", 404},
		{"/" + js + ".gz", 404},
		{"/README.txt", 404},
		{"/../../../../etc/passwd", 404},
		{"/models/../index.html", 404},
		{"/./index.html", 404},
		{"//index.html", 404},
		{"/%2e%2e/%2e%2e/etc/passwd", 404},
		{"/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404},
		{"/models%2f" + strings.TrimPrefix(ckpt, "models/"), 404},
		{"/models%2F" + strings.TrimPrefix(ckpt, "models/"), 404},
		{"/%5c..%5cindex.html", 404},
		{"/\\..\\index.html", 404},
		{"/index.html%00", 404},
		{"/%00", 404},
		{"/index.html%0d%0aX-Injected:%201", 404},
		{"/C:/windows/win.ini", 404},
		{"/%zz", 400}, // net/http refuses a bad escape before any handler runs
		{"/" + strings.Repeat("a", 10000), 414},
		{"/" + strings.Repeat("..%2f", 3000), 414},
		{"/" + strings.Repeat("a", 100<<10), 431}, // larger than MaxHeaderBytes: net/http answers
	}
	for _, tt := range tests {
		got := rawGet(t, ts.Listener.Addr().String(), tt.target)
		short := tt.target
		if len(short) > 50 {
			short = short[:50] + "..."
		}
		if got != tt.want {
			t.Errorf("GET %s: got %d, want %d", short, got, tt.want)
		}
	}
}

// rawGet sends "GET target HTTP/1.1" as written and returns the response status.
func rawGet(t *testing.T, addr, target string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %.50s: reading response: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
