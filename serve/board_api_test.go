//go:build !js

package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/serve/board/sqlitestore"
)

// TestBoardMountedUnderAPI: the class board, mounted as Config.API over SQLite, answers through
// the server with JSON and the server's security headers; the static app is unaffected.
func TestBoardMountedUnderAPI(t *testing.T) {
	store, err := sqlitestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	app := newTestApp(t)
	h := newTestServer(t, Config{App: app.fsys, API: board.NewHandler(board.Config{Store: store, Logger: quietLogger()})}).Handler()

	const run = `{"name":"Ana","constitution":"be helpful .","recipe":"grpo","model":"base-rho0","seed":3,
		"metrics":{"safety":0.25,"helpfulness":1,"borderline_helpfulness":1,"over_refusal":0,"reasoning":0.5,
		"distinct2":0.75,"diversity":0.5,"length_benign":30,"entropy":2},"collapse_step":null}`
	tests := []struct {
		method, path, contentType, body string
		status                          int
		json                            bool
	}{
		{"POST", "/api/board/cs101/runs", "application/json", run, 201, true},
		{"GET", "/api/board/cs101", "", "", 200, true},
		{"GET", "/api/board/cs101?limit=1&before=1", "", "", 200, true},
		{"POST", "/api/board/cs101/runs", "text/plain", run, 415, true},
		{"POST", "/api/board/cs101/runs", "application/json", strings.Replace(run, `"grpo"`, `"sft"`, 1), 422, true},
		{"POST", "/api/board/cs101/runs", "application/json", run + "x", 400, true},
		{"GET", "/api/board/CS101", "", "", 400, true},
		{"DELETE", "/api/board/cs101", "", "", 405, true},
		{"GET", "/api/elsewhere", "", "", 404, true},
		{"GET", "/api", "", "", 404, true},
		{"GET", "/", "", "", 200, false},
		{"GET", "/healthz", "", "", 200, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		what := tt.method + " " + tt.path
		if w.Code != tt.status {
			t.Errorf("%s: %d %s, want %d", what, w.Code, w.Body, tt.status)
			continue
		}
		if w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("X-Frame-Options") != "DENY" ||
			w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers missing: %v", what, w.Header())
		}
		if tt.json {
			if ct := w.Header().Get("Content-Type"); ct != "application/json" || !json.Valid(w.Body.Bytes()) {
				t.Errorf("%s: %q %s, want JSON", what, ct, w.Body)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control %q", what, cc)
			}
		}
	}
	if w := do(h, "GET", "/api/board/cs101"); !strings.Contains(w.Body.String(), `"recipe":"grpo"`) {
		t.Errorf("the posted run is not listed: %s", w.Body)
	}
	if w := do(h, "OPTIONS", "/api/board/cs101"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("OPTIONS: %d (no CORS)", w.Code)
	}
}
