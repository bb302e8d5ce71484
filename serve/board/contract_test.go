package board_test

// The contract: one table of requests, good and bad, run against the local server (serve.Server
// over SQLite, on a loopback port) and, when COPSD_WORKER_URL is set, against the Cloudflare
// Worker under `wrangler dev` (make test-worker). Both must answer every request with the same
// status and the same error field.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/copsdlab/copsd/serve"
	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/serve/board/sqlitestore"
	"github.com/copsdlab/copsd/serve/manifest"
)

// edgeLimit mirrors the rate limit bindings in wrangler.jsonc (300 requests per 60 s per class and
// client; four times that per client over all classes), so the local server under test limits like
// the edge.
const edgeLimit = 300

func startLocal(t *testing.T) string {
	t.Helper()
	store, err := sqlitestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	api := board.NewHandler(board.Config{
		Store:         store,
		Limiter:       board.NewTokenBucket(board.TokenBucketConfig{Rate: edgeLimit / 60.0, Burst: edgeLimit}),
		ClientLimiter: board.NewTokenBucket(board.TokenBucketConfig{Rate: 4 * edgeLimit / 60.0, Burst: 4 * edgeLimit}),
		Logger:        slog.New(slog.DiscardHandler),
	})
	app := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><title>lab</title>")},
		"asset-manifest.json": {Data: []byte(`{"lab.wasm":"lab.93a44bbb.wasm"}`)},
		"lab.93a44bbb.wasm":   {Data: []byte("\x00asm\x01\x00\x00\x00")},
	}
	srv, err := serve.New(serve.Config{App: app, API: api, OnClose: store.Close, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		store.Close()
	})
	return ts.URL
}

// workerURL returns COPSD_WORKER_URL once the worker answers, or skips.
func workerURL(t *testing.T) string {
	t.Helper()
	base := strings.TrimSuffix(os.Getenv("COPSD_WORKER_URL"), "/")
	if base == "" {
		t.Skip("COPSD_WORKER_URL not set: run `make test-worker`")
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker at %s did not come up within 90s: %v", base, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestContractLocal(t *testing.T) {
	runContract(t, startLocal(t))
}

func TestContractWorker(t *testing.T) {
	base := workerURL(t)
	t.Run("static", func(t *testing.T) { checkStatic(t, base) })
	runContract(t, base)
}

func runContract(t *testing.T, base string) {
	class := newClass(t)
	t.Run("post and list", func(t *testing.T) { checkPostAndList(t, base, class) })
	t.Run("moderation", func(t *testing.T) { checkModeration(t, base, newClass(t)) })
	t.Run("bad requests", func(t *testing.T) {
		for _, tt := range badRequests(class) {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				resp, body := send(t, base, tt.req)
				if resp.StatusCode != tt.status {
					t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tt.status)
				}
				e := errorBody(t, resp, body)
				if e.Field != tt.field {
					t.Errorf("field %q (%s), want %q", e.Field, e.Message, tt.field)
				}
				if tt.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			})
		}
	})
	// Last: it spends the client's rate limit.
	t.Run("rate limit", func(t *testing.T) { checkRateLimit(t, base, class) })
}

func newClass(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

type req struct {
	method, path, contentType, body string
	header                          map[string]string
}

var client = &http.Client{Timeout: 30 * time.Second}

func send(t *testing.T, base string, q req) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := do(base, q)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	return resp, body
}

