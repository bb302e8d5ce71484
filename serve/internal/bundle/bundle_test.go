package bundle

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/copsdlab/copsd/serve/manifest"
)

// writeTree writes files (slash-separated name → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under dir, by slash-separated name.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var webSources = map[string]string{
	"index.html": `<!doctype html>
<html><head><meta charset="utf-8"><title>COPSD Lab</title>
<link rel="stylesheet" href="style.css">
<link rel="icon" href="/img/logo.svg">
<script src="./main.js" defer></script></head>
<body><main id="app">Loading...</main>
<p>main.js, style.css and index.html in prose are tokens too; asset-manifest.json is not hashed.</p>
</body></html>
`,
	"main.js": `// main.js: starts the training worker.
const worker = new Worker("worker.js", { name: "engine" });
const help = "docs/engine.wasm.txt"; // not an asset: no rewrite
`,
	"worker.js": `importScripts("wasm_exec.js");
const manifest = await (await fetch("/asset-manifest.json")).json();
const url = (name) => manifest[name] ?? name;
const wasm = fetch(url("engine.wasm"));
const ckpt = (rho) => fetch(url("models/base-rho" + rho + ".ckpt"));
`,
	"style.css":    "body { background: url(img/logo.svg) no-repeat; margin: 0; padding: 0; }\n",
	"img/logo.svg": `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#336"/></svg>`,
	".DS_Store":    "skipped",
	".cache/x.js":  "skipped",
}

// extraInputs writes the files given with -file and returns them.
func extraInputs(t *testing.T, engine string) []File {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"engine.wasm": engine,
		"rho0.ckpt":   strings.Repeat("COPSDCKPT w 0.0 ", 2000),
		"rho50.ckpt":  strings.Repeat("COPSDCKPT w 0.5 ", 2000),
	})
	return []File{
		{Name: "engine.wasm", Path: filepath.Join(dir, "engine.wasm")},
		{Name: "models/base-rho0.ckpt", Path: filepath.Join(dir, "rho0.ckpt")},
		{Name: "models/base-rho50.ckpt", Path: filepath.Join(dir, "rho50.ckpt")},
	}
}

// stubEngine is a wasm module header followed by filler: not runnable, but shaped like one.
var stubEngine = "\x00asm\x01\x00\x00\x00" + strings.Repeat("\x00\x01stub engine", 3000)

func build(t *testing.T, src string, files []File, out string) *Result {
	t.Helper()
	res, err := Build(Options{Src: src, Out: out, Files: files})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return res
}

