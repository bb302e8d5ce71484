package board

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Regression tests for the board API defects of the hardening issue, each named after its bug.

// TestKeysDifferingOnlyInCaseOverwroteFields: encoding/json matched keys case-insensitively, with
// Unicode folding, so {"name":"Ana","NAME":"Mallory"} was stored as Mallory, "Safety" after
// "safety" overwrote the metric, and "\u017feed" was read as seed. Every such key is now unknown:
// a 400 naming it.
func TestKeysDifferingOnlyInCaseOverwroteFields(t *testing.T) {
	for _, tt := range []struct {
		name, old, new, field string
	}{
		{"NAME after name", `"name": "Ana L.",`, `"name": "Ana L.", "NAME": "Mallory",`, "NAME"},
		{"Name instead of name", `"name": "Ana L.",`, `"Name": "Ana L.",`, "Name"},
		{"Safety after safety", `"safety": 0.95,`, `"safety": 0.95, "Safety": 0.1,`, "metrics.Safety"},
		{"long s in seed", `"seed": 42`, `"\u017feed": 42`, "\u017feed"},
		{"Kelvin sign in key", `"recipe": "copsd",`, `"recipe": "copsd", "\u212a": 1,`, "\u212a"},
		{"METRICS", `"metrics": {`, `"METRICS": {`, "METRICS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(validBody, tt.old, tt.new, 1)
			if body == validBody {
				t.Fatal("the test's body did not change")
			}
			r, e := DecodeRun([]byte(body))
			if e == nil {
				t.Fatalf("accepted, stored name %q seed %d safety %v", r.Name, r.Seed, r.Metrics.Safety)
			}
			if e.Status != 400 || e.Field != tt.field || !strings.Contains(e.Message, "unknown field") {
				t.Errorf("got %d field %q (%s), want 400 unknown field %q", e.Status, e.Field, e.Message, tt.field)
			}
		})
	}
	// Exact keys given twice are duplicates, at any level.
	for _, dup := range []struct{ old, new, field string }{
		{`"name": "Ana L.",`, `"name": "Ana L.", "name": "Mallory",`, "name"},
		{`"safety": 0.95,`, `"safety": 0.95, "safety": 0.1,`, "metrics.safety"},
	} {
		_, e := DecodeRun([]byte(strings.Replace(validBody, dup.old, dup.new, 1)))
		if e == nil || e.Status != 400 || e.Field != dup.field || !strings.Contains(e.Message, "duplicate") {
			t.Errorf("duplicate %s: got %+v", dup.field, e)
		}
	}
}

// TestCreatedAtDroppedTrailingZeros: created_at came out as "…52.7Z" (time.Time's JSON trims
// zeros), though API.md promises milliseconds. It now always has three digits.
func TestCreatedAtDroppedTrailingZeros(t *testing.T) {
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 20, 9, 41, 52, 700_000_000, time.UTC), "2026-11-20T09:41:52.700Z"},
		{time.Date(2026, 11, 20, 9, 41, 52, 0, time.UTC), "2026-11-20T09:41:52.000Z"},
		{time.Date(2026, 11, 20, 9, 41, 52, 123_999_999, time.FixedZone("x", 3600)), "2026-11-20T08:41:52.123Z"},
	} {
		h := newTestHandler(t, &MemStore{}, nil, func() time.Time { return tt.at })
		w := serve(h, request{method: "POST", target: "/api/board/cs101/runs", contentType: "application/json", body: validBody})
		var got struct {
			CreatedAt string `json:"created_at"`
		}
		if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &got) != nil {
			t.Fatalf("post: %d %s", w.Code, w.Body)
		}
		if got.CreatedAt != tt.want {
			t.Errorf("created_at %q, want %q", got.CreatedAt, tt.want)
		}
		w = serve(h, request{method: "GET", target: "/api/board/cs101"})
		if !strings.Contains(w.Body.String(), `"created_at":"`+tt.want+`"`) {
			t.Errorf("listed %s, want created_at %q", w.Body, tt.want)
		}
	}
}

