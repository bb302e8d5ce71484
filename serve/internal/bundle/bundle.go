// Package bundle builds the deployable static tree of the app from its web sources, the wasm
// binaries and the model checkpoints.
//
// The tree it writes is what the server embeds and what a static host serves:
//   - every file except index.html under a content-hashed name (see package manifest), with the
//     references to it in index.html, JS and CSS rewritten (see refs.go for what counts as one);
//   - asset-manifest.json, logical name → hashed name, for names built at run time;
//   - wasm_exec.js copied from the Go root of the Go that runs the bundler, never a vendored copy,
//     after checking that every Go-built .wasm input was compiled by that same Go release;
//   - name.br (brotli, quality 11) and name.gz (gzip -9) next to every compressible file, when
//     smaller than the file;
//   - .assetsignore, so that the same tree deploys as Cloudflare Workers assets (wrangler.jsonc)
//     without the precompressed variants.
//
// It is not an optimiser: it does not minify, concatenate or parse JS. Output is deterministic:
// the same inputs give the same bytes. The output directory is emptied first (except the
// committed README.txt placeholder), so no stale file or stale variant survives a build; nothing is
// removed until every input has been read and processed.
package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/copsdlab/copsd/serve/manifest"
)

// AssetsIgnore is the file, written at the root of the output, that tells the Cloudflare Workers
// assets binding (wrangler.jsonc) which files not to upload. Like every dot-file it is never served.
const AssetsIgnore = ".assetsignore"

// assetsIgnore keeps the precompressed variants (the edge compresses on its own and would serve
// them as files of their own) and the placeholder out of the Workers assets.
const assetsIgnore = `*.br
*.gz
README.txt
`

// WasmExec is the name under which the Go root's lib/wasm/wasm_exec.js is added to the app.
const WasmExec = "wasm_exec.js"

// File is an extra input: Name is its logical name in the app ("models/base-rho50.ckpt"), Path
// the file on disk.
type File struct {
	Name, Path string
}

// Options says what to bundle and where.
type Options struct {
	// Src is the directory of web sources (index.html, *.js, *.css, ...). Files and directories
	// whose names start with "." are skipped. It must contain index.html.
	Src string
	// Files are extra inputs, such as wasm binaries and checkpoints built elsewhere.
	Files []File
	// Out is the output directory. It is created if missing and emptied except for README.txt.
	Out string
	// GOROOT is the Go root whose lib/wasm/wasm_exec.js is copied. The zero value means the root
	// of the Go that built the running program, else `go env GOROOT`.
	GOROOT string
}

// Result describes a finished bundle.
type Result struct {
	Manifest manifest.Manifest
	// Assets lists every bundled file, sorted by logical name.
	Assets []Asset
	// Warnings are problems that did not stop the build.
	Warnings []string
}

// Asset is one bundled file.
type Asset struct {
	Logical string // name in the sources, e.g. "engine.wasm"
	Name    string // name in the output, e.g. "engine.1a2b3c4d.wasm"
	Size    int
	// Variants maps a Content-Encoding ("br", "gzip") to the size of its precompressed file;
	// encodings that did not make the file smaller are absent.
	Variants map[string]int
}

type input struct {
	src  string // where it was read from, for messages
	data []byte
}

// Build bundles opts.Src and opts.Files into opts.Out.
func Build(opts Options) (*Result, error) {
	if opts.Src == "" || opts.Out == "" {
		return nil, errors.New("bundle: need a source and an output directory")
	}
	goroot, err := findGOROOT(opts.GOROOT)
	if err != nil {
		return nil, err
	}
	in, err := gather(opts, goroot)
	if err != nil {
		return nil, err
	}
	warnings, err := checkWasmVersions(in, goroot)
	if err != nil {
		return nil, err
	}
	files, hashed, err := hashAll(in)
	if err != nil {
		return nil, err
	}
	m := manifest.Manifest(hashed)
	files[manifest.Name] = m.Encode()
	if err := fillServiceWorker(files); err != nil {
		return nil, err
	}

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	variants := compressAll(names, files)

	if err := prepareOut(opts); err != nil {
		return nil, err
	}
	// Sources first, variants after: a variant is never older than its source on disk.
	for _, n := range names {
		if err := writeFile(opts.Out, n, files[n]); err != nil {
			return nil, err
		}
	}
	for _, v := range variants {
		if err := writeFile(opts.Out, v.name, v.data); err != nil {
			return nil, err
		}
	}
	if err := writeFile(opts.Out, AssetsIgnore, []byte(assetsIgnore)); err != nil {
		return nil, err
	}
	res := summarize(in, hashed, files, variants, m)
	res.Warnings = warnings
	return res, nil
}

