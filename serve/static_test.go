package serve

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/copsdlab/copsd/serve/manifest"
)

func TestEncodingChoice(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	wasm := "/" + app.hashed["engine.wasm"]
	css := "/" + app.hashed["style.css"] // has .br only
	png := "/" + app.hashed["logo.png"]  // has no variants

	tests := []struct {
		path, accept string
		want         string // Content-Encoding
	}{
		{wasm, "", ""},
		{wasm, "br", "br"},
		{wasm, "gzip", "gzip"},
		{wasm, "gzip, deflate, br, zstd", "br"}, // what browsers send
		{wasm, "gzip;q=1.0, br;q=0.1", "br"},    // server preference; q only excludes
		{wasm, "BR", "br"},
		{wasm, "x-gzip", "gzip"},
		{wasm, "br;q=0, gzip", "gzip"},
		{wasm, "br;q=0.0, gzip;q=0.000", ""},
		{wasm, "br;q=0.001", "br"},
		{wasm, "*", "br"},
		{wasm, "*;q=0", ""},
		{wasm, "*, br;q=0", "gzip"},
		{wasm, "gzip;q=0, *", "br"},
		{wasm, "identity", ""},
		{wasm, "identity;q=0", ""}, // nothing else acceptable: identity anyway
		{wasm, "deflate, zstd", ""},
		{wasm, "br;q=bogus, gzip", "gzip"}, // an unparsable entry is ignored
		{wasm, "br;q=2", ""},
		{wasm, " br ; q=0.5 ,gzip", "br"},
		{css, "gzip", ""},
		{css, "gzip, br", "br"},
		{png, "gzip, br", ""},
		{"/", "gzip, br", "br"},
		{"/" + manifest.Name, "gzip", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			resp := do(h, "GET", tt.path, "Accept-Encoding", tt.accept)
			if resp.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200", resp.Code)
			}
			if got := resp.Header().Get("Content-Encoding"); got != tt.want {
				t.Errorf("Content-Encoding: got %q, want %q", got, tt.want)
			}
			body := resp.Body.Bytes()
			if got, want := resp.Header().Get("Content-Length"), strconv.Itoa(len(body)); got != want {
				t.Errorf("Content-Length: got %q, want %q (bytes sent)", got, want)
			}
			name := strings.TrimPrefix(tt.path, "/")
			if name == "" {
				name = manifest.Index
			}
			if got := decode(t, tt.want, body); !bytes.Equal(got, app.orig[name]) {
				t.Errorf("decoded body: got %d bytes, want the %d bytes of %s", len(got), len(app.orig[name]), name)
			}
			wantVary := "Accept-Encoding"
			if tt.path == png {
				wantVary = ""
			}
			if got := resp.Header().Get("Vary"); got != wantVary {
				t.Errorf("Vary: got %q, want %q", got, wantVary)
			}
		})
	}
}

func TestContentTypeAndCaching(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	tests := []struct {
		path, wantType, wantCache string
	}{
		{"/", "text/html; charset=utf-8", "no-cache"},
		{"/index.html", "text/html; charset=utf-8", "no-cache"},
		{"/" + manifest.Name, "application/json", "no-cache"},
		{"/" + app.hashed["app.js"], "text/javascript; charset=utf-8", cacheImmutable},
		{"/" + app.hashed["engine.wasm"], "application/wasm", cacheImmutable},
		{"/" + app.hashed["models/base-rho50.ckpt"], "application/octet-stream", cacheImmutable},
		{"/" + app.hashed["style.css"], "text/css; charset=utf-8", cacheImmutable},
		{"/" + app.hashed["logo.png"], "image/png", cacheImmutable},
	}
	for _, tt := range tests {
		for _, enc := range []string{"", "gzip", "br"} {
			resp := do(h, "GET", tt.path, "Accept-Encoding", enc)
			if got := resp.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("GET %s (%q): Content-Type: got %q, want %q", tt.path, enc, got, tt.wantType)
			}
			if got := resp.Header().Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("GET %s (%q): Cache-Control: got %q, want %q", tt.path, enc, got, tt.wantCache)
			}
		}
	}
}

