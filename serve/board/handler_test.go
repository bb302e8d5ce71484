package board

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTestHandler(t *testing.T, store Store, limiter Limiter, clock func() time.Time) http.Handler {
	t.Helper()
	return NewHandler(Config{Store: store, Limiter: limiter, Now: clock, Logger: slog.New(slog.DiscardHandler)})
}

type request struct {
	method, target, contentType, body string
	header                            map[string]string
}

func serve(h http.Handler, q request) *httptest.ResponseRecorder {
	r := httptest.NewRequest(q.method, q.target, strings.NewReader(q.body))
	if q.contentType != "" {
		r.Header.Set("Content-Type", q.contentType)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) Error {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q, want application/json", ct)
	}
	var e Error
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body: %v", err)
	}
	if e.Message == "" {
		t.Error("error body has no message")
	}
	return e
}

func TestHandlerRoutesAndMethods(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	const ct = "application/json"
	tests := []struct {
		q      request
		status int
		allow  string
	}{
		{request{method: "GET", target: "/api/board/cs101"}, 200, ""},
		{request{method: "HEAD", target: "/api/board/cs101"}, 200, ""},
		{request{method: "POST", target: "/api/board/cs101/runs", contentType: ct, body: validBody}, 201, ""},
		{request{method: "GET", target: "/api/board"}, 404, ""},
		{request{method: "GET", target: "/api/board/"}, 404, ""},
		{request{method: "GET", target: "/api/board/cs101/"}, 404, ""},
		{request{method: "GET", target: "/api/board/cs101/runs/1"}, 405, "DELETE"},
		{request{method: "GET", target: "/api/board/cs101/other"}, 404, ""},
		{request{method: "GET", target: "/api/boards/cs101"}, 404, ""},
		{request{method: "GET", target: "/api/"}, 404, ""},
		{request{method: "GET", target: "/api/board/cs101/runs"}, 405, "POST"},
		{request{method: "PUT", target: "/api/board/cs101/runs", contentType: ct, body: validBody}, 405, "POST"},
		{request{method: "DELETE", target: "/api/board/cs101"}, 405, "GET, HEAD"},
		{request{method: "POST", target: "/api/board/cs101", contentType: ct, body: validBody}, 405, "GET, HEAD"},
		{request{method: "OPTIONS", target: "/api/board/cs101"}, 405, "GET, HEAD"},
		{request{method: "GE", target: "/api/board/cs101"}, 405, "GET, HEAD"},
		{request{method: "GET", target: "/api/board/ab"}, 400, ""},
		{request{method: "GET", target: "/api/board/" + strings.Repeat("a", 33)}, 400, ""},
		{request{method: "GET", target: "/api/board/" + strings.Repeat("a", 32)}, 200, ""},
		{request{method: "GET", target: "/api/board/CS101"}, 400, ""},
		{request{method: "GET", target: "/api/board/cs_101"}, 400, ""},
		{request{method: "GET", target: "/api/board/cs%2d101"}, 400, ""},
		{request{method: "GET", target: "/api/board/c%2fs"}, 400, ""},
		{request{method: "POST", target: "/api/board/x/runs", contentType: ct, body: validBody}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.q.method+" "+tt.q.target, func(t *testing.T) {
			w := serve(h, tt.q)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
			if tt.q.method == "HEAD" && w.Body.Len() != 0 {
				t.Errorf("HEAD has a body")
			}
			if w.Code >= 400 {
				e := decodeError(t, w)
				if w.Code == 400 && e.Field != "class" {
					t.Errorf("field %q, want class", e.Field)
				}
			}
		})
	}
}

