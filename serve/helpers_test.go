package serve

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"

	"github.com/copsdlab/copsd/serve/manifest"
)

// testApp is a small app tree shaped like the bundler's output, built in memory so the tests do
// not depend on a built app.
type testApp struct {
	fsys fstest.MapFS
	// orig maps each served name to its uncompressed bytes.
	orig map[string][]byte
	// hashed maps logical names to served names.
	hashed manifest.Manifest
}

const testIndex = `<!doctype html>
<html><head><meta charset="utf-8"><title>COPSD Lab</title>
<link rel="stylesheet" href="style.css"><script src="app.js" defer></script></head>
<body><main id="app">loading the lab, loading the lab, loading the lab, loading the lab</main></body></html>
`

func newTestApp(t testing.TB) *testApp {
	t.Helper()
	app := &testApp{fsys: fstest.MapFS{}, orig: map[string][]byte{}, hashed: manifest.Manifest{}}
	noise := make([]byte, 3000) // incompressible: stands in for a png
	for i := range noise {
		noise[i] = byte(i*7919 + i*i*31)
	}
	type file struct {
		logical  string
		data     []byte
		variants []string // suffixes written
	}
	files := []file{
		{"app.js", bytes.Repeat([]byte("postMessage({step: 1, loss: 2.5});\n"), 300), []string{".br", ".gz"}},
		{"engine.wasm", append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 4000)...), []string{".br", ".gz"}},
		{"models/base-rho50.ckpt", bytes.Repeat([]byte("COPSDCKPT tensor 0.125 "), 900), []string{".br", ".gz"}},
		{"style.css", bytes.Repeat([]byte("body { margin: 0 }\n"), 50), []string{".br"}},
		{"logo.png", noise, nil},
	}
	for _, f := range files {
		name := manifest.HashedName(f.logical, manifest.Hash(f.data))
		app.hashed[f.logical] = name
		app.add(t, name, f.data, f.variants...)
	}
	app.add(t, manifest.Index, []byte(testIndex), ".br", ".gz")
	app.add(t, manifest.Name, app.hashed.Encode(), ".br", ".gz")
	app.fsys[manifest.Placeholder] = &fstest.MapFile{Data: []byte("placeholder\n")}
	return app
}

func (a *testApp) add(t testing.TB, name string, data []byte, suffixes ...string) {
	a.fsys[name] = &fstest.MapFile{Data: data}
	a.orig[name] = data
	for _, s := range suffixes {
		a.fsys[name+s] = &fstest.MapFile{Data: compress(t, s, data)}
	}
}

func compress(t testing.TB, suffix string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch suffix {
	case ".br":
		w = brotli.NewWriterLevel(&buf, 5)
	case ".gz":
		w, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	default:
		t.Fatalf("unknown suffix %q", suffix)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decode returns body decoded per its Content-Encoding.
func decode(t testing.TB, encoding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch encoding {
	case "":
		return body
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s body: %v", encoding, err)
	}
	return out
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// do sends one request to h. Extra arguments are header name, value pairs.
func do(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
