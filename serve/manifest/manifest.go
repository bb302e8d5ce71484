// Package manifest defines how the bundled app names its files, shared by the bundler that writes
// them, the server that serves them and any code (JS or Go in wasm) that looks names up at run time.
//
// Every file of the app except index.html and the manifest itself gets a content-hashed name:
// "engine.wasm" becomes "engine.1a2b3c4d.wasm", where 1a2b3c4d is the first 8 hex digits of the
// SHA-256 of the file's final bytes. Such a name never changes meaning, so it can be cached
// forever. The manifest, written at the site root under the fixed name asset-manifest.json, is a
// flat JSON object from logical name to hashed name, both slash-separated and relative to the
// site root:
//
//	{
//	  "engine.wasm": "engine.1a2b3c4d.wasm",
//	  "models/base-rho50.ckpt": "models/base-rho50.9f8e7d6c.ckpt"
//	}
//
// Names that the bundler finds in index.html, JS and CSS are rewritten in place; the manifest is
// for names built at run time. Because literal names in JS are rewritten too, a lookup key may
// already be hashed: a lookup answers such a name with itself (in JS, `manifest[name] ?? name`).
//
// This package has no dependencies beyond the standard library, so wasm code can use it.
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

const (
	// Name is the manifest's own file name at the site root; it is never hashed.
	Name = "asset-manifest.json"
	// Index is the app's entry page; it is never hashed and is served at "/".
	Index = "index.html"
	// ServiceWorker is the app's service worker. It is never hashed: a browser finds a new
	// version of the app by fetching it again under its fixed name, and its scope is the
	// directory it is served from, the site root.
	ServiceWorker = "sw.js"
	// Placeholder is the committed file that keeps the output directory embeddable before the
	// first build; the bundler keeps it and the server does not serve it.
	Placeholder = "README.txt"
	// HashLen is the number of hex digits of the content hash in a hashed name.
	HashLen = 8
)

// Manifest maps logical names to content-hashed names.
type Manifest map[string]string

// Hash returns the content hash used in hashed names: the first HashLen hex digits of the
// SHA-256 of content.
func Hash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])[:HashLen]
}

// HashedName returns logical with hash inserted before the last extension of its base name:
// ("models/base.ckpt", "1a2b3c4d") → "models/base.1a2b3c4d.ckpt"; a base without extension gets
// the hash appended ("LICENSE" → "LICENSE.1a2b3c4d"). The directory never changes, so a relative
// reference stays valid when only its last element is replaced.
func HashedName(logical, hash string) string {
	dir, base := path.Split(logical)
	ext := path.Ext(base)
	if ext == base { // ".hidden" has no stem; treat the whole base as the stem
		ext = ""
	}
	return dir + strings.TrimSuffix(base, ext) + "." + hash + ext
}

// SplitHashed undoes HashedName: it returns the logical name and the hash of a hashed name, and
// ok=false if name does not have the shape stem.HASH[.ext] with HASH lower-case hex.
func SplitHashed(name string) (logical, hash string, ok bool) {
	dir, base := path.Split(name)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if i := strings.LastIndexByte(stem, '.'); i > 0 && isHash(stem[i+1:]) {
		return dir + stem[:i] + ext, stem[i+1:], true
	}
	// No extension: the hash is the last dot-separated part of base.
	if isHash(ext[min(1, len(ext)):]) && len(stem) > 0 {
		return dir + stem, ext[1:], true
	}
	return "", "", false
}

func isHash(s string) bool {
	if len(s) != HashLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Lookup returns the hashed name of a logical name. A name that is not a key (an already hashed
// name, index.html, the manifest itself) is returned unchanged.
func (m Manifest) Lookup(name string) string {
	if h, ok := m[name]; ok {
		return h
	}
	return name
}

// Parse decodes and validates a manifest: every key and value is a valid slash-separated path and
// every value is its key's hashed name.
func Parse(data []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	for _, logical := range m.Names() {
		hashed := m[logical]
		if !fs.ValidPath(logical) || !fs.ValidPath(hashed) {
			return nil, fmt.Errorf("%s: entry %q: %q: not a valid path", Name, logical, hashed)
		}
		if l, _, ok := SplitHashed(hashed); !ok || l != logical {
			return nil, fmt.Errorf("%s: entry %q: %q is not a hashed name of it", Name, logical, hashed)
		}
	}
	return m, nil
}

// Encode returns the manifest as indented JSON with sorted keys and a final newline; equal
// manifests encode to equal bytes.
func (m Manifest) Encode() []byte {
	b, err := json.MarshalIndent(map[string]string(m), "", "  ")
	if err != nil { // a map[string]string always marshals
		panic(err)
	}
	return append(b, '\n')
}

// Names returns the logical names in sorted order.
func (m Manifest) Names() []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Unhashed reports whether the bundle keeps a logical name as it is: the entry page and the
// service worker.
func Unhashed(name string) bool { return name == Index || name == ServiceWorker }