func TestHandlerPostRequestChecks(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	big := with(t, "name", `"`+strings.Repeat(" ", MaxBody)+`x"`)
	tests := []struct {
		name   string
		q      request
		status int
		field  string
	}{
		{"no content type", request{body: validBody}, 415, "Content-Type"},
		{"text/plain", request{contentType: "text/plain", body: validBody}, 415, "Content-Type"},
		{"form", request{contentType: "application/x-www-form-urlencoded", body: validBody}, 415, "Content-Type"},
		{"json with latin1", request{contentType: "application/json; charset=iso-8859-1", body: validBody}, 415, "Content-Type"},
		{"malformed type", request{contentType: "application/json;;=", body: validBody}, 415, "Content-Type"},
		{"gzip body", request{contentType: "application/json", body: validBody, header: map[string]string{"Content-Encoding": "gzip"}}, 415, "Content-Encoding"},
		{"json utf-8", request{contentType: "Application/JSON; charset=UTF-8", body: validBody}, 201, ""},
		{"too large", request{contentType: "application/json", body: big}, 413, ""},
		{"exactly the limit", request{contentType: "application/json", body: validBody + strings.Repeat(" ", MaxBody-len(validBody))}, 201, ""},
		{"one over the limit", request{contentType: "application/json", body: validBody + strings.Repeat(" ", MaxBody-len(validBody)+1)}, 413, ""},
		{"bad json", request{contentType: "application/json", body: "{"}, 400, ""},
		{"invalid value", request{contentType: "application/json", body: with(t, "recipe", `"x"`)}, 422, "recipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.method, tt.q.target = "POST", "/api/board/cs101/runs"
			w := serve(h, tt.q)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if w.Code >= 400 {
				if e := decodeError(t, w); e.Field != tt.field {
					t.Errorf("field %q, want %q", e.Field, tt.field)
				}
			}
		})
	}
}

// TestHandlerTooLargeByLength refuses a declared oversize body before reading it.
func TestHandlerTooLargeByLength(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	r := httptest.NewRequest("POST", "/api/board/cs101/runs", io.NopCloser(strings.NewReader(validBody)))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = MaxBody + 1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d, want 413", w.Code)
	}
}

