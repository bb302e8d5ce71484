package bundle

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// References are found without parsing HTML, JS or CSS: a reference is a maximal run of
// URL-path characters (letters, digits, non-ASCII, and . _ ~ - /) that names an asset. Quotes,
// parentheses, '?', '#', '+', ':' and white space all end a run, so "engine.wasm?v=2",
// url(img/a.png) and importScripts('wasm_exec.js') are found, while "xengine.wasm",
// "https://cdn.example/app.js" and "engine.wasm." (prose) are not.
//
// A run names an asset when, resolved like the browser would, it is the asset's logical name:
//   - "/x" is from the site root;
//   - in HTML and CSS, and for "./x" or "../x" in JS, it is relative to the file that holds it;
//   - any other run in JS ("engine.wasm" in fetch, new Worker, importScripts) is from the site root,
//     because those resolve against the page (or worker) URL and the app lives at the root.
//
// Only the last element of a run is replaced: hashing keeps the directory, so "./models/x.ckpt"
// becomes "./models/x.1a2b3c4d.ckpt" whichever way it was written.

// rewritable reports whether references inside a file of this name are rewritten.
func rewritable(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm", ".js", ".mjs", ".css", ".webmanifest":
		return true
	}
	return false
}

func isRefChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '~' || c == '-' || c == '/' || c >= 0x80
}

// ref is a reference found in a file: the byte span of its last path element and the logical
// name of the asset it names.
type ref struct {
	start, end int
	target     string
}

// findRefs returns, in order, the references in content (the bytes of file from) to names for
// which isAsset is true. A file's references to itself are not returned: its own hash cannot
// appear in its own bytes.
func findRefs(from string, content []byte, isAsset func(string) bool) []ref {
	jsLike := isJS(from)
	var refs []ref
	for i := 0; i < len(content); {
		if !isRefChar(content[i]) {
			i++
			continue
		}
		j := i
		for j < len(content) && isRefChar(content[j]) {
			j++
		}
		tok := string(content[i:j])
		if target, ok := resolve(from, tok, jsLike); ok && target != from && isAsset(target) {
			last := strings.LastIndexByte(tok, '/') + 1
			refs = append(refs, ref{start: i + last, end: j, target: target})
		}
		i = j
	}
	return refs
}

func isJS(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".js" || ext == ".mjs"
}

// resolve returns the site-root-relative name that tok refers to from file from.
func resolve(from, tok string, jsLike bool) (string, bool) {
	if tok == "" || strings.HasPrefix(tok, "//") || strings.HasSuffix(tok, "/") {
		return "", false // protocol-relative URL or a directory
	}
	var p string
	switch {
	case tok[0] == '/':
		p = path.Clean(tok)[1:]
	case !jsLike || strings.HasPrefix(tok, "./") || strings.HasPrefix(tok, "../"):
		p = path.Join(path.Dir(from), tok)
	default:
		p = path.Clean(tok)
	}
	if p == "" || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// rewrite returns content with every reference replaced by the base of its hashed name.
func rewrite(content []byte, refs []ref, hashed map[string]string) []byte {
	var b strings.Builder
	b.Grow(len(content) + 16*len(refs))
	prev := 0
	for _, r := range refs {
		b.Write(content[prev:r.start])
		b.WriteString(path.Base(hashed[r.target]))
		prev = r.end
	}
	b.Write(content[prev:])
	return []byte(b.String())
}

// hashOrder returns the rewritable files in an order in which every file comes after the files it
// references, so each file's hash is computed from its final bytes. A reference cycle has no such
// order and is an error: one of the files must look the other up through the manifest instead.
func hashOrder(deps map[string][]string) ([]string, error) {
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)

	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(deps))
	var order, stack []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case done:
			return nil
		case visiting:
			i := len(stack) - 1
			for stack[i] != n {
				i--
			}
			cycle := append(append([]string(nil), stack[i:]...), n)
			return fmt.Errorf("reference cycle %s: content hashes cannot depend on each other; "+
				"load one of them by looking its name up in %s at run time",
				strings.Join(cycle, " → "), "asset-manifest.json")
		}
		state[n] = visiting
		stack = append(stack, n)
		for _, d := range deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}
