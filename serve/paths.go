package serve

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/copsdlab/copsd/serve/manifest"
)

// maxPathLen bounds the escaped request path. The longest real name is far shorter; a longer
// path is answered 414 before any work is done on it.
const maxPathLen = 1024

// cleanPath maps an escaped request path (r.URL.EscapedPath()) to the name of a file in the app
// tree. It is the only place where request paths become file names. It returns status 0 and the
// name on success, or an HTTP status (404, 414) and "".
//
// It does not clean: a path that is not already in canonical form is not found, rather than
// redirected or reinterpreted. Each segment is unescaped on its own, after splitting on '/', so
// an encoded slash (%2f) cannot join segments, and a segment is refused when it
//   - is empty ("//", a trailing slash: directories are never listed),
//   - starts with '.' (".", "..", "%2e%2e", dot-files),
//   - holds '/', '\\' (a separator on Windows), ':' , a control character (NUL, CR, LF, ...), or
//     invalid UTF-8, once unescaped.
//
// The result is always an fs.ValidPath, so it cannot name anything outside the tree.
func cleanPath(escaped string) (name string, status int) {
	if len(escaped) > maxPathLen {
		return "", http.StatusRequestURITooLong
	}
	if escaped == "/" {
		return manifest.Index, 0
	}
	if !strings.HasPrefix(escaped, "/") {
		return "", http.StatusNotFound
	}
	segs := strings.Split(escaped[1:], "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil || !validSegment(dec) {
			return "", http.StatusNotFound
		}
		segs[i] = dec
	}
	name = strings.Join(segs, "/")
	if !fs.ValidPath(name) { // implied by validSegment; kept as the last line of defence
		return "", http.StatusNotFound
	}
	return name, 0
}

func validSegment(s string) bool {
	if s == "" || s[0] == '.' || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == 0x7f, c == '/', c == '\\', c == ':':
			return false
		}
	}
	return true
}