func TestHandlerPostThenList(t *testing.T) {
	clock := newFakeClock()
	store := &MemStore{}
	h := newTestHandler(t, store, nil, clock.Now)
	var posted []Run
	for i := range 5 {
		clock.Advance(1500 * time.Microsecond) // sub-millisecond parts are dropped
		w := serve(h, request{method: "POST", target: "/api/board/cs101/runs", contentType: "application/json",
			body: with(t, "seed", fmt.Sprint(i))})
		if w.Code != http.StatusCreated {
			t.Fatalf("post %d: %d %s", i, w.Code, w.Body)
		}
		var r Run
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 || r.Class != "cs101" || r.Seed != int64(i) || !r.CreatedAt.Equal(clock.Now().Truncate(time.Millisecond)) {
			t.Errorf("post %d answered %+v (now %v)", i, r, clock.Now())
		}
		posted = append(posted, r)
	}
	serve(h, request{method: "POST", target: "/api/board/other/runs", contentType: "application/json", body: validBody})

	list := func(query string) ListResponse {
		w := serve(h, request{method: "GET", target: "/api/board/cs101" + query})
		if w.Code != http.StatusOK {
			t.Fatalf("GET%s: %d %s", query, w.Code, w.Body)
		}
		var resp ListResponse
		dec := json.NewDecoder(w.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := list("?limit=2")
	if len(first.Runs) != 2 || first.Runs[0].ID != posted[4].ID || first.Runs[1].ID != posted[3].ID || first.Next == nil {
		t.Fatalf("first page: %+v", first)
	}
	second := list("?limit=2&before=" + *first.Next)
	third := list("?before=" + *second.Next + "&limit=2")
	if len(second.Runs) != 2 || len(third.Runs) != 1 || third.Next != nil || third.Runs[0].ID != posted[0].ID {
		t.Fatalf("pages: %+v / %+v", second, third)
	}
	all := list("")
	if len(all.Runs) != 5 || all.Class != "cs101" || all.Next != nil {
		t.Fatalf("default page: %+v", all)
	}
	empty := serve(h, request{method: "GET", target: "/api/board/nobody-here"})
	if !strings.Contains(empty.Body.String(), `"runs":[]`) || !strings.Contains(empty.Body.String(), `"next":null`) {
		t.Errorf("empty board: %s", empty.Body)
	}
}

func TestHandlerListQuery(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	tests := []struct {
		query  string
		status int
		field  string
	}{
		{"", 200, ""},
		{"?limit=1", 200, ""},
		{"?limit=100", 200, ""},
		{"?limit=0", 400, "limit"},
		{"?limit=101", 400, "limit"},
		{"?limit=-1", 400, "limit"},
		{"?limit=ten", 400, "limit"},
		{"?limit=1.5", 400, "limit"},
		{"?limit=", 400, "limit"},
		{"?before=5", 200, ""},
		{"?before=0", 400, "before"},
		{"?before=abc", 400, "before"},
		{"?before=99999999999999999999", 400, "before"},
		{"?limit=5&limit=6", 400, "limit"},
		{"?page=2", 400, "page"},
		{"?limit=%zz", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := serve(h, request{method: "GET", target: "/api/board/cs101" + tt.query})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if w.Code >= 400 {
				if e := decodeError(t, w); e.Field != tt.field {
					t.Errorf("field %q, want %q", e.Field, tt.field)
				}
			}
		})
	}
}

func TestHandlerRateLimit(t *testing.T) {
	clock := newFakeClock()
	limiter := NewTokenBucket(TokenBucketConfig{Rate: 0.25, Burst: 2, Now: clock.Now})
	h := newTestHandler(t, &MemStore{}, limiter, clock.Now)
	get := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/board/cs101", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for range 2 {
		if w := get("192.0.2.7:5000"); w.Code != 200 {
			t.Fatalf("within the burst: %d", w.Code)
		}
	}
	w := get("192.0.2.7:5001") // another port, same client
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("over the burst: %d, want 429", w.Code)
	}
	if ra := w.Header().Get("Retry-After"); ra != "4" {
		t.Errorf("Retry-After %q, want 4", ra)
	}
	if e := decodeError(t, w); e.RetryAfter != 4 {
		t.Errorf("retry_after %d, want 4", e.RetryAfter)
	}
	if w := get("[2001:db8::1]:443"); w.Code != 200 {
		t.Errorf("another client: %d", w.Code)
	}
	clock.Advance(4 * time.Second)
	if w := get("192.0.2.7:5000"); w.Code != 200 {
		t.Errorf("after Retry-After: %d", w.Code)
	}
	// 404s and 405s are answered before the limiter and cost nothing.
	for range 5 {
		r := httptest.NewRequest("DELETE", "/api/board/cs101", nil)
		r.RemoteAddr = "198.51.100.1:1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 405 {
			t.Fatalf("DELETE: %d", rec.Code)
		}
	}
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("limiter down")
}

func TestHandlerBrokenLimiterLetsThrough(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, brokenLimiter{}, nil)
	if w := serve(h, request{method: "GET", target: "/api/board/cs101"}); w.Code != 200 {
		t.Errorf("got %d, want 200", w.Code)
	}
}

func TestHandlerStoreErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
	}{
		{errors.New("disk on fire"), 500},
		{fmt.Errorf("busy: %w", ErrUnavailable), 503},
	} {
		h := newTestHandler(t, &MemStore{Err: tt.err}, nil, nil)
		for _, q := range []request{
			{method: "GET", target: "/api/board/cs101"},
			{method: "POST", target: "/api/board/cs101/runs", contentType: "application/json", body: validBody},
		} {
			w := serve(h, q)
			if w.Code != tt.status {
				t.Errorf("%s with %v: %d, want %d", q.method, tt.err, w.Code, tt.status)
			}
			if strings.Contains(w.Body.String(), "fire") {
				t.Errorf("internal error leaked: %s", w.Body)
			}
			decodeError(t, w)
		}
	}
}