func TestETagPerVariantAndConditionalGet(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	for _, path := range []string{"/", "/" + app.hashed["engine.wasm"], "/" + manifest.Name} {
		etags := map[string]string{} // encoding → ETag
		for _, enc := range []string{"", "gzip", "br"} {
			resp := do(h, "GET", path, "Accept-Encoding", enc)
			etag := resp.Header().Get("ETag")
			if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
				t.Fatalf("GET %s (%q): ETag: got %q, want a strong quoted tag", path, enc, etag)
			}
			for prevEnc, prev := range etags {
				if prev == etag {
					t.Errorf("GET %s: ETag of %q and %q: both %s, want one per variant", path, enc, prevEnc, etag)
				}
			}
			etags[enc] = etag
		}

		tests := []struct {
			accept, ifNoneMatch string
			want                int
		}{
			{"br", etags["br"], http.StatusNotModified},
			{"gzip", etags["gzip"], http.StatusNotModified},
			{"", etags[""], http.StatusNotModified},
			{"br", "W/" + etags["br"], http.StatusNotModified},
			{"br", `"other", ` + etags["br"], http.StatusNotModified},
			{"br", "*", http.StatusNotModified},
			{"gzip", etags["br"], http.StatusOK}, // the br tag does not validate the gzip body
			{"", etags["br"], http.StatusOK},
			{"br", `"other"`, http.StatusOK},
			{"br", `garbage`, http.StatusOK},
		}
		for _, tt := range tests {
			resp := do(h, "GET", path, "Accept-Encoding", tt.accept, "If-None-Match", tt.ifNoneMatch)
			if resp.Code != tt.want {
				t.Errorf("GET %s (%q, If-None-Match %s): got %d, want %d", path, tt.accept, tt.ifNoneMatch, resp.Code, tt.want)
				continue
			}
			if tt.want != http.StatusNotModified {
				continue
			}
			if resp.Body.Len() != 0 {
				t.Errorf("GET %s (%q): 304 with a %d-byte body, want none", path, tt.accept, resp.Body.Len())
			}
			if got := resp.Header().Get("ETag"); got != etags[tt.accept] {
				t.Errorf("GET %s (%q): 304 ETag: got %q, want %q", path, tt.accept, got, etags[tt.accept])
			}
			for _, k := range []string{"Cache-Control", "Vary"} {
				if resp.Header().Get(k) == "" {
					t.Errorf("GET %s (%q): 304 without %s", path, tt.accept, k)
				}
			}
		}
	}
}

func TestHead(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	for _, path := range []string{"/", "/" + app.hashed["engine.wasm"], "/" + app.hashed["logo.png"]} {
		for _, enc := range []string{"", "gzip", "br"} {
			get := do(h, "GET", path, "Accept-Encoding", enc)
			head := do(h, "HEAD", path, "Accept-Encoding", enc)
			if head.Code != http.StatusOK {
				t.Errorf("HEAD %s (%q): got %d, want 200", path, enc, head.Code)
			}
			if head.Body.Len() != 0 {
				t.Errorf("HEAD %s (%q): got a %d-byte body, want none", path, enc, head.Body.Len())
			}
			for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "ETag", "Cache-Control"} {
				if got, want := head.Header().Get(k), get.Header().Get(k); got != want {
					t.Errorf("HEAD %s (%q): %s: got %q, want %q as for GET", path, enc, k, got, want)
				}
			}
			if got, want := head.Header().Get("Content-Length"), strconv.Itoa(get.Body.Len()); got != want {
				t.Errorf("HEAD %s (%q): Content-Length: got %q, want %q", path, enc, got, want)
			}
		}
	}
}

func TestRange(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	name := app.hashed["engine.wasm"]

	// Identity bodies honour Range.
	resp := do(h, "GET", "/"+name, "Range", "bytes=0-7")
	if resp.Code != http.StatusPartialContent {
		t.Fatalf("identity Range: got %d, want 206", resp.Code)
	}
	if got, want := resp.Body.String(), string(app.orig[name][:8]); got != want {
		t.Errorf("identity Range body: got %q, want %q", got, want)
	}

	// Encoded bodies ignore it and send everything, with its length.
	resp = do(h, "GET", "/"+name, "Range", "bytes=0-7", "Accept-Encoding", "br")
	if resp.Code != http.StatusOK {
		t.Fatalf("br Range: got %d, want 200", resp.Code)
	}
	if got, want := resp.Header().Get("Content-Length"), strconv.Itoa(resp.Body.Len()); got != want {
		t.Errorf("br Range: Content-Length: got %q, want %q", got, want)
	}
	if got := decode(t, "br", resp.Body.Bytes()); !bytes.Equal(got, app.orig[name]) {
		t.Errorf("br Range: decoded %d bytes, want the whole %d-byte file", len(got), len(app.orig[name]))
	}
}

func TestMethods(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	for _, path := range []string{"/", "/" + app.hashed["app.js"], "/nope", "/healthz"} {
		for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECTX"} {
			resp := do(h, method, path)
			if resp.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: got %d, want 405", method, path, resp.Code)
			}
			if got := resp.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow: got %q, want %q", method, path, got, "GET, HEAD")
			}
		}
	}
}