func TestBuild(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, webSources)
	out := t.TempDir()
	writeTree(t, out, map[string]string{
		manifest.Placeholder:  "placeholder, kept",
		"old.11111111.js":     "stale",
		"old.11111111.js.br":  "stale",
		"models/x.ckpt":       "stale",
		"engine.wasm.br":      "stale variant of nothing",
		"index.html.gz":       "stale",
		"sub/dir/deep/x.json": "stale",
	})
	res := build(t, src, extraInputs(t, stubEngine), out)
	tree := readTree(t, out)

	if got := string(tree[AssetsIgnore]); !strings.Contains(got, "*.br\n") || !strings.Contains(got, "*.gz\n") || !strings.Contains(got, manifest.Placeholder) {
		t.Errorf("%s: got %q, want the variants and the placeholder kept from the Workers assets", AssetsIgnore, got)
	}
	if got := string(tree[manifest.Placeholder]); got != "placeholder, kept" {
		t.Errorf("%s: got %q, want it kept", manifest.Placeholder, got)
	}
	m, err := manifest.Parse(tree[manifest.Name])
	if err != nil {
		t.Fatal(err)
	}
	wantLogical := []string{"engine.wasm", "img/logo.svg", "main.js", "models/base-rho0.ckpt",
		"models/base-rho50.ckpt", "style.css", "wasm_exec.js", "worker.js"}
	if got := m.Names(); !reflect.DeepEqual(got, wantLogical) {
		t.Errorf("manifest names: got %q, want %q", got, wantLogical)
	}
	if !reflect.DeepEqual(res.Manifest, m) {
		t.Errorf("Result.Manifest: got %v, want the written %v", res.Manifest, m)
	}

	// Exactly the expected files: sources, manifest, placeholder and variants; nothing stale.
	want := map[string]bool{manifest.Index: true, manifest.Name: true, manifest.Placeholder: true, AssetsIgnore: true}
	for _, h := range m {
		want[h] = true
	}
	for name := range tree {
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".br"), ".gz")
		if !want[name] && !(base != name && want[base]) {
			t.Errorf("unexpected file %s in the output", name)
		}
	}
	for name := range want {
		if tree[name] == nil {
			t.Errorf("missing %s in the output", name)
		}
	}

	// Hashed names carry the hash of the bytes written.
	for logical, name := range m {
		if _, h, _ := manifest.SplitHashed(name); h != manifest.Hash(tree[name]) {
			t.Errorf("%s: name says %s, content hashes to %s", logical, h, manifest.Hash(tree[name]))
		}
	}

	// References rewritten, wherever written and however spelled.
	index := string(tree[manifest.Index])
	for _, want := range []string{
		`href="` + m["style.css"] + `"`,
		`href="/` + m["img/logo.svg"] + `"`,
		`src="./` + m["main.js"] + `"`,
		m["main.js"] + ", " + m["style.css"] + " and index.html in prose",
		"asset-manifest.json is not hashed",
	} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html: no %q in\n%s", want, index)
		}
	}
	checks := map[string][]string{
		"main.js": {`// main.js: starts`, `new Worker("` + m["worker.js"] + `"`, `"docs/engine.wasm.txt"`},
		"worker.js": {`importScripts("` + m["wasm_exec.js"] + `")`, `fetch("/asset-manifest.json")`,
			`url("` + m["engine.wasm"] + `")`, `url("models/base-rho" + rho + ".ckpt")`},
		"style.css": {"url(" + m["img/logo.svg"] + ")"},
	}
	for logical, wants := range checks {
		body := string(tree[m[logical]])
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no %q in\n%s", logical, w, body)
			}
		}
	}

	// wasm_exec.js is this Go's own.
	goroot := testGOROOT(t)
	orig, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", WasmExec))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tree[m[WasmExec]], orig) {
		t.Errorf("%s differs from %s/lib/wasm/%s", m[WasmExec], goroot, WasmExec)
	}

	// Variants: present for compressible files when smaller, decode to the file, and gzip
	// headers carry no name or time.
	for _, name := range []string{manifest.Index, manifest.Name, m["engine.wasm"], m["main.js"], m["worker.js"],
		m["wasm_exec.js"], m["models/base-rho50.ckpt"]} {
		for _, suffix := range []string{".br", ".gz"} {
			v := tree[name+suffix]
			if v == nil {
				t.Errorf("no %s%s", name, suffix)
				continue
			}
			if len(v) >= len(tree[name]) {
				t.Errorf("%s%s: %d bytes, not smaller than the %d-byte file", name, suffix, len(v), len(tree[name]))
			}
			var r io.Reader
			if suffix == ".br" {
				r = brotli.NewReader(bytes.NewReader(v))
			} else {
				zr, err := gzip.NewReader(bytes.NewReader(v))
				if err != nil {
					t.Fatal(err)
				}
				if !zr.ModTime.IsZero() || zr.Name != "" || zr.Comment != "" {
					t.Errorf("%s.gz header: mtime %v, name %q, comment %q; want all empty", name, zr.ModTime, zr.Name, zr.Comment)
				}
				r = zr
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, tree[name]) {
				t.Errorf("%s%s does not decode to %s (err %v)", name, suffix, name, err)
			}
		}
	}

	// The summary matches the files.
	for _, a := range res.Assets {
		if a.Size != len(tree[a.Name]) {
			t.Errorf("Result: %s: size %d, want %d", a.Name, a.Size, len(tree[a.Name]))
		}
		for enc, size := range a.Variants {
			suffix := map[string]string{"br": ".br", "gzip": ".gz"}[enc]
			if size != len(tree[a.Name+suffix]) {
				t.Errorf("Result: %s %s: size %d, want %d", a.Name, enc, size, len(tree[a.Name+suffix]))
			}
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("Warnings: got %q, want none", res.Warnings)
	}
}

