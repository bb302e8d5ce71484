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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/copsdlab/copsd/core/boardwire"
)

// Prefix is the path under which the handler serves; it receives full paths.
const Prefix = "/api/board/"

// Config configures the HTTP handler.
type Config struct {
	// Store keeps the runs. Required.
	Store Store
	// Limiter rate-limits requests per class and client: every board request takes one token
	// under the key "class|client". A class behind one NAT address shares one such budget, which
	// is therefore sized for a class, not for a student. Nil means no limit.
	Limiter Limiter
	// ClientLimiter rate-limits each client over all classes (key: the client), so that one
	// address cannot multiply its budget by inventing class codes. Nil means no limit.
	ClientLimiter Limiter
	// ClientKey names the client a request comes from. Nil means RemoteIP.
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
//	GET    /api/board/{class}?limit=&before=   a page of the class's runs, newest first
//	POST   /api/board/{class}/runs             add a run (idempotent by its run_id)
//	GET    /api/board/{class}/runs.csv         the class's runs as CSV
//	POST   /api/board/{class}/claim            claim the class: its teacher key, once
//	DELETE /api/board/{class}/runs/{id}        hide a run (Authorization: Bearer <teacher key>)
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
	rt, ok := route(r.URL.EscapedPath())
	if !ok {
		writeError(w, r, &Error{Status: http.StatusNotFound, Message: "not found: the board API is GET " + Prefix +
			"{class}, POST " + Prefix + "{class}/runs, GET " + Prefix + "{class}/runs.csv, POST " + Prefix +
			"{class}/claim and DELETE " + Prefix + "{class}/runs/{id}"})
		return
	}
	if !slices.Contains(rt.methods, r.Method) {
		allow := strings.Join(rt.methods, ", ")
		w.Header().Set("Allow", allow)
		writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Message: "method " + r.Method + " not allowed; allowed: " + allow})
		return
	}
	if !ValidClass(rt.class) {
		writeError(w, r, badRequest("class", "class code must be %d to %d characters of a-z, 0-9 and '-'", ClassMinLen, ClassMaxLen))
		return
	}
	if e := h.limit(r, rt.class); e != nil {
		writeError(w, r, e)
		return
	}
	switch rt.kind {
	case routeList:
		h.list(w, r, rt.class)
	case routePost:
		h.post(w, r, rt.class)
	case routeCSV:
		h.csv(w, r, rt.class)
	case routeClaim:
		h.claim(w, r, rt.class)
	case routeHide:
		h.hide(w, r, rt.class, rt.id)
	}
}

// limit takes a token from the class's budget for the client and from the client's own; nil
// when both allow the request.
func (h *handler) limit(r *http.Request, class string) *Error {
	client := h.cfg.ClientKey(r)
	for _, l := range []struct {
		lim Limiter
		key string
	}{{h.cfg.ClientLimiter, client}, {h.cfg.Limiter, class + "|" + client}} {
		if l.lim == nil {
			continue
		}
		ok, wait, err := l.lim.Allow(r.Context(), l.key)
		if err != nil {
			h.cfg.Logger.Warn("board: rate limiter failed; letting the request through", "err", err)
		} else if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			return &Error{Status: http.StatusTooManyRequests, Message: "too many requests: try again in " + strconv.Itoa(secs) + "s", RetryAfter: secs}
		}
	}
	return nil
}

func (h *handler) post(w http.ResponseWriter, r *http.Request, class string) {
	body, e := readJSONBody(r)
	if e != nil {
		writeError(w, r, e)
		return
	}
	run, e := DecodeRun(body)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if run.RunID == "" {
		run.RunID = boardwire.NewRunID()
	}
	run.Class = class
	run.CreatedAt = boardwire.At(h.cfg.Now())
	stored, created, err := h.cfg.Store.Add(r.Context(), class, run)
	if err != nil {
		h.storeError(w, r, "add", err)
		return
	}
	if !created && !sameSubmission(stored.Submission, run.Submission) {
		writeError(w, r, &Error{Status: http.StatusConflict, Field: "run_id",
			Message: "run_id " + run.RunID + " is already on " + class + "'s board with different contents (run #" + strconv.FormatInt(stored.ID, 10) + "): a new run needs a new run_id"})
		return
	}
	// A repeated post of the same run answers as the first did.
	writeJSON(w, r, http.StatusCreated, stored)
}

// sameSubmission reports whether two submissions carry the same run.
func sameSubmission(a, b Submission) bool {
	ac, bc := a.CollapseStep, b.CollapseStep
	a.CollapseStep, b.CollapseStep = nil, nil
	return a == b && (ac == nil) == (bc == nil) && (ac == nil || *ac == *bc)
}

// readJSONBody checks the request's type and size and reads its body.
func readJSONBody(r *http.Request) ([]byte, *Error) {
	if e := checkContentType(r.Header); e != nil {
		return nil, e
	}
	if r.ContentLength > MaxBody {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, badRequest("", "reading the body: %v", err)
	}
	if len(body) > MaxBody {
		return nil, tooLarge()
	}
	return body, nil
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
	writeError(w, r, h.storeErr(op, r, err))
}

// storeErr is the answer to a failed storage operation: 503 (with Retry-After) when the store is
// busy, else 500. A client that went away gets the 503 unlogged.
func (h *handler) storeErr(op string, r *http.Request, err error) *Error {
	busy := &Error{Status: http.StatusServiceUnavailable, Message: "the board's storage is busy; try again", RetryAfter: 1}
	if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
		return busy // the client went away
	}
	h.cfg.Logger.Error("board: storage failed", "op", op, "path", r.URL.Path, "err", err)
	if errors.Is(err, ErrUnavailable) {
		return busy
	}
	return &Error{Status: http.StatusInternalServerError, Message: "internal error"}
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