func summarize(in map[string]*input, hashed map[string]string, files map[string][]byte, variants []variant, m manifest.Manifest) *Result {
	sizes := make(map[string]int, len(variants))
	for _, v := range variants {
		sizes[v.name] = len(v.data)
	}
	res := &Result{Manifest: m}
	logical := append(slices.Collect(maps.Keys(in)), manifest.Name)
	slices.Sort(logical)
	for _, l := range logical {
		name := l
		if h, ok := hashed[l]; ok {
			name = h
		}
		a := Asset{Logical: l, Name: name, Size: len(files[name]), Variants: map[string]int{}}
		for _, e := range Encodings {
			if s, ok := sizes[name+e.Suffix]; ok {
				a.Variants[e.Name] = s
			}
		}
		res.Assets = append(res.Assets, a)
	}
	return res
}

// findGOROOT returns a Go root that has lib/wasm/wasm_exec.js.
func findGOROOT(dir string) (string, error) {
	if dir == "" {
		// The Go that built this program: with `go run`, the Go that runs the build.
		dir = runtime.GOROOT()
		if _, err := os.Stat(filepath.Join(dir, "lib", "wasm", WasmExec)); dir == "" || err != nil {
			out, err := exec.Command("go", "env", "GOROOT").Output()
			if err != nil {
				return "", fmt.Errorf("bundle: finding the Go root: go env GOROOT: %w", err)
			}
			dir = strings.TrimSpace(string(out))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "lib", "wasm", WasmExec)); err != nil {
		return "", fmt.Errorf("bundle: no %s in Go root %s (Go 1.24+ keeps it in lib/wasm): %w", WasmExec, dir, err)
	}
	return dir, nil
}

// goVersion returns the release of the Go root, or "" if it cannot tell.
func goVersion(goroot string) string {
	if b, err := os.ReadFile(filepath.Join(goroot, "VERSION")); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSpace(first)
	}
	if goroot == runtime.GOROOT() {
		return runtime.Version()
	}
	return ""
}

// checkName reports whether a logical name can be bundled, served and referenced.
func checkName(name string) error {
	if !fs.ValidPath(name) || name == "." {
		return fmt.Errorf("%q is not a slash-separated relative file name", name)
	}
	for _, elem := range strings.Split(name, "/") {
		if strings.HasPrefix(elem, ".") {
			return fmt.Errorf("%q: names starting with a dot are not served", name)
		}
	}
	for i := 0; i < len(name); i++ {
		if !isRefChar(name[i]) {
			return fmt.Errorf("%q: names may use only letters, digits and . _ ~ - / (so references to them can be found and need no escaping)", name)
		}
	}
	switch {
	case name == manifest.Name:
		return fmt.Errorf("%q is written by the bundler", name)
	case strings.HasSuffix(name, ".br"), strings.HasSuffix(name, ".gz"):
		return fmt.Errorf("%q: .br and .gz names are reserved for precompressed variants", name)
	}
	return nil
}

// gather reads every input into memory, keyed by logical name.
func gather(opts Options, goroot string) (map[string]*input, error) {
	in := make(map[string]*input)
	add := func(name, src string) error {
		if err := checkName(name); err != nil {
			return fmt.Errorf("bundle: %s: %w", src, err)
		}
		if prev, ok := in[name]; ok {
			return fmt.Errorf("bundle: two inputs named %q: %s and %s", name, prev.src, src)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		in[name] = &input{src: src, data: data}
		return nil
	}

	err := filepath.WalkDir(opts.Src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != opts.Src && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() { // a symlink to a regular file is fine; anything else is not
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("bundle: %s: not a regular file", p)
			}
		}
		rel, err := filepath.Rel(opts.Src, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if name == WasmExec {
			return fmt.Errorf("bundle: %s: remove it; %s is copied from the Go root of the Go that compiles the wasm", p, WasmExec)
		}
		return add(name, p)
	})
	if err != nil {
		return nil, err
	}
	if _, ok := in[manifest.Index]; !ok {
		return nil, fmt.Errorf("bundle: no %s in %s", manifest.Index, opts.Src)
	}
	for _, f := range opts.Files {
		if f.Name == WasmExec {
			return nil, fmt.Errorf("bundle: -file %s: %s is copied from the Go root", f.Name, WasmExec)
		}
		if err := add(f.Name, f.Path); err != nil {
			return nil, err
		}
	}
	if err := add(WasmExec, filepath.Join(goroot, "lib", "wasm", WasmExec)); err != nil {
		return nil, err
	}
	return in, nil
}

