package board

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Prefix is the path under which the handler serves; it receives full paths.
const Prefix = "/api/board/"

// Config configures the HTTP handler.
type Config struct {
	// Store keeps the runs. Required.
	Store Store
	// Limiter rate-limits each client's requests (every board request takes one token). Nil means
	// no limit.
	Limiter Limiter
	// ClientKey names the client a request comes from, the Limiter's key. Nil means RemoteIP.
	ClientKey func(*http.Request) string
	// Now is the clock that stamps runs. Nil means time.Now.
	Now func() time.Time
	// Logger receives storage errors. Nil means slog.Default().
	Logger *slog.Logger
}

// RemoteIP is the default ClientKey: the host part of r.RemoteAddr.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type handler struct{ cfg Config }

// NewHandler returns the class board's HTTP handler. It serves
//
//	GET  /api/board/{class}?limit=&before=   a page of the class's runs, newest first
//	POST /api/board/{class}/runs             add a run
//
// and answers every other path under /api/ with a 404 JSON error. See API.md.
func NewHandler(cfg Config) http.Handler {
	if cfg.Store == nil {
		panic("board: Config.Store is required")
	}
	if cfg.ClientKey == nil {
		cfg.ClientKey = RemoteIP
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &handler{cfg: cfg}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	class, sub, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		writeError(w, r, &Error{Status: http.StatusNotFound, Message: "not found: the board API is GET " + Prefix + "{class} and POST " + Prefix + "{class}/runs"})
		return
	}
	allow, allowed := "POST", r.Method == http.MethodPost
	if sub == "" {
		allow, allowed = "GET, HEAD", r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	if !allowed {
		w.Header().Set("Allow", allow)
		writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Message: "method " + r.Method + " not allowed; allowed: " + allow})
		return
	}
	if !ValidClass(class) {
		writeError(w, r, badRequest("class", "class code must be %d to %d characters of a-z, 0-9 and '-'", ClassMinLen, ClassMaxLen))
		return
	}
	if h.cfg.Limiter != nil {
		ok, wait, err := h.cfg.Limiter.Allow(r.Context(), h.cfg.ClientKey(r))
		if err != nil {
			h.cfg.Logger.Warn("board: rate limiter failed; letting the request through", "err", err)
		} else if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			writeError(w, r, &Error{Status: http.StatusTooManyRequests, Message: "too many requests: try again in " + strconv.Itoa(secs) + "s", RetryAfter: secs})
			return
		}
	}
	if sub == "runs" {
		h.post(w, r, class)
	} else {
		h.list(w, r, class)
	}
}

// splitPath splits an escaped path /api/board/{class}[/runs] into its class and "" or "runs".
// The class is returned as sent (still escaped), so a percent sign fails validation.
func splitPath(p string) (class, sub string, ok bool) {
	rest, found := strings.CutPrefix(p, Prefix)
	if !found {
		return "", "", false
	}
	class, sub, _ = strings.Cut(rest, "/")
	if class == "" || (sub != "" && sub != "runs") || (sub == "" && strings.HasSuffix(rest, "/")) {
		return "", "", false
	}
	return class, sub, true
}

func (h *handler) post(w http.ResponseWriter, r *http.Request, class string) {
	if e := checkContentType(r.Header); e != nil {
		writeError(w, r, e)
		return
	}
	if r.ContentLength > MaxBody {
		writeError(w, r, tooLarge())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		writeError(w, r, badRequest("", "reading the body: %v", err))
		return
	}
	if len(body) > MaxBody {
		writeError(w, r, tooLarge())
		return
	}
	run, e := DecodeRun(body)
	if e != nil {
		writeError(w, r, e)
		return
	}
	run.Class = class
	run.CreatedAt = time.UnixMilli(h.cfg.Now().UnixMilli()).UTC()
	stored, err := h.cfg.Store.Add(r.Context(), class, run)
	if err != nil {
		h.storeError(w, r, "add", err)
		return
	}
	writeJSON(w, r, http.StatusCreated, stored)
}

func tooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Message: "body larger than " + strconv.Itoa(MaxBody) + " bytes"}
}

// checkContentType accepts application/json, with no charset or charset=utf-8, and no
// Content-Encoding.
func checkContentType(h http.Header) *Error {
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Field: "Content-Type", Message: "Content-Type must be application/json"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &Error{Status: http.StatusUnsupportedMediaType, Field: "Content-Type", Message: "charset must be utf-8"}
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return &Error{Status: http.StatusUnsupportedMediaType, Field: "Content-Encoding", Message: "compressed request bodies are not accepted"}
	}
	return nil
}

// ListResponse is the body of GET /api/board/{class}.
type ListResponse struct {
	Class string `json:"class"`
	Runs  []Run  `json:"runs"`
	// Next is the cursor of the next page, to send as ?before=; null on the last page.
	Next *string `json:"next"`
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, class string) {
	page, e := parsePage(r.URL.RawQuery)
	if e != nil {
		writeError(w, r, e)
		return
	}
	runs, next, err := h.cfg.Store.List(r.Context(), class, page)
	if err != nil {
		h.storeError(w, r, "list", err)
		return
	}
	resp := ListResponse{Class: class, Runs: runs}
	if resp.Runs == nil {
		resp.Runs = []Run{}
	}
	if next > 0 {
		s := strconv.FormatInt(next, 10)
		resp.Next = &s
	}
	writeJSON(w, r, http.StatusOK, resp)
}

// parsePage reads ?limit= and ?before=. Unknown or repeated parameters are errors.
func parsePage(rawQuery string) (Page, *Error) {
	p := Page{Limit: DefaultLimit}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return p, badRequest("", "malformed query string")
	}
	for k, vs := range q {
		if len(vs) > 1 {
			return p, badRequest(k, "%s given %d times", clip(k), len(vs))
		}
		switch k {
		case "limit":
			n, ok := parseInt(vs[0], MaxLimit)
			if !ok || n < 1 {
				return p, badRequest("limit", "limit must be an integer in [1, %d]", MaxLimit)
			}
			p.Limit = int(n)
		case "before":
			n, ok := parseInt(vs[0], MaxSeed)
			if !ok || n < 1 {
				return p, badRequest("before", "before must be a cursor from a previous page's next")
			}
			p.Before = n
		default:
			return p, badRequest(clip(k), "unknown query parameter %q: want limit or before", clip(k))
		}
	}
	return p, nil
}

func (h *handler) storeError(w http.ResponseWriter, r *http.Request, op string, err error) {
	if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
		return // the client went away
	}
	h.cfg.Logger.Error("board: storage failed", "op", op, "path", r.URL.Path, "err", err)
	if errors.Is(err, ErrUnavailable) {
		w.Header().Set("Retry-After", "1")
		writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Message: "the board's storage is busy; try again"})
		return
	}
	writeError(w, r, &Error{Status: http.StatusInternalServerError, Message: "internal error"})
}

func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, r, e.Status, e)
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only plain structs of finite numbers and strings are written
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		// No Content-Length: the Workers runtime holds a response to its declared length, and a
		// HEAD response has no body to match it.
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