// TestRetriedPostCreatedDuplicate: a retried POST whose answer was lost stored the run twice. A
// client's run_id now makes the post idempotent: the same id and body answer the same 201 (same
// id, same created_at), and the same id with another body is a 409.
func TestRetriedPostCreatedDuplicate(t *testing.T) {
	store := &MemStore{}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	h := newTestHandler(t, store, nil, func() time.Time { now = now.Add(time.Second); return now })
	body := with(t, "run_id", `"3f2a9c0e-77b1-4c5e-9d1a-2b6f0c8e4a11"`)
	post := func(b string) (int, string) {
		w := serve(h, request{method: "POST", target: "/api/board/cs101/runs", contentType: "application/json", body: b})
		return w.Code, w.Body.String()
	}
	code1, first := post(body)
	code2, again := post(body)
	if code1 != 201 || code2 != 201 || first != again {
		t.Fatalf("first %d %s\nretry %d %s: want the same 201 twice", code1, first, code2, again)
	}
	if !strings.Contains(first, `"run_id":"3f2a9c0e-77b1-4c5e-9d1a-2b6f0c8e4a11"`) {
		t.Errorf("answer lacks the run id: %s", first)
	}
	// The same run id on another class's board is another run.
	if w := serve(h, request{method: "POST", target: "/api/board/cs102/runs", contentType: "application/json", body: body}); w.Code != 201 {
		t.Errorf("other class: %d %s", w.Code, w.Body)
	}
	changed := strings.Replace(body, `"seed":42`, `"seed":43`, 1)
	if changed == body {
		t.Fatal("the test's body did not change")
	}
	w := serve(h, request{method: "POST", target: "/api/board/cs101/runs", contentType: "application/json", body: changed})
	if w.Code != 409 || decodeError(t, w).Field != "run_id" {
		t.Errorf("same run id, other body: %d %s, want 409 run_id", w.Code, w.Body)
	}
	w = serve(h, request{method: "GET", target: "/api/board/cs101"})
	if n := strings.Count(w.Body.String(), `"run_id"`); n != 1 {
		t.Errorf("cs101 lists %d runs, want 1: %s", n, w.Body)
	}
	// Without a run id every post is a new run, with a run id of the server's.
	a, b := serve(h, request{method: "POST", target: "/api/board/cs103/runs", contentType: "application/json", body: validBody}),
		serve(h, request{method: "POST", target: "/api/board/cs103/runs", contentType: "application/json", body: validBody})
	var ra, rb Run
	json.Unmarshal(a.Body.Bytes(), &ra)
	json.Unmarshal(b.Body.Bytes(), &rb)
	if ra.ID == rb.ID || len(ra.RunID) != 32 || ra.RunID == rb.RunID {
		t.Errorf("posts without run_id: %+v %+v", ra, rb)
	}
}

// TestClassBehindOneNATSharedOneBudget: with one budget per IP address, a class of 30 behind one
// NAT address had about 3 requests a student a minute. The budget is now per class and address,
// sized for a class, with a larger cap per address over all classes.
func TestClassBehindOneNATSharedOneBudget(t *testing.T) {
	clock := newFakeClock()
	perClass := NewTokenBucket(TokenBucketConfig{Rate: 5, Burst: 300, Now: clock.Now})
	perClient := NewTokenBucket(TokenBucketConfig{Rate: 20, Burst: 1200, Now: clock.Now})
	h := NewHandler(Config{Store: &MemStore{}, Limiter: perClass, ClientLimiter: perClient, Now: clock.Now})
	send := func(method, target, body string) int {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.RemoteAddr = "203.0.113.9:40000" // the school's one address
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	// 30 students each post once and refresh the board three times, at once.
	for s := range 30 {
		if c := send("POST", "/api/board/cs101/runs", with(t, "seed", strings.Repeat("1", 1+s%5))); c != 201 {
			t.Fatalf("student %d's post: %d", s, c)
		}
		for range 3 {
			if c := send("GET", "/api/board/cs101", ""); c != 200 {
				t.Fatalf("student %d's refresh: %d", s, c)
			}
		}
	}
	// The class's budget runs out at its size; another class at the same school keeps its own.
	n := 120
	for ; n < 1000 && send("GET", "/api/board/cs101", "") == 200; n++ {
	}
	if n != 300 {
		t.Errorf("cs101 was limited after %d requests, want 300", n)
	}
	if c := send("GET", "/api/board/cs102", ""); c != 200 {
		t.Errorf("another class from the same address: %d", c)
	}
	// One address cannot multiply its budget by inventing classes: every request it made so far
	// (the 300 of cs101, the one refused, the one to cs102) counts, and the 1201st is refused.
	total := n + 2
	for i := 0; total < 5000; i++ {
		c := send("GET", "/api/board/class-"+strings.Repeat("x", 3)+string(rune('a'+i%26))+string(rune('a'+i/26%26)), "")
		if c == 429 {
			break
		}
		total++
	}
	if total != 1200 {
		t.Errorf("the address was limited after %d requests over all classes, want 1200", total)
	}
}