func TestNotBuilt(t *testing.T) {
	fsys := fstest.MapFS{manifest.Placeholder: {Data: []byte("placeholder\n")}}
	s := newTestServer(t, Config{App: fsys})
	if s.Built() {
		t.Fatal("Built: got true for a tree without index.html, want false")
	}
	h := s.Handler()
	for _, method := range []string{"GET", "HEAD"} {
		for _, path := range []string{"/", "/index.html"} {
			resp := do(h, method, path)
			if resp.Code != http.StatusServiceUnavailable {
				t.Errorf("%s %s: got %d, want 503", method, path, resp.Code)
			}
			if got := resp.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("%s %s: Content-Type: got %q, want text/html", method, path, got)
			}
			if method == "GET" && !strings.Contains(resp.Body.String(), "the app is not built: run <code>make run</code>") {
				t.Errorf("GET %s: body %q does not say how to build the app", path, resp.Body.String())
			}
		}
	}
	for _, path := range []string{"/app.js", "/README.txt"} {
		if resp := do(h, "GET", path); resp.Code != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", path, resp.Code)
		}
	}
	resp := do(h, "GET", "/healthz")
	if resp.Code != http.StatusOK || !strings.Contains(resp.Body.String(), `"app_built":false`) {
		t.Errorf("GET /healthz: got %d %q, want 200 with app_built false", resp.Code, resp.Body.String())
	}
}

// The embedded tree must always load, built or not: a fresh clone has only README.txt in it.
func TestEmbeddedAppLoads(t *testing.T) {
	s := newTestServer(t, Config{})
	resp := do(s.Handler(), "GET", "/")
	want := http.StatusServiceUnavailable
	if s.Built() {
		want = http.StatusOK
	}
	if resp.Code != want {
		t.Errorf("GET / of the embedded app (built=%t): got %d, want %d", s.Built(), resp.Code, want)
	}
}

func TestCorruptTreeRefused(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(app *testApp)
		want   string // in the error
	}{
		{"manifest not JSON", func(a *testApp) {
			a.fsys[manifest.Name] = &fstest.MapFile{Data: []byte("{")}
		}, manifest.Name},
		{"manifest entry not hashed", func(a *testApp) {
			a.fsys[manifest.Name] = &fstest.MapFile{Data: []byte(`{"app.js": "app.js"}`)}
		}, "not a hashed name"},
		{"listed file missing", func(a *testApp) {
			delete(a.fsys, a.hashed["app.js"])
		}, "missing"},
		{"content does not match its name", func(a *testApp) {
			a.fsys[a.hashed["engine.wasm"]] = &fstest.MapFile{Data: []byte("\x00asm changed")}
		}, "content hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp(t)
			tt.mutate(app)
			_, err := New(Config{App: app.fsys, Logger: quietLogger()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestAPIMount(t *testing.T) {
	app := newTestApp(t)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
	})
	tests := []struct {
		api        http.Handler
		method     string
		path       string
		wantStatus int
		wantBody   string
	}{
		{nil, "GET", "/api/board", http.StatusNotFound, `{"error":"not found"}`},
		{nil, "POST", "/api/board", http.StatusNotFound, `{"error":"not found"}`},
		{api, "GET", "/api/board", http.StatusOK, `{"path":"/api/board"}`},
		{api, "POST", "/api/runs/42", http.StatusOK, `{"path":"/api/runs/42"}`},
		{api, "GET", "/api", http.StatusOK, `{"path":"/api"}`},
		{api, "GET", "/apix", http.StatusNotFound, "404 page not found"},
	}
	for _, tt := range tests {
		h := newTestServer(t, Config{App: app.fsys, API: tt.api}).Handler()
		resp := do(h, tt.method, tt.path)
		if resp.Code != tt.wantStatus || strings.TrimSpace(resp.Body.String()) != tt.wantBody {
			t.Errorf("%s %s (api=%t): got %d %q, want %d %q", tt.method, tt.path, tt.api != nil,
				resp.Code, resp.Body.String(), tt.wantStatus, tt.wantBody)
		}
	}
}

func TestHealthz(t *testing.T) {
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys}).Handler()
	resp := do(h, "GET", "/healthz")
	if resp.Code != http.StatusOK {
		t.Fatalf("GET /healthz: got %d, want 200", resp.Code)
	}
	if got, want := resp.Body.String(), "{\"status\":\"ok\",\"app_built\":true}\n"; got != want {
		t.Errorf("GET /healthz: body: got %q, want %q", got, want)
	}
	if got := resp.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("GET /healthz: Content-Type: got %q, want application/json", got)
	}
}
