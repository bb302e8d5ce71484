package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/copsdlab/copsd/serve/internal/bundle"
	"github.com/copsdlab/copsd/serve/manifest"
)

// TestBundleThenServe runs the whole pipeline on a throwaway web tree: bundle it with a stand-in
// engine.wasm and checkpoint, serve the output, and load it the way the browser does, following
// references from index.html down to the wasm and the checkpoint.
func TestBundleThenServe(t *testing.T) {
	src := t.TempDir()
	write := func(dir, name, content string) string {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write(src, "index.html", `<!doctype html><html><head><meta charset="utf-8"><title>lab</title>
<link rel="stylesheet" href="style.css"><script src="main.js" defer></script></head>
<body><main id="app"></main></body></html>
`)
	write(src, "style.css", "main { font: 14px sans-serif; }\n")
	write(src, "main.js", `const worker = new Worker("worker.js");
worker.onmessage = (e) => console.log(e.data);
`)
	write(src, "worker.js", `importScripts("wasm_exec.js");
const manifest = await (await fetch("asset-manifest.json")).json();
const url = (name) => manifest[name] ?? name;
const go = new Go();
const { instance } = await WebAssembly.instantiateStreaming(fetch(url("engine.wasm")), go.importObject);
const ckpt = await fetch(url("models/base-rho" + 50 + ".ckpt"));
`)
	ext := t.TempDir()
	wasm := write(ext, "engine.wasm", "\x00asm\x01\x00\x00\x00"+string(bytes.Repeat([]byte("stand-in engine "), 4000)))
	ckpt := write(ext, "base-rho50.ckpt", string(bytes.Repeat([]byte("COPSDCKPT 0.5 0.25 "), 3000)))

	out := filepath.Join(t.TempDir(), "dist")
	if _, err := bundle.Build(bundle.Options{
		Src:   src,
		Out:   out,
		Files: []bundle.File{{Name: "engine.wasm", Path: wasm}, {Name: "models/base-rho50.ckpt", Path: ckpt}},
	}); err != nil {
		t.Fatalf("bundle: %v", err)
	}

	ts := httptest.NewServer(newTestServer(t, Config{App: os.DirFS(out)}).Handler())
	defer ts.Close()

	// get fetches path asking for brotli, checks the framing of the response and returns the
	// decoded body.
	get := func(path, wantType string) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "br") // set by hand: the client then leaves the body encoded
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: got %d, want 200", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != wantType {
			t.Errorf("GET %s: Content-Type: got %q, want %q", path, got, wantType)
		}
		if got, want := resp.Header.Get("Content-Length"), strconv.Itoa(len(body)); got != want {
			t.Errorf("GET %s: Content-Length: got %q, want %q", path, got, want)
		}
		plain := decode(t, resp.Header.Get("Content-Encoding"), body)
		onDisk, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(path[1:])))
		if path == "/" {
			onDisk, err = os.ReadFile(filepath.Join(out, "index.html"))
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain, onDisk) {
			t.Errorf("GET %s: decoded body differs from the bundled file", path)
		}
		return plain
	}
	// ref returns the single hashed name that matches pattern in body.
	ref := func(body []byte, pattern string) string {
		t.Helper()
		m := regexp.MustCompile(pattern).FindSubmatch(body)
		if m == nil {
			t.Fatalf("no reference matching %s in\n%s", pattern, body)
		}
		if _, _, ok := manifest.SplitHashed(string(m[1])); !ok {
			t.Fatalf("reference %q is not a hashed name", m[1])
		}
		return "/" + string(m[1])
	}

	index := get("/", "text/html; charset=utf-8")
	get(ref(index, `href="(style\.[0-9a-f]{8}\.css)"`), "text/css; charset=utf-8")
	mainJS := get(ref(index, `src="(main\.[0-9a-f]{8}\.js)"`), "text/javascript; charset=utf-8")
	workerJS := get(ref(mainJS, `new Worker\("(worker\.[0-9a-f]{8}\.js)"\)`), "text/javascript; charset=utf-8")
	get(ref(workerJS, `importScripts\("(wasm_exec\.[0-9a-f]{8}\.js)"\)`), "text/javascript; charset=utf-8")
	wasmPath := ref(workerJS, `url\("(engine\.[0-9a-f]{8}\.wasm)"\)`)
	if got := get(wasmPath, "application/wasm"); !bytes.HasPrefix(got, []byte("\x00asm")) {
		t.Errorf("GET %s: not the engine", wasmPath)
	}

	// The checkpoint's name is built at run time, so the worker looks it up in the manifest.
	var m map[string]string
	if err := json.Unmarshal(get("/"+manifest.Name, "application/json"), &m); err != nil {
		t.Fatal(err)
	}
	if got := get("/"+m["models/base-rho50.ckpt"], "application/octet-stream"); len(got) != 3000*len("COPSDCKPT 0.5 0.25 ") {
		t.Errorf("checkpoint: got %d bytes", len(got))
	}
}