// checkWasmVersions fails if a Go-built wasm input was compiled by another Go release than the
// one whose wasm_exec.js is bundled.
func checkWasmVersions(in map[string]*input, goroot string) (warnings []string, err error) {
	want := goVersion(goroot)
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if !strings.EqualFold(path.Ext(name), ".wasm") {
			continue
		}
		got, err := wasmGoVersion(in[name].data)
		if err != nil {
			// A placeholder file stands in for the engine in some builds and tests; it cannot
			// run, but it is not a version mismatch either.
			warnings = append(warnings, fmt.Sprintf("%s (%s): %v", name, in[name].src, err))
			continue
		}
		if got != "" && want != "" && got != want {
			return nil, fmt.Errorf("bundle: %s (%s) was built by %s but %s comes from %s (%s): build both with the same Go",
				name, in[name].src, got, WasmExec, want, goroot)
		}
	}
	return warnings, nil
}

// hashAll rewrites references and names every file by its content hash. It returns the output
// files keyed by output name, and logical name → hashed name for every hashed file.
func hashAll(in map[string]*input) (map[string][]byte, map[string]string, error) {
	isAsset := func(n string) bool {
		_, ok := in[n]
		return ok && !manifest.Unhashed(n)
	}
	deps := make(map[string][]string, len(in))
	refsOf := make(map[string][]ref)
	for n, f := range in {
		deps[n] = nil
		if !rewritable(n) {
			continue
		}
		refs := findRefs(n, f.data, isAsset)
		refsOf[n] = refs
		for _, r := range refs {
			if !slices.Contains(deps[n], r.target) {
				deps[n] = append(deps[n], r.target)
			}
		}
	}
	order, err := hashOrder(deps)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}

	out := make(map[string][]byte, len(in)+1)
	hashed := make(map[string]string, len(in))
	for _, n := range order {
		data := in[n].data
		if refs := refsOf[n]; len(refs) > 0 {
			data = rewrite(data, refs, hashed)
		}
		name := n
		if !manifest.Unhashed(n) {
			name = manifest.HashedName(n, manifest.Hash(data))
			hashed[n] = name
		}
		if _, dup := out[name]; dup {
			return nil, nil, fmt.Errorf("bundle: two inputs end up as %q", name)
		}
		out[name] = data
	}
	return out, hashed, nil
}

// prepareOut creates or empties the output directory, keeping the placeholder. It refuses
// directories that look like a source tree and outputs that hold an input, since emptying them
// would delete sources.
func prepareOut(opts Options) error {
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if real, err := filepath.EvalSymlinks(out); err == nil {
		out = real
	}
	sources := []string{opts.Src}
	for _, f := range opts.Files {
		sources = append(sources, f.Path)
	}
	for _, s := range sources {
		abs, err := filepath.Abs(s)
		if err != nil {
			return err
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		if rel, err := filepath.Rel(out, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("bundle: input %s lies inside the output directory %s, which is emptied on every build", s, opts.Out)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	for _, e := range entries {
		if e.Name() == ".git" || e.Name() == "go.mod" {
			return fmt.Errorf("bundle: refusing to empty %s: it holds %s, so it looks like a source tree", opts.Out, e.Name())
		}
	}
	for _, e := range entries {
		if e.Name() == manifest.Placeholder {
			continue
		}
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return fmt.Errorf("bundle: emptying %s: %w", opts.Out, err)
		}
	}
	return nil
}

func writeFile(dir, name string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}
