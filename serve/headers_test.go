package serve

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/copsdlab/copsd/serve/manifest"
)

const wantCSPBase = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; "

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	app := newTestApp(t)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "teapot", http.StatusTeapot)
	})
	requests := []struct {
		method, path string
		header       []string
		want         int
	}{
		{"GET", "/", nil, 200},
		{"GET", "/" + app.hashed["engine.wasm"], []string{"Accept-Encoding", "br"}, 200},
		{"HEAD", "/" + app.hashed["app.js"], nil, 200},
		{"GET", "/" + app.hashed["engine.wasm"], []string{"Range", "bytes=0-3"}, 206},
		{"GET", "/" + app.hashed["engine.wasm"], []string{"Range", "bytes=999999-"}, 416},
		{"GET", "/nope", nil, 404},
		{"GET", "/../x", nil, 404},
		{"GET", "/" + strings.Repeat("x", 2000), nil, 414},
		{"POST", "/", nil, 405},
		{"GET", "/healthz", nil, 200},
		{"GET", "/api/board", nil, 418},
	}
	configs := []struct {
		name      string
		ancestors []string
		wantCSP   string
		wantXFO   string
	}{
		{"default", nil, wantCSPBase + "frame-ancestors 'none'", "DENY"},
		{"framing allowed", []string{"https://course.example.edu", "https://lms.example.org:8443"},
			wantCSPBase + "frame-ancestors https://course.example.edu https://lms.example.org:8443", ""},
	}
	for _, cfg := range configs {
		h := newTestServer(t, Config{App: app.fsys, API: api, FrameAncestors: cfg.ancestors}).Handler()
		for _, rq := range requests {
			resp := do(h, rq.method, rq.path, rq.header...)
			what := cfg.name + ": " + rq.method + " " + rq.path[:min(len(rq.path), 40)]
			if resp.Code != rq.want {
				t.Errorf("%s: got %d, want %d", what, resp.Code, rq.want)
			}
			want := map[string]string{
				"Content-Security-Policy":    cfg.wantCSP,
				"X-Content-Type-Options":     "nosniff",
				"Referrer-Policy":            "no-referrer",
				"Cross-Origin-Opener-Policy": "same-origin",
				"X-Frame-Options":            cfg.wantXFO,
			}
			for k, v := range want {
				if got := resp.Header().Values(k); !(v == "" && len(got) == 0) && !reflect.DeepEqual(got, []string{v}) {
					t.Errorf("%s: %s: got %q, want %q", what, k, got, v)
				}
			}
		}
	}

	// The 304 and 503 answers carry them too.
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	etag := do(h, "GET", "/").Header().Get("ETag")
	notBuilt := newTestServer(t, Config{App: fstest.MapFS{manifest.Placeholder: {}}}).Handler()
	for what, resp := range map[string]*http.Response{
		"304": do(h, "GET", "/", "If-None-Match", etag).Result(),
		"503": do(notBuilt, "GET", "/").Result(),
	} {
		if got := resp.Header.Get("Content-Security-Policy"); got != wantCSPBase+"frame-ancestors 'none'" {
			t.Errorf("%s: Content-Security-Policy: got %q", what, got)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options: got %q, want DENY", what, got)
		}
	}
}

func TestParseFrameAncestors(t *testing.T) {
	valid := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"https://course.example.edu", []string{"https://course.example.edu"}},
		{"https://course.example.edu/", []string{"https://course.example.edu"}},
		{"HTTPS://Course.Example.EDU", []string{"https://course.example.edu"}},
		{"https://a.example.edu https://b.example.edu:8443", []string{"https://a.example.edu", "https://b.example.edu:8443"}},
		{"https://a.example.edu,https://b.example.edu", []string{"https://a.example.edu", "https://b.example.edu"}},
		{"https://a.example.edu https://A.example.edu", []string{"https://a.example.edu"}},
		{"https://*.example.edu", []string{"https://*.example.edu"}},
		{"http://localhost:8000", []string{"http://localhost:8000"}},
		{"http://127.0.0.1:8000", []string{"http://127.0.0.1:8000"}},
	}
	for _, tt := range valid {
		got, err := ParseFrameAncestors(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFrameAncestors(%q): got %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}

	invalid := []string{
		"course.example.edu",
		"'self'",
		"'none'",
		"*",
		"https:",
		"https://",
		"https://*",
		"https://a.*.edu",
		"https://course.example.edu/lab",
		"https://course.example.edu?x=1",
		"https://course.example.edu#top",
		"https://user@course.example.edu",
		"ftp://course.example.edu",
		"javascript:alert(1)",
		"data:",
		"https://course.example.edu;script-src",
		"https://course.example.edu'",
		`https://course.example.edu"`,
		"https://course.example.edu:0",
		"https://course.example.edu:65536",
		"https://course.example.edu:http",
		"https://course.example.edu:",
		"https://under_score.edu",
		"https://-lead.edu",
		"https://a..edu",
		"https://[::1]",
		"https://ok.example.edu not-an-origin",
	}
	for _, in := range invalid {
		if got, err := ParseFrameAncestors(in); err == nil {
			t.Errorf("ParseFrameAncestors(%q): got %q, want an error", in, got)
		}
	}
}

func TestNewValidatesFrameAncestors(t *testing.T) {
	_, err := New(Config{App: newTestApp(t).fsys, FrameAncestors: []string{"https://ok.edu; script-src *"}, Logger: quietLogger()})
	if err == nil {
		t.Fatal("New with a frame ancestor holding a directive: got nil error, want one")
	}
}