func TestBuildDeterministic(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, webSources)
	files := extraInputs(t, stubEngine)
	a, b := t.TempDir(), t.TempDir()
	build(t, src, files, a)
	build(t, src, files, b)
	first := readTree(t, a)
	if second := readTree(t, b); !reflect.DeepEqual(first, second) {
		t.Errorf("two builds of the same inputs differ")
	}
	build(t, src, files, a) // rebuilding in place gives the same tree too
	if again := readTree(t, a); !reflect.DeepEqual(first, again) {
		t.Errorf("rebuilding in place changed the tree")
	}
}

// A file's hash covers the hashed names it references, so a new engine gives a new worker.js and,
// through it, a new main.js, while unrelated files keep their names (and browser caches).
func TestHashFollowsReferences(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, webSources)
	before := build(t, src, extraInputs(t, stubEngine), t.TempDir()).Manifest
	after := build(t, src, extraInputs(t, stubEngine+"v2"), t.TempDir()).Manifest
	for _, name := range []string{"engine.wasm", "worker.js", "main.js"} {
		if before[name] == after[name] {
			t.Errorf("%s: kept name %s after the engine changed, want a new one", name, before[name])
		}
	}
	for _, name := range []string{"style.css", "img/logo.svg", "wasm_exec.js", "models/base-rho50.ckpt"} {
		if before[name] != after[name] {
			t.Errorf("%s: renamed %s → %s, want it unchanged", name, before[name], after[name])
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   map[string]string
		files func(dir, out string) []File
		out   map[string]string // pre-existing output files
		want  string
	}{
		{name: "no index.html", src: map[string]string{"main.js": ""}, want: "no index.html"},
		{name: "reference cycle", src: map[string]string{
			"index.html": `<script src="a.js"></script>`,
			"a.js":       `import "./b.js";`,
			"b.js":       `import "./a.js";`,
		}, want: "reference cycle a.js → b.js → a.js"},
		{name: "vendored wasm_exec.js", src: map[string]string{"index.html": "", "wasm_exec.js": "old"},
			want: "copied from the Go root"},
		{name: "-file wasm_exec.js", files: func(dir, _ string) []File {
			return []File{{Name: "wasm_exec.js", Path: filepath.Join(dir, "x")}}
		}, want: "copied from the Go root"},
		{name: "-file collides with a source", files: func(dir, _ string) []File {
			return []File{{Name: "index.html", Path: filepath.Join(dir, "x")}}
		}, want: `two inputs named "index.html"`},
		{name: "-file twice", files: func(dir, _ string) []File {
			return []File{{Name: "e.wasm", Path: filepath.Join(dir, "x")}, {Name: "e.wasm", Path: filepath.Join(dir, "x")}}
		}, want: `two inputs named "e.wasm"`},
		{name: "-file missing", files: func(dir, _ string) []File {
			return []File{{Name: "e.wasm", Path: filepath.Join(dir, "nope")}}
		}, want: "no such file"},
		{name: "dot name", files: namedFile(".env"), want: "dot"},
		{name: "space in name", files: namedFile("a b.js"), want: "only letters"},
		{name: "quote in name", files: namedFile(`a".js`), want: "only letters"},
		{name: "variant name", files: namedFile("x.js.br"), want: "reserved"},
		{name: "manifest name", files: namedFile(manifest.Name), want: "written by the bundler"},
		{name: "parent name", files: namedFile("../x.js"), want: "not a slash-separated"},
		{name: "absolute name", files: namedFile("/x.js"), want: "not a slash-separated"},
		{name: "directory name", files: namedFile("models/"), want: "not a slash-separated"},
		{name: "output looks like a repo", out: map[string]string{"go.mod": "module x"}, want: "looks like a source tree"},
		{name: "input inside output", files: func(_, out string) []File {
			p := filepath.Join(out, "engine.wasm")
			os.WriteFile(p, []byte(stubEngine), 0o644)
			return []File{{Name: "engine.wasm", Path: p}}
		}, want: "inside the output directory"},
		{name: "wasm from another Go", files: func(dir, _ string) []File {
			p := filepath.Join(dir, "engine.wasm")
			os.WriteFile(p, wasmWithProducers("Go", "go1.0.1"), 0o644)
			return []File{{Name: "engine.wasm", Path: p}}
		}, want: "was built by go1.0.1 but wasm_exec.js comes from " + goVersion(testGOROOT(t))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dir, out := t.TempDir(), t.TempDir(), t.TempDir()
			if tt.src == nil {
				tt.src = map[string]string{"index.html": `<script src="main.js"></script>`, "main.js": ""}
			}
			writeTree(t, src, tt.src)
			writeTree(t, dir, map[string]string{"x": "extra"})
			writeTree(t, out, map[string]string{"sentinel.txt": "from an earlier build"})
			writeTree(t, out, tt.out)
			var files []File
			if tt.files != nil {
				files = tt.files(dir, out)
			}
			_, err := Build(Options{Src: src, Out: out, Files: files})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build: got error %v, want one containing %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(out, "sentinel.txt")); err != nil {
				t.Errorf("a failed build touched the output directory: %v", err)
			}
		})
	}
}

