package board

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func postRun(t *testing.T, h http.Handler, class, body string) Run {
	t.Helper()
	w := serve(h, request{method: "POST", target: "/api/board/" + class + "/runs", contentType: "application/json", body: body})
	var r Run
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &r) != nil {
		t.Fatalf("post: %d %s", w.Code, w.Body)
	}
	return r
}

func TestClaimOnceStoresOnlyAHash(t *testing.T) {
	store := &MemStore{}
	h := newTestHandler(t, store, nil, nil)
	w := serve(h, request{method: "POST", target: "/api/board/cs101/claim"})
	var got struct {
		Class      string `json:"class"`
		TeacherKey string `json:"teacher_key"`
	}
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.Class != "cs101" || len(got.TeacherKey) != 43 {
		t.Fatalf("claim: %d %s", w.Code, w.Body)
	}
	stored, _ := store.KeyHash(t.Context(), "cs101")
	if stored == got.TeacherKey || stored != HashKey(got.TeacherKey) || len(stored) != 64 {
		t.Errorf("stored %q for key %q, want its SHA-256", stored, got.TeacherKey)
	}
	w = serve(h, request{method: "POST", target: "/api/board/cs101/claim"})
	if w.Code != 409 || decodeError(t, w).Field != "class" || strings.Contains(w.Body.String(), got.TeacherKey) {
		t.Errorf("second claim: %d %s, want 409", w.Code, w.Body)
	}
	if again, _ := store.KeyHash(t.Context(), "cs101"); again != stored {
		t.Error("a second claim changed the key")
	}
	if w := serve(h, request{method: "GET", target: "/api/board/cs101/claim"}); w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET claim: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestHideNeedsTheTeachersKey(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	a := postRun(t, h, "cs101", with(t, "name", `"Ana"`))
	b := postRun(t, h, "cs101", with(t, "name", `"Rude Name"`))
	other := postRun(t, h, "cs102", validBody)
	del := func(target, auth string) int {
		q := request{method: "DELETE", target: target}
		if auth != "" {
			q.header = map[string]string{"Authorization": auth}
		}
		w := serve(h, q)
		if w.Code != 204 {
			decodeError(t, w)
		} else if w.Body.Len() != 0 {
			t.Errorf("204 with a body: %q", w.Body)
		}
		return w.Code
	}
	target := "/api/board/cs101/runs/" + itoa(b.ID)
	// Unclaimed: no key is 401, any key 403.
	if c := del(target, ""); c != 401 {
		t.Errorf("no key, unclaimed: %d", c)
	}
	if c := del(target, "Bearer guess"); c != 403 {
		t.Errorf("a key, unclaimed: %d", c)
	}
	w := serve(h, request{method: "POST", target: "/api/board/cs101/claim"})
	var claim struct {
		TeacherKey string `json:"teacher_key"`
	}
	json.Unmarshal(w.Body.Bytes(), &claim)
	key := "Bearer " + claim.TeacherKey
	for _, tt := range []struct {
		target, auth string
		want         int
	}{
		{target, "", 401},
		{target, "Basic " + claim.TeacherKey, 401},
		{target, "Bearer", 401},
		{target, "Bearer " + claim.TeacherKey + "x", 403},
		{target, "Bearer " + strings.ToUpper(claim.TeacherKey), 403},
		{"/api/board/cs102/runs/" + itoa(other.ID), key, 403}, // cs101's key does not moderate cs102
		{"/api/board/cs101/runs/" + itoa(other.ID), key, 404}, // cs102's run is not on cs101's board
		{"/api/board/cs101/runs/999", key, 404},
		{"/api/board/cs101/runs/abc", key, 400},
		{"/api/board/cs101/runs/0", key, 400},
		{target, key, 204},
		{target, key, 204}, // hiding twice is fine
		{target, "bearer " + claim.TeacherKey, 204},
	} {
		if got := del(tt.target, tt.auth); got != tt.want {
			t.Errorf("DELETE %s (%q): %d, want %d", tt.target, tt.auth, got, tt.want)
		}
	}
	w = serve(h, request{method: "GET", target: "/api/board/cs101"})
	var page ListResponse
	json.Unmarshal(w.Body.Bytes(), &page)
	if len(page.Runs) != 1 || page.Runs[0].ID != a.ID {
		t.Errorf("after hiding #%d the board lists %s", b.ID, w.Body)
	}
	if w := serve(h, request{method: "GET", target: "/api/board/cs102"}); !strings.Contains(w.Body.String(), `"id":`+itoa(other.ID)) {
		t.Errorf("cs102 lost its run: %s", w.Body)
	}
}

func TestRunsCSV(t *testing.T) {
	h := newTestHandler(t, &MemStore{}, nil, nil)
	postRun(t, h, "cs101", with(t, "collapse_step", "40"))
	evil := postRun(t, h, "cs101", with(t, "name", `"=HYPERLINK(\"http://x\",\"a, b\")"`))
	hidden := postRun(t, h, "cs101", with(t, "name", `"Hidden"`))
	w := serve(h, request{method: "POST", target: "/api/board/cs101/claim"})
	var claim struct {
		TeacherKey string `json:"teacher_key"`
	}
	json.Unmarshal(w.Body.Bytes(), &claim)
	serve(h, request{method: "DELETE", target: "/api/board/cs101/runs/" + itoa(hidden.ID), header: map[string]string{"Authorization": "Bearer " + claim.TeacherKey}})

	w = serve(h, request{method: "GET", target: "/api/board/cs101/runs.csv"})
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(w.Header().Get("Content-Disposition"), `filename="copsd-board-cs101.csv"`) {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("rows: %q", rows)
	}
	if rows[1][0] != itoa(evil.ID) || rows[1][2] != `'=HYPERLINK("http://x","a, b")` {
		t.Errorf("newest row %q: want the formula defused", rows[1])
	}
	if got := rows[2]; got[16] != "40" || got[7] != "0.95" || got[3] != "refuse weapons . be helpful ." || !strings.HasSuffix(got[1], "Z") {
		t.Errorf("row %q", got)
	}
	if strings.Contains(w.Body.String(), "Hidden") {
		t.Error("the CSV lists a hidden run")
	}
	if w := serve(h, request{method: "GET", target: "/api/board/cs101/runs.csv?x=1"}); w.Code != 400 {
		t.Errorf("with a query: %d", w.Code)
	}
	if w := serve(h, request{method: "HEAD", target: "/api/board/cs101/runs.csv"}); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d %d bytes", w.Code, w.Body.Len())
	}
	if w := serve(h, request{method: "GET", target: "/api/board/empty-class/runs.csv"}); w.Code != 200 || w.Body.String() != strings.Join(csvHeader, ",")+"\n" {
		t.Errorf("empty class: %d %q", w.Code, w.Body)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
