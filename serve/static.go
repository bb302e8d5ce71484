package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/copsdlab/copsd/serve/manifest"
)

// static serves the app tree written by the bundler. It indexes the tree once, at start: the set
// of servable files is fixed, and a request can only reach a file in that index.
type static struct {
	fsys   fs.FS
	assets map[string]*asset
}

// asset is one servable file and its precompressed variants.
type asset struct {
	contentType  string
	cacheControl string
	// reps holds the representations in order of preference: br, gzip (when present), then
	// identity, which is always last.
	reps []representation
}

// representation is one stored encoding of an asset.
type representation struct {
	encoding string // Content-Encoding; "" for identity
	path     string // file in the tree
	size     int64
	etag     string // strong, from the bytes of this representation
}

// precompressed lists the variants the bundler writes, in order of preference.
var precompressed = []struct{ encoding, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// contentTypes fixes the types of the files the app ships. net/http's table also reads the
// system's mime.types, which differ between machines; these must not.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".wasm":        "application/wasm", // required by WebAssembly.instantiateStreaming
	".ckpt":        "application/octet-stream",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".txt":         "text/plain; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
}

// contentType returns the type of a file by its name; unknown types are served as opaque bytes
// (never sniffed: responses carry X-Content-Type-Options: nosniff).
func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// newStatic indexes fsys. It fails when asset-manifest.json is malformed or names a file that is
// missing or whose bytes do not match the hash in its name: such a file would be cached by
// browsers for a year, so a corrupt tree must not be served.
func newStatic(fsys fs.FS) (*static, error) {
	files := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files[p] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("serve: reading the app tree: %w", err)
	}

	hashed := map[string]bool{}
	if files[manifest.Name] {
		data, err := fs.ReadFile(fsys, manifest.Name)
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		m, err := manifest.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		for _, name := range m {
			hashed[name] = true
		}
	}

	s := &static{fsys: fsys, assets: map[string]*asset{}}
	for p := range files {
		if !servable(p, files) {
			continue
		}
		a := &asset{contentType: contentType(p), cacheControl: cacheRevalidate}
		if hashed[p] {
			a.cacheControl = cacheImmutable
		}
		for _, v := range precompressed {
			if files[p+v.suffix] {
				rep, _, err := newRepresentation(fsys, p+v.suffix, v.encoding)
				if err != nil {
					return nil, err
				}
				a.reps = append(a.reps, rep)
			}
		}
		identity, sum, err := newRepresentation(fsys, p, "")
		if err != nil {
			return nil, err
		}
		a.reps = append(a.reps, identity)
		if hashed[p] {
			if _, want, _ := manifest.SplitHashed(p); sum[:manifest.HashLen] != want {
				return nil, fmt.Errorf("serve: %s: content hash is %s, not the one in its name; rebuild the app", p, sum[:manifest.HashLen])
			}
		}
		s.assets[p] = a
	}
	for name := range hashed {
		if s.assets[name] == nil {
			return nil, fmt.Errorf("serve: %s lists %s, which is missing; rebuild the app", manifest.Name, name)
		}
	}
	return s, nil
}

// servable reports whether a file of the tree is served under its own name: precompressed variants
// are served only through content negotiation, the placeholder and dot-files not at all.
func servable(p string, files map[string]bool) bool {
	if p == manifest.Placeholder {
		return false
	}
	for _, v := range precompressed {
		if base, ok := strings.CutSuffix(p, v.suffix); ok && files[base] {
			return false
		}
	}
	for _, elem := range strings.Split(p, "/") {
		if strings.HasPrefix(elem, ".") {
			return false
		}
	}
	return true
}

// newRepresentation stats and hashes one stored file. It returns the hex SHA-256 too.
func newRepresentation(fsys fs.FS, p, encoding string) (representation, string, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return representation{}, "", fmt.Errorf("serve: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return representation{}, "", fmt.Errorf("serve: reading %s: %w", p, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return representation{
		encoding: encoding,
		path:     p,
		size:     n,
		etag:     `"` + sum[:20] + `"`,
	}, sum, nil
}

// built reports whether the tree holds the app's entry page.
func (s *static) built() bool { return s.assets[manifest.Index] != nil }

func (s *static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, status := cleanPath(r.URL.EscapedPath())
	if status != 0 {
		http.Error(w, strconv.Itoa(status)+" "+strings.ToLower(http.StatusText(status)), status)
		return
	}
	a := s.assets[name]
	if a == nil {
		if name == manifest.Index {
			serveNotBuilt(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	br, gz := acceptedEncodings(r.Header.Values("Accept-Encoding"))
	rep := a.choose(br, gz)

	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", a.cacheControl)
	h.Set("ETag", rep.etag)
	if len(a.reps) > 1 {
		h.Add("Vary", "Accept-Encoding")
	}
	if etagListMatches(r.Header.Values("If-None-Match"), rep.etag) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}

	f, err := s.fsys.Open(rep.path)
	if err != nil { // the tree was indexed at start and does not change
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	defer f.Close()

	if rep.encoding == "" {
		// Identity: ServeContent adds Range and If-Range support. The zero time omits
		// Last-Modified; the ETag carries validation.
		if rs, ok := f.(io.ReadSeeker); ok {
			http.ServeContent(w, r, name, time.Time{}, rs)
			return
		}
	}
	// An encoded body: ServeContent would drop Content-Length once Content-Encoding is set, and a
	// byte range of a compressed stream is of no use to a browser, so Range is ignored and the
	// whole body sent with its exact length.
	if rep.encoding != "" {
		h.Set("Content-Encoding", rep.encoding)
	}
	h.Set("Content-Length", strconv.FormatInt(rep.size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, f)
	}
}

// choose returns the most preferred representation the client accepts.
func (a *asset) choose(br, gzip bool) representation {
	for _, rep := range a.reps {
		switch rep.encoding {
		case "br":
			if br {
				return rep
			}
		case "gzip":
			if gzip {
				return rep
			}
		default:
			return rep
		}
	}
	return a.reps[len(a.reps)-1]
}

// etagListMatches reports whether any If-None-Match field matches etag by the weak comparison
// (RFC 9110 §13.1.2): "*" matches, and W/"x" matches "x".
func etagListMatches(fields []string, etag string) bool {
	for _, field := range fields {
		s := field
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			if s[0] == '*' {
				return true
			}
			s = strings.TrimPrefix(s, "W/")
			if s == "" || s[0] != '"' {
				break // malformed: ignore the rest of this field
			}
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				break
			}
			if s[:end+2] == etag {
				return true
			}
			s = s[end+2:]
		}
	}
	return false
}

// notBuiltPage is the answer to "/" when the tree has no index.html: the binary was built before
// the app was bundled.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>COPSD Lab: not built</title></head>
<body><h1>The app is not built</h1>
<p>the app is not built: run <code>make run</code></p>
<p>This server embeds the app at compile time and found no index.html in it.
Build the app (which also rebuilds this server) and start again.</p></body></html>
`

func serveNotBuilt(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(notBuiltPage)))
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		io.WriteString(w, notBuiltPage)
	}
}
