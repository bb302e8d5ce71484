package serve

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The Content-Security-Policy allows what the app needs and nothing more:
//   - scripts only from this origin, plus compiling WebAssembly ('wasm-unsafe-eval' permits
//     WebAssembly.instantiate, not JS eval);
//   - the Web Worker that trains the model and the service worker that keeps the app offline
//     (sw.js), both from this origin (worker-src);
//   - the web app manifest and its icon, from this origin (default-src);
//   - fetch of the manifest, the wasm, the checkpoints and the class-board API, on this origin;
//   - inline styles, which the UI sets on elements; images from this origin and data:/blob: URLs
//     (exported charts);
//   - no plugins, no <base>, forms posting only here, and no framing unless allowed by flag.
var cspDirectives = []string{
	"default-src 'self'",
	"script-src 'self' 'wasm-unsafe-eval'",
	"worker-src 'self'",
	"connect-src 'self'",
	"img-src 'self' data: blob:",
	"style-src 'self' 'unsafe-inline'",
	"object-src 'none'",
	"base-uri 'none'",
	"form-action 'self'",
}

// securityHeaders are set on every response, errors included.
type securityHeaders struct {
	csp          string
	frameOptions string // "" when framing is allowed
}

// newSecurityHeaders returns the headers for the given allowed framing origins, which must have
// passed ParseFrameAncestors. With none, the app cannot be framed at all.
func newSecurityHeaders(frameAncestors []string) securityHeaders {
	ancestors := "'none'"
	frameOptions := "DENY"
	if len(frameAncestors) > 0 {
		ancestors = strings.Join(frameAncestors, " ")
		// X-Frame-Options cannot list origins (ALLOW-FROM is dead); browsers that know
		// frame-ancestors ignore it anyway, so it is left out when framing is allowed.
		frameOptions = ""
	}
	directives := append(append([]string(nil), cspDirectives...), "frame-ancestors "+ancestors)
	return securityHeaders{csp: strings.Join(directives, "; "), frameOptions: frameOptions}
}

func (s securityHeaders) apply(h http.Header) {
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.frameOptions != "" {
		h.Set("X-Frame-Options", s.frameOptions)
	}
}

// ParseFrameAncestors parses the origins allowed to frame the app, separated by spaces or commas:
// "https://course.example.edu https://lms.example.org:8443". Each must be an http or https origin
// (scheme and host, optional port, no path, query, fragment or user), and its host may start with
// "*." to allow subdomains. Keywords and bare wildcards are refused: they are not origins, and a
// ';' or quote would smuggle directives into the policy. Origins are returned lower-cased,
// without duplicates, in the order given.
func ParseFrameAncestors(s string) ([]string, error) {
	var origins []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		o, err := parseOrigin(f)
		if err != nil {
			return nil, fmt.Errorf("frame ancestor %q: %w", f, err)
		}
		if !seen[o] {
			seen[o] = true
			origins = append(origins, o)
		}
	}
	return origins, nil
}

func parseOrigin(s string) (string, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", fmt.Errorf("want scheme://host, such as https://course.example.edu")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("scheme must be https or http")
	}
	rest = strings.TrimSuffix(rest, "/") // "https://host/" is a common way to write an origin
	if strings.ContainsAny(rest, "/?#@") {
		return "", fmt.Errorf("want only scheme and host: no path, query, fragment or user")
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("bad port %q", port)
		}
	}
	host = strings.ToLower(host)
	if err := checkHost(host); err != nil {
		return "", err
	}
	// Round-trip through net/url as a cross-check of the hand-written rules.
	u, err := url.Parse(scheme + "://" + strings.TrimPrefix(host, "*.") + portSuffix(port))
	if err != nil || u.Host == "" || u.Path != "" {
		return "", fmt.Errorf("not an origin")
	}
	return scheme + "://" + host + portSuffix(port), nil
}

func portSuffix(port string) string {
	if port == "" {
		return ""
	}
	return ":" + port
}

// checkHost accepts DNS names (letters, digits, hyphens; labels of 1-63 characters), optionally
// with a leading "*." wildcard label, and "localhost".
func checkHost(host string) error {
	name := strings.TrimPrefix(host, "*.")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("missing or overlong host")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("bad host %q", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("bad host %q: only letters, digits, '-' and a leading \"*.\"", host)
			}
		}
	}
	return nil
}
