package serve

import (
	"strconv"
	"strings"
)

// acceptedEncodings reports which of the precompressed encodings the request accepts, from its
// Accept-Encoding header fields (RFC 9110 §12.5.3).
//
// The server prefers br, then gzip, then identity, whatever the q-values say, except that q=0
// means "not acceptable" and is honoured. An encoding not listed is acceptable only through "*"
// with q>0; "x-gzip" counts as gzip. An entry whose q-value does not parse is ignored, so an
// unclear header falls back to identity, which every client reads. Identity is always served as
// the last resort, even when a client marks it q=0: answering 406 to a browser asking for a
// script helps no one.
func acceptedEncodings(fields []string) (br, gzip bool) {
	var brQ, gzQ, starQ float64 = -1, -1, -1 // -1: not listed
	for _, field := range fields {
		for _, entry := range strings.Split(field, ",") {
			coding, params, _ := strings.Cut(entry, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding == "" {
				continue
			}
			q, ok := qValue(params)
			if !ok {
				continue
			}
			switch coding {
			case "br":
				brQ = q
			case "gzip", "x-gzip":
				gzQ = q
			case "*":
				starQ = q
			}
		}
	}
	acceptable := func(q float64) bool {
		if q < 0 {
			q = starQ
		}
		return q > 0
	}
	return acceptable(brQ), acceptable(gzQ)
}

// qValue returns the q parameter of an Accept-Encoding entry's parameters (1 if absent).
func qValue(params string) (float64, bool) {
	q := 1.0
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		q = f
	}
	return q, true
}