// testGOROOT is the Go root the bundler uses by default.
func testGOROOT(t *testing.T) string {
	t.Helper()
	goroot, err := findGOROOT("")
	if err != nil {
		t.Fatal(err)
	}
	return goroot
}

func namedFile(name string) func(dir, _ string) []File {
	return func(dir, _ string) []File { return []File{{Name: name, Path: filepath.Join(dir, "x")}} }
}

func TestBuildRefusesSourceInsideOutput(t *testing.T) {
	out := t.TempDir()
	src := filepath.Join(out, "web")
	writeTree(t, src, map[string]string{"index.html": ""})
	if _, err := Build(Options{Src: src, Out: out}); err == nil || !strings.Contains(err.Error(), "inside the output") {
		t.Fatalf("Build with -src inside -out: got %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(src, "index.html")); err != nil {
		t.Errorf("sources were deleted: %v", err)
	}
}

func TestBuildWarnsOnStandInWasm(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"index.html": ""})
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"engine.wasm": "not wasm at all"})
	res := build(t, src, []File{{Name: "engine.wasm", Path: filepath.Join(dir, "engine.wasm")}}, t.TempDir())
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "not a WebAssembly module") {
		t.Errorf("Warnings: got %q, want one about engine.wasm not being wasm", res.Warnings)
	}
}