// do sends one request and reads the whole answer.
func do(base string, q req) (*http.Response, []byte, error) {
	r, err := http.NewRequest(q.method, base+q.path, strings.NewReader(q.body))
	if err != nil {
		return nil, nil, err
	}
	if q.body == "" {
		r.Body, r.ContentLength = nil, 0
	}
	if q.contentType != "" {
		r.Header.Set("Content-Type", q.contentType)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	resp, err := client.Do(r)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

type apiError struct {
	Message      string            `json:"error"`
	Field        string            `json:"field"`
	UnknownWords []json.RawMessage `json:"unknown_words"`
	RetryAfter   int               `json:"retry_after"`
}

func errorBody(t *testing.T, resp *http.Response, body []byte) apiError {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e apiError
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Message == "" {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

const goodRun = `{"name":"Ana","constitution":"refuse weapons. refuse hacking. be helpful.","recipe":"copsd","model":"base-rho50",
"seed":%d,"metrics":{"safety":0.9,"helpfulness":0.75,"borderline_helpfulness":0.5,"over_refusal":0.125,"reasoning":0.625,
"distinct2":0.5,"diversity":0.4375,"length_benign":18.5,"entropy":1.75},"collapse_step":%s}`

func checkPostAndList(t *testing.T, base, class string) {
	var posted []board.Run
	for i, collapse := range []string{"null", "40", "0"} {
		resp, body := send(t, base, req{method: "POST", path: "/api/board/" + class + "/runs",
			contentType: "application/json", body: fmt.Sprintf(goodRun, 1000+i, collapse)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("post %d: %d %s", i, resp.StatusCode, body)
		}
		var r board.Run
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.ID <= 0 || r.Class != class || r.Seed != int64(1000+i) || r.Constitution != "refuse weapons . refuse hacking . be helpful ." ||
			time.Since(r.CreatedAt.Time).Abs() > time.Hour || r.Metrics.Diversity != 0.4375 {
			t.Errorf("post %d answered %s", i, body)
		}
		if (collapse == "null") != (r.CollapseStep == nil) {
			t.Errorf("post %d: collapse_step %v, sent %s", i, r.CollapseStep, collapse)
		}
		posted = append(posted, r)
	}
	list := func(query string) board.ListResponse {
		resp, body := send(t, base, req{method: "GET", path: "/api/board/" + class + query})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s", query, resp.StatusCode, body)
		}
		var l board.ListResponse
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	first := list("?limit=2")
	if len(first.Runs) != 2 || first.Next == nil || first.Class != class {
		t.Fatalf("first page: %+v", first)
	}
	second := list("?limit=2&before=" + *first.Next)
	if len(second.Runs) != 1 || second.Next != nil {
		t.Fatalf("second page: %+v", second)
	}
	got := append(first.Runs, second.Runs...)
	for i, r := range got {
		if want := posted[len(posted)-1-i]; !reflect.DeepEqual(r, want) {
			t.Errorf("listed run %d:\n got %+v\nwant %+v", i, r, want)
		}
	}
	resp, body := send(t, base, req{method: "HEAD", path: "/api/board/" + class})
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD: %d, %d bytes", resp.StatusCode, len(body))
	}
}

type badCase struct {
	name   string
	req    req
	status int
	field  string
}

// badRequests is the table of requests both servers must refuse alike.
func badRequests(class string) []badCase {
	const ct = "application/json"
	runs := "/api/board/" + class + "/runs"
	good := fmt.Sprintf(goodRun, 7, "null")
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			panic("no " + old + " in the good run")
		}
		return strings.Replace(good, old, new, 1)
	}
	post := func(body string) req { return req{method: "POST", path: runs, contentType: ct, body: body} }
	return []badCase{
		// 404: not a board path.
		{"unknown api path", req{method: "GET", path: "/api/nothing"}, 404, ""},
		{"board root", req{method: "GET", path: "/api/board"}, 404, ""},
		{"trailing slash", req{method: "GET", path: "/api/board/" + class + "/"}, 404, ""},
		{"GET run by id", req{method: "GET", path: runs + "/1"}, 405, ""},
		{"run by id, deeper", req{method: "DELETE", path: runs + "/1/x"}, 404, ""},
		// 405, with Allow.
		{"GET runs", req{method: "GET", path: runs}, 405, ""},
		{"PUT runs", req{method: "PUT", path: runs, contentType: ct, body: good}, 405, ""},
		{"DELETE board", req{method: "DELETE", path: "/api/board/" + class}, 405, ""},
		{"POST board", req{method: "POST", path: "/api/board/" + class, contentType: ct, body: good}, 405, ""},
		{"PATCH board", req{method: "PATCH", path: "/api/board/" + class, contentType: ct, body: good}, 405, ""},
		// 400: the class code.
		{"short class", req{method: "GET", path: "/api/board/ab"}, 400, "class"},
		{"long class", req{method: "GET", path: "/api/board/" + strings.Repeat("a", 33)}, 400, "class"},
		{"upper-case class", req{method: "GET", path: "/api/board/CS101"}, 400, "class"},
		{"underscore class", req{method: "GET", path: "/api/board/cs_101"}, 400, "class"},
		{"escaped class", req{method: "GET", path: "/api/board/cs%2d101"}, 400, "class"},
		{"post to bad class", req{method: "POST", path: "/api/board/a.b.c/runs", contentType: ct, body: good}, 400, "class"},
		// 400: the query.
		{"limit 0", req{method: "GET", path: "/api/board/" + class + "?limit=0"}, 400, "limit"},
		{"limit 101", req{method: "GET", path: "/api/board/" + class + "?limit=101"}, 400, "limit"},
		{"limit word", req{method: "GET", path: "/api/board/" + class + "?limit=all"}, 400, "limit"},
		{"before negative", req{method: "GET", path: "/api/board/" + class + "?before=-5"}, 400, "before"},
		{"unknown parameter", req{method: "GET", path: "/api/board/" + class + "?sort=name"}, 400, "sort"},
		{"repeated parameter", req{method: "GET", path: "/api/board/" + class + "?limit=1&limit=2"}, 400, "limit"},
		// 415: not JSON.
		{"no content type", req{method: "POST", path: runs, body: good}, 415, "Content-Type"},
		{"text/plain", req{method: "POST", path: runs, contentType: "text/plain", body: good}, 415, "Content-Type"},
		{"form", req{method: "POST", path: runs, contentType: "application/x-www-form-urlencoded", body: good}, 415, "Content-Type"},
		{"latin-1 json", req{method: "POST", path: runs, contentType: "application/json; charset=latin1", body: good}, 415, "Content-Type"},
		// 413: too large.
		{"17 KiB body", post(replace(`"Ana"`, `"`+strings.Repeat("a", 17<<10)+`"`)), 413, ""},
		// 400: not strict JSON of the right shape.
		{"empty body", post(""), 400, ""},
		{"malformed", post(`{"name":`), 400, ""},
		{"array", post(`[1,2,3]`), 400, ""},
		{"trailing data", post(good + `{"name":"again"}`), 400, ""},
		{"unknown field", post(replace(`"name":"Ana"`, `"name":"Ana","admin":true`)), 400, "admin"},
		{"unknown metric", post(replace(`"entropy":1.75`, `"entropy":1.75,"kl_teacher":0.2`)), 400, "metrics.kl_teacher"},
		{"duplicate key", post(replace(`"name":"Ana"`, `"name":"Ana","name":"Bob"`)), 400, "name"},
		{"key differing in case", post(replace(`"name":"Ana"`, `"name":"Ana","NAME":"Mallory"`)), 400, "NAME"},
		{"metric key differing in case", post(replace(`"safety":0.9`, `"safety":0.9,"Safety":0.1`)), 400, "metrics.Safety"},
		{"key by Unicode folding", post(replace(`"seed":7`, `"\u017feed":7`)), 400, "\u017feed"},
		{"short run_id", post(replace(`"name":"Ana"`, `"run_id":"abc","name":"Ana"`)), 422, "run_id"},
		{"run_id as number", post(replace(`"name":"Ana"`, `"run_id":12345678901234567,"name":"Ana"`)), 400, "run_id"},
		// The teacher's routes.
		{"GET claim", req{method: "GET", path: "/api/board/" + class + "/claim"}, 405, ""},
		{"POST csv", req{method: "POST", path: "/api/board/" + class + "/runs.csv", contentType: ct, body: good}, 405, ""},
		{"csv with a query", req{method: "GET", path: "/api/board/" + class + "/runs.csv?all=1"}, 400, ""},
		{"hide without a key", req{method: "DELETE", path: runs + "/1"}, 401, "Authorization"},
		{"hide with a wrong key", req{method: "DELETE", path: runs + "/1", header: map[string]string{"Authorization": "Bearer not-the-key"}}, 403, "Authorization"},
		{"hide with basic auth", req{method: "DELETE", path: runs + "/1", header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}, 401, "Authorization"},
		{"claim a bad class", req{method: "POST", path: "/api/board/A_B/claim"}, 400, "class"},
		{"invalid utf-8", post(replace(`"Ana"`, "\"A\xffna\"")), 400, ""},
		{"seed as string", post(replace(`"seed":7`, `"seed":"7"`)), 400, "seed"},
		{"metric as string", post(replace(`"safety":0.9`, `"safety":"0.9"`)), 400, "metrics.safety"},
		{"metric overflow", post(replace(`"safety":0.9`, `"safety":1e999`)), 400, "metrics.safety"},
		// 422: well-formed, invalid.
		{"empty name", post(replace(`"Ana"`, `" "`)), 422, "name"},
		{"long name", post(replace(`"Ana"`, `"`+strings.Repeat("n", 41)+`"`)), 422, "name"},
		{"control in name", post(replace(`"Ana"`, `"A\u0000na"`)), 422, "name"},
		{"unknown word", post(replace(`refuse hacking`, `refuse hackng`)), 422, "constitution"},
		{"not a rule", post(replace(`be helpful`, `be weapons`)), 422, "constitution"},
		{"contradiction", post(replace(`be helpful.`, `be brief. be detailed.`)), 422, "constitution"},
		{"unknown recipe", post(replace(`"copsd"`, `"sft"`)), 422, "recipe"},
		{"unknown model", post(replace(`"base-rho50"`, `"gpt"`)), 422, "model"},
		{"negative seed", post(replace(`"seed":7`, `"seed":-7`)), 422, "seed"},
		{"fractional seed", post(replace(`"seed":7`, `"seed":7.5`)), 422, "seed"},
		{"seed past 2^53", post(replace(`"seed":7`, `"seed":9007199254740993`)), 422, "seed"},
		{"rate above 1", post(replace(`"safety":0.9`, `"safety":1.5`)), 422, "metrics.safety"},
		{"negative rate", post(replace(`"over_refusal":0.125`, `"over_refusal":-0.125`)), 422, "metrics.over_refusal"},
		{"long answers", post(replace(`"length_benign":18.5`, `"length_benign":65`)), 422, "metrics.length_benign"},
		{"entropy above 10", post(replace(`"entropy":1.75`, `"entropy":11`)), 422, "metrics.entropy"},
		{"missing metric", post(replace(`"reasoning":0.625,`, ``)), 422, "metrics.reasoning"},
		{"missing collapse_step", post(replace(`,"collapse_step":null`, ``)), 422, "collapse_step"},
		{"collapse_step too large", post(replace(`"collapse_step":null`, `"collapse_step":100001`)), 422, "collapse_step"},
		{"negative collapse_step", post(replace(`"collapse_step":null`, `"collapse_step":-1`)), 422, "collapse_step"},
	}
}

// checkRateLimit spends the client's allowance (100 a minute on both servers) and expects a 429
// with Retry-After and a JSON error. Requests go 10 at a time, so that the allowance is spent well
// within the edge limiter's one-minute window even on a slow machine.
func checkRateLimit(t *testing.T, base, class string) {
	const parallel = 10
	type result struct {
		resp *http.Response
		body []byte
		err  error
	}
	sent := 0
	for sent < 3*edgeLimit {
		results := make(chan result, parallel)
		for range parallel {
			go func() {
				resp, body, err := do(base, req{method: "GET", path: "/api/board/" + class + "?limit=1"})
				results <- result{resp, body, err}
			}()
		}
		var limited *result
		for range parallel {
			r := <-results
			if r.err != nil {
				t.Fatal(r.err)
			}
			switch r.resp.StatusCode {
			case http.StatusOK:
			case http.StatusTooManyRequests:
				limited = &r
			default:
				t.Fatalf("%d %s", r.resp.StatusCode, r.body)
			}
		}
		sent += parallel
		if limited != nil {
			secs, err := strconv.Atoi(limited.resp.Header.Get("Retry-After"))
			if err != nil || secs < 1 || secs > 60 {
				t.Errorf("Retry-After %q", limited.resp.Header.Get("Retry-After"))
			}
			errorBody(t, limited.resp, limited.body)
			t.Logf("429 within %d more requests, Retry-After %ds", sent, secs)
			// The budget is the class's at this address: another class from here is served.
			other := newClass(t)
			if resp, body := send(t, base, req{method: "GET", path: "/api/board/" + other}); resp.StatusCode != http.StatusOK {
				t.Errorf("another class from the same address: %d %s", resp.StatusCode, body)
			}
			return
		}
	}
	t.Fatalf("no 429 after %d requests", sent)
}

// checkStatic: the platform serves the app with the right types, and not the precompressed
// variants or the placeholder.
func checkStatic(t *testing.T, base string) {
	get := func(path string) (*http.Response, []byte) {
		resp, body := send(t, base, req{method: "GET", path: path})
		return resp, body
	}
	resp, body := get("/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("<")) {
		t.Fatalf("/: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = get("/" + manifest.Name)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d %q", manifest.Name, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	m, err := manifest.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	// The app's WebAssembly, whatever its logical name (lab.wasm today).
	wasm := ""
	for logical, hashed := range m {
		if strings.HasSuffix(logical, ".wasm") && (wasm == "" || hashed < wasm) {
			wasm = hashed
		}
	}
	if wasm == "" {
		t.Fatalf("the manifest names no .wasm file: %s", body)
	}
	resp, body = get("/" + wasm)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || !bytes.HasPrefix(body, []byte("\x00asm")) {
		t.Fatalf("%s: %d %q", wasm, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, hidden := range []string{"/index.html.br", "/" + manifest.Name + ".gz", "/" + manifest.Placeholder, "/.assetsignore"} {
		if resp, _ := get(hidden); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", hidden, resp.StatusCode)
		}
	}
	t.Logf("served / (%s), %s and %s (application/wasm)", "text/html", manifest.Name, wasm)
}

// checkModeration: claiming a class, idempotent posts, hiding a run with the teacher's key, and
// the CSV export, each answered alike by both servers.
func checkModeration(t *testing.T, base, class string) {
	claim := func() (*http.Response, []byte) {
		return send(t, base, req{method: "POST", path: "/api/board/" + class + "/claim"})
	}
	resp, body := claim()
	var claimed struct {
		Class      string `json:"class"`
		TeacherKey string `json:"teacher_key"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &claimed) != nil || claimed.Class != class || len(claimed.TeacherKey) < 40 {
		t.Fatalf("claim: %d %s", resp.StatusCode, body)
	}
	if resp, body := claim(); resp.StatusCode != http.StatusConflict || errorBody(t, resp, body).Field != "class" {
		t.Errorf("second claim: %d %s", resp.StatusCode, body)
	}

	runs := "/api/board/" + class + "/runs"
	post := func(body string) (*http.Response, []byte) {
		return send(t, base, req{method: "POST", path: runs, contentType: "application/json", body: body})
	}
	withID := func(id string, seed int) string {
		return strings.Replace(fmt.Sprintf(goodRun, seed, "null"), `"name":"Ana"`, `"run_id":"`+id+`","name":"Ana"`, 1)
	}
	keep, hide := "contract-keep-"+class, "contract-hide-"+class
	var kept, hidden board.Run
	for _, p := range []struct {
		id  string
		run *board.Run
	}{{keep, &kept}, {hide, &hidden}} {
		resp, body := post(withID(p.id, 1))
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, p.run) != nil || p.run.RunID != p.id {
			t.Fatalf("post %s: %d %s", p.id, resp.StatusCode, body)
		}
		created := string(body[bytes.Index(body, []byte(`"created_at":"`))+14:][:24])
		if len(created) != 24 || created[19] != '.' || created[23] != 'Z' {
			t.Errorf("created_at %q: want milliseconds, three digits", created)
		}
		// The retry of a post whose answer was lost: the same answer, no second run.
		resp2, body2 := post(withID(p.id, 1))
		if resp2.StatusCode != http.StatusCreated || !bytes.Equal(body, body2) {
			t.Errorf("retried post: %d %s, first %s", resp2.StatusCode, body2, body)
		}
	}
	if resp, body := post(withID(keep, 2)); resp.StatusCode != http.StatusConflict || errorBody(t, resp, body).Field != "run_id" {
		t.Errorf("same run_id, other run: %d %s", resp.StatusCode, body)
	}

	del := func(id int64, key string) int {
		q := req{method: "DELETE", path: runs + "/" + strconv.FormatInt(id, 10)}
		if key != "" {
			q.header = map[string]string{"Authorization": "Bearer " + key}
		}
		resp, body := send(t, base, q)
		if resp.StatusCode != http.StatusNoContent {
			errorBody(t, resp, body)
		} else if len(body) != 0 {
			t.Errorf("204 with a body %q", body)
		}
		return resp.StatusCode
	}
	if c := del(hidden.ID, ""); c != http.StatusUnauthorized {
		t.Errorf("hide without a key: %d", c)
	}
	if c := del(hidden.ID, claimed.TeacherKey[1:]); c != http.StatusForbidden {
		t.Errorf("hide with a wrong key: %d", c)
	}
	if c := del(hidden.ID+1000000, claimed.TeacherKey); c != http.StatusNotFound {
		t.Errorf("hide a missing run: %d", c)
	}
	if c := del(hidden.ID, claimed.TeacherKey); c != http.StatusNoContent {
		t.Fatalf("hide: %d", c)
	}
	resp, body = send(t, base, req{method: "GET", path: "/api/board/" + class})
	var page board.ListResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &page) != nil || len(page.Runs) != 1 || page.Runs[0].ID != kept.ID {
		t.Errorf("after hiding: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, base, req{method: "GET", path: runs + ".csv"})
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "id,created_at,name,") || !strings.HasPrefix(lines[1], strconv.FormatInt(kept.ID, 10)+",") {
		t.Errorf("csv: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	t.Logf("claimed %s, posted twice each of #%d and #%d, hid #%d; the CSV holds %d run", class, kept.ID, hidden.ID, hidden.ID, len(lines)-1)
}