func TestFindRefs(t *testing.T) {
	assets := map[string]bool{
		"main.js": true, "worker.js": true, "engine.wasm": true, "wasm_exec.js": true,
		"models/base.ckpt": true, "img/a.png": true, "css/site.css": true, "css/font.woff2": true,
	}
	isAsset := func(n string) bool { return assets[n] }
	tests := []struct {
		from, content string
		want          []string // targets, in order
	}{
		{"index.html", `<script src="main.js"></script>`, []string{"main.js"}},
		{"index.html", `<script src='/main.js'></script><script src=./main.js></script>`, []string{"main.js", "main.js"}},
		{"index.html", `<a href="main.js?v=2#x">`, []string{"main.js"}},
		{"index.html", `<link href="css/site.css"><img src="img/a.png">`, []string{"css/site.css", "img/a.png"}},
		{"index.html", `<script src="https://cdn.example/main.js"></script>`, nil},
		{"index.html", `<script src="//cdn.example/main.js"></script>`, nil},
		{"index.html", `xmain.js main.jsx main.js. /x/main.js`, nil},
		{"index.html", `<script src="MAIN.JS"></script>`, nil},
		{"index.html", `café/main.js émain.js`, nil},
		{"main.js", `new Worker("worker.js"); // main.js itself`, []string{"worker.js"}},
		{"worker.js", "importScripts(`wasm_exec.js`); fetch('engine.wasm')", []string{"wasm_exec.js", "engine.wasm"}},
		{"worker.js", `fetch("models/base.ckpt"); fetch("./models/base.ckpt")`, []string{"models/base.ckpt", "models/base.ckpt"}},
		{"worker.js", `fetch("models/" + "base.ckpt"); fetch("base.ckpt")`, nil},
		{"worker.js", `x.endsWith(".wasm"); import.meta.url; a+engine.wasm`, []string{"engine.wasm"}},
		{"sub/app.js", `fetch("engine.wasm"); import "./x.js"; import "../main.js"`, []string{"engine.wasm", "main.js"}},
		{"sub/app.js", `import "./engine.wasm"`, nil}, // relative: sub/engine.wasm does not exist
		{"css/site.css", `src: url(font.woff2); background: url("../img/a.png")`, []string{"css/font.woff2", "img/a.png"}},
		{"css/site.css", `background: url(img/a.png)`, nil}, // CSS is relative to itself: css/img/a.png
		{"index.html", `<img src="../img/a.png">`, nil},     // above the root
		{"index.html", `<a href="models/">`, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range findRefs(tt.from, []byte(tt.content), isAsset) {
			got = append(got, r.target)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("findRefs(%s, %q): got %q, want %q", tt.from, tt.content, got, tt.want)
		}
	}
}

func TestRewriteKeepsSpelling(t *testing.T) {
	hashed := map[string]string{"models/base.ckpt": "models/base.1a2b3c4d.ckpt", "img/a.png": "img/a.00ff00ff.png"}
	isAsset := func(n string) bool { _, ok := hashed[n]; return ok }
	tests := []struct{ from, in, want string }{
		{"w.js", `fetch("./models/base.ckpt?x")`, `fetch("./models/base.1a2b3c4d.ckpt?x")`},
		{"w.js", `fetch("/models/base.ckpt")`, `fetch("/models/base.1a2b3c4d.ckpt")`},
		{"css/s.css", `url(../img/a.png) url('/img/a.png')`, `url(../img/a.00ff00ff.png) url('/img/a.00ff00ff.png')`},
	}
	for _, tt := range tests {
		got := string(rewrite([]byte(tt.in), findRefs(tt.from, []byte(tt.in), isAsset), hashed))
		if got != tt.want {
			t.Errorf("rewrite(%s, %q): got %q, want %q", tt.from, tt.in, got, tt.want)
		}
	}
}

// wasmWithProducers returns a minimal wasm module whose producers section names a language.
func wasmWithProducers(lang, version string) []byte {
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	payload := str("producers")
	payload = append(payload, 2) // two fields
	payload = append(payload, str("processed-by")...)
	payload = append(payload, 1)
	payload = append(payload, str("tool")...)
	payload = append(payload, str("1.0")...)
	payload = append(payload, str("language")...)
	payload = append(payload, 1)
	payload = append(payload, str(lang)...)
	payload = append(payload, str(version)...)
	mod := []byte("\x00asm\x01\x00\x00\x00")
	mod = append(mod, 1, 1, 0)                     // type section, no types
	mod = append(mod, 0, 5, 4, 'n', 'a', 'm', 'e') // an unrelated custom section
	mod = append(mod, 0, byte(len(payload)))       // custom section
	return append(mod, payload...)
}

func TestWasmGoVersion(t *testing.T) {
	tests := []struct {
		name    string
		module  []byte
		want    string
		wantErr bool
	}{
		{"Go", wasmWithProducers("Go", "go1.26.8"), "go1.26.8", false},
		{"other language", wasmWithProducers("Rust", "1.80"), "", false},
		{"no sections", []byte("\x00asm\x01\x00\x00\x00"), "", false},
		{"not wasm", []byte("hello, world"), "", true},
		{"empty", nil, "", true},
		{"truncated section", []byte("\x00asm\x01\x00\x00\x00\x00\x7f"), "", true},
		{"truncated producers", wasmWithProducers("Go", "go1.26.8")[:40], "", true},
	}
	for _, tt := range tests {
		got, err := wasmGoVersion(tt.module)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: got (%q, %v), want (%q, error %t)", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestWasmGoVersionOfRealBuild compiles a tiny program to wasm with this Go, so a change in how
// Go records its version fails here rather than silently disabling the check.
func TestWasmGoVersionOfRealBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a wasm binary")
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"go.mod":  "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() { println(\"hello\") }\n",
	})
	goroot := testGOROOT(t)
	goBin := filepath.Join(goroot, "bin", "go")
	cmd := exec.Command(goBin, "build", "-o", "hello.wasm", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	module, err := os.ReadFile(filepath.Join(dir, "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := wasmGoVersion(module)
	if want := goVersion(goroot); got != want || err != nil {
		t.Errorf("wasmGoVersion(hello.wasm): got (%q, %v), want (%q, nil)", got, err, want)
	}
}
