package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/boardwire"
	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/serve/board"
)

type denyAll struct{}

func (denyAll) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 30 * time.Second, nil
}

// roundTrip sends a page's request to h and returns the answer as the page
// would get it.
func roundTrip(h http.Handler, req BoardRequest) BoardResponse {
	r := httptest.NewRequest(req.Method, req.Path, bytes.NewReader(req.Body))
	if req.Body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.Key != "" {
		r.Header.Set("Authorization", "Bearer "+req.Key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return BoardResponse{Seq: req.Seq, Status: w.Code, Body: w.Body.Bytes()}
}

// evaluatedRun is a run evaluated at steps 0 and 10, collapsed at 10.
func evaluatedRun() *Run {
	cs := 10
	r := &Run{ID: "live", Kind: LiveRun}
	r.Report.Recipe, r.Report.Model, r.Report.Seed = "opsd-rkl", "base-rho50.ckpt", 42
	r.Report.Config.Steps, r.Report.Config.EvalEvery = 30, 10
	r.Report.Constitution = "refuse weapons . be helpful ."
	r.Report.CollapseStep = &cs
	final := diag.Metrics{Step: 10, Metrics: eval.Metrics{Safety: 0.9, Helpfulness: 0.5, BorderlineHelpfulness: 0.25, OverRefusal: 0.125,
		Reasoning: 0.75, LengthBenign: 12.5, Entropy: 0.875, Distinct2: 0.625}, Diversity: 0.375}
	r.Report.Steps = []diag.Metrics{{Step: 0}, final}
	return r
}

func TestBoardSubmissionIsTheRunsLatestEvaluation(t *testing.T) {
	s, err := NewBoardSubmission("  Ana L. ", evaluatedRun())
	if err != nil {
		t.Fatal(err)
	}
	want := BoardSubmission{Name: "Ana L.", Constitution: "refuse weapons . be helpful .", Recipe: "opsd-rkl", Model: "base-rho50", Seed: 42,
		Metrics: BoardMetrics{Safety: 0.9, Helpfulness: 0.5, BorderlineHelpfulness: 0.25, OverRefusal: 0.125, Reasoning: 0.75,
			Distinct2: 0.625, Diversity: 0.375, LengthBenign: 12.5, Entropy: 0.875}}
	if s.CollapseStep == nil || *s.CollapseStep != 10 {
		t.Errorf("collapse step %v", s.CollapseStep)
	}
	s.CollapseStep = nil
	if !boardwire.ValidRunID(s.RunID) {
		t.Errorf("run id %q", s.RunID)
	}
	want.RunID = s.RunID
	if s != want {
		t.Errorf("submission\n got %+v\nwant %+v", s, want)
	}
	r := evaluatedRun()
	r.Report.Constitution, r.Report.CollapseStep = "", nil
	if s, _ := NewBoardSubmission("Ben", r); s.Constitution != "none" || s.CollapseStep != nil {
		t.Errorf("no constitution, no collapse: %+v", s)
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"collapse_step":null`) {
		t.Errorf("a run that did not collapse must send collapse_step null: %s", b)
	}
}

func TestBoardSubmissionRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Run)
		want string
	}{
		{"", nil, "enter the name"},
		{"   ", nil, "enter the name"},
		{strings.Repeat("é", 41), nil, "41 characters"},
		{"Ana\u202egnp", nil, "U+202E"},
		{"Ana\tL", nil, "U+0009"},
		{"Ana", func(r *Run) { r.Report.Steps = r.Report.Steps[:1] }, "no evaluation after step 0 yet: run it to step 10"},
		{"Ana", func(r *Run) { r.Report.Steps = nil; r.Report.Config.Steps = 3 }, "run it to step 3"},
		{"Ana", func(r *Run) { r.Report.Seed = 1<<53 + 1 }, "too large"},
		{"Ana", func(r *Run) { r.Report.Steps[1].LengthBenign = 70 }, "length_benign is 70"},
		{"Ana", func(r *Run) { r.Report.Constitution = strings.Repeat("refuse weapons . ", 40) }, "at most 600"},
	} {
		r := evaluatedRun()
		if tc.edit != nil {
			tc.edit(r)
		}
		if _, err := NewBoardSubmission(tc.name, r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The page's checks of class codes and names agree with the server's.
func TestBoardChecksAgreeWithTheServer(t *testing.T) {
	for _, c := range []string{"cs101", "ml-seminar-2026", "ab", "abc", strings.Repeat("a", 32), strings.Repeat("a", 33), "CS101", "cs 101", "cs_101", "", "é-class", "--x"} {
		if ours, theirs := CheckClass(c) == nil, board.ValidClass(c); ours != theirs {
			t.Errorf("class %q: page says %v, server %v", c, ours, theirs)
		}
	}
	base, _ := NewBoardSubmission("x", evaluatedRun())
	for _, n := range []string{"Ana", " Ana ", "", "  ", strings.Repeat("ñ", 40), strings.Repeat("ñ", 41), "a\u200db", "a\x00b", "a\nb", "李雷", "Zoë 🙂"} {
		s := base
		s.Name = n
		body, _ := json.Marshal(s)
		_, serr := board.DecodeRun(body)
		_, err := CheckBoardName(n)
		if (err == nil) != (serr == nil) {
			t.Errorf("name %q: page says %v, server %v", n, err, serr)
		}
	}
}

// What the page posts, the server stores; what the server answers, the page
// reads; and the server's error messages reach the learner as they are.
func TestBoardRequestsAgreeWithTheServer(t *testing.T) {
	h := board.NewHandler(board.Config{Store: &board.MemStore{}})
	s, err := NewBoardSubmission("Ana", evaluatedRun())
	if err != nil {
		t.Fatal(err)
	}
	req, err := BoardPost(1, "cs101", s)
	if err != nil || req.Method != "POST" || req.Path != "/api/board/cs101/runs" {
		t.Fatalf("%+v %v", req, err)
	}
	stored, e := board.DecodeRun(req.Body)
	if e != nil {
		t.Fatalf("the server refuses the page's body %s: %v", req.Body, e)
	}
	if stored.Constitution != s.Constitution || stored.Metrics.Diversity != s.Metrics.Diversity || *stored.CollapseStep != 10 {
		t.Errorf("stored %+v", stored)
	}
	run, err := ParseBoardRun(roundTrip(h, req))
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != 1 || run.Class != "cs101" || run.CreatedAt.IsZero() || run.Submission.Name != "Ana" || run.Metrics != s.Metrics {
		t.Errorf("answer %+v", run)
	}
	for i := 0; i < BoardPageSize+5; i++ {
		s.Name, s.RunID = "student "+string(rune('a'+i%26)), boardwire.NewRunID()
		req, _ := BoardPost(2+i, "cs101", s)
		if _, err := ParseBoardRun(roundTrip(h, req)); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := BoardList(9, "cs101", "")
	if list.Path != "/api/board/cs101?limit=100" {
		t.Errorf("list path %s", list.Path)
	}
	p, err := ParseBoardPage(roundTrip(h, list), "cs101")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != BoardPageSize || p.Runs[0].ID != BoardPageSize+6 || p.Next == nil {
		t.Fatalf("first page: %d runs, first #%d, next %v", len(p.Runs), p.Runs[0].ID, p.Next)
	}
	list, _ = BoardList(10, "cs101", *p.Next)
	p, err = ParseBoardPage(roundTrip(h, list), "cs101")
	if err != nil || len(p.Runs) != 6 || p.Runs[5].ID != 1 || p.Next != nil {
		t.Fatalf("last page: %+v %v", p, err)
	}
	if p.Runs[5].Name != "Ana" || p.Runs[5].Constitution != "refuse weapons . be helpful ." {
		t.Errorf("oldest run %+v", p.Runs[5])
	}
	empty, _ := BoardList(11, "nobody-here", "")
	if p, err := ParseBoardPage(roundTrip(h, empty), "nobody-here"); err != nil || len(p.Runs) != 0 || p.Next != nil {
		t.Errorf("empty board: %+v %v", p, err)
	}

	// Errors: the server's message, whatever the status.
	bad := s
	bad.Constitution = "refuse weapns ."
	req, _ = BoardPost(20, "cs101", bad)
	_, err = ParseBoardRun(roundTrip(h, req))
	var be *BoardError
	if !errors.As(err, &be) || be.Status != 422 || be.Field != "constitution" || !strings.Contains(be.Message, `did you mean "weapons"`) {
		t.Errorf("422: %#v", err)
	}
	limited := board.NewHandler(board.Config{Store: &board.MemStore{}, Limiter: denyAll{}})
	if _, err := ParseBoardPage(roundTrip(limited, list), "cs101"); err == nil || !strings.Contains(err.Error(), "too many requests: try again in 30s") {
		t.Errorf("429: %v", err)
	}
	for _, tc := range []struct {
		resp BoardResponse
		want string
	}{
		{BoardResponse{Err: errors.New("TypeError: Failed to fetch")}, "could not be reached (TypeError: Failed to fetch)"},
		{BoardResponse{Status: 404, Body: []byte("<html>Not Found</html>")}, "answered HTTP 404: this server has no class board"},
		{BoardResponse{Status: 404, Body: []byte(`{"error":"not found"}`)}, "this server has no class board (not found)"},
		{BoardResponse{Status: 502, Body: []byte("Bad gateway")}, "answered HTTP 502"},
		{BoardResponse{Status: 200, Body: []byte(`{"class":"other","runs":[],"next":null}`)}, "could not be read"},
		{BoardResponse{Status: 200, Body: []byte(`{"runs":`)}, "could not be read"},
	} {
		if _, err := ParseBoardPage(tc.resp, "cs101"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d %q: %v, want %q", tc.resp.Status, tc.resp.Body, err, tc.want)
		}
	}
	if _, err := BoardList(1, "CS 101", ""); err == nil {
		t.Error("a bad class code made a request")
	}
}

// answer sends the lab's last board request to h and hands the answer back.
func answer(t *testing.T, l *Lab, p *fakePort, h http.Handler) BoardRequest {
	t.Helper()
	if len(p.board) == 0 {
		t.Fatal("no board request")
	}
	req := p.board[len(p.board)-1]
	p.board = p.board[:len(p.board)-1]
	l.OnBoard(roundTrip(h, req))
	return req
}

// A class link opens on its board; the learner submits their run once it
// has an evaluation, sees it on the board, and hears what went wrong when
// something does.
func TestLabSubmitsToTheClassBoard(t *testing.T) {
	store := &board.MemStore{}
	h := board.NewHandler(board.Config{Store: store})
	old := board.Run{Submission: board.Submission{Name: "Ben", Constitution: "none", Recipe: "copsd", Model: "base-rho50", Seed: 1}}
	for range BoardPageSize + 1 {
		store.Add(context.Background(), "cs101", old)
	}
	l, p := booted(t, "#v=1&class=CS101")
	if l.Settings.Class != "cs101" || l.Board.ClassDraft != "cs101" {
		t.Fatalf("class from the link: %q %q", l.Settings.Class, l.Board.ClassDraft)
	}
	// The board loads page by page.
	if r := answer(t, l, p, h); r.Path != "/api/board/cs101?limit=100" {
		t.Errorf("first request %s", r.Path)
	}
	if !l.Board.Loading || l.Board.Loaded {
		t.Error("the board should still be loading")
	}
	if r := answer(t, l, p, h); r.Path != "/api/board/cs101?before=2&limit=100" {
		t.Errorf("second request %s", r.Path)
	}
	if !l.Board.Loaded || len(l.Board.Runs) != BoardPageSize+1 || l.Board.More || l.Board.Students() != 1 {
		t.Fatalf("board: loaded %v, %d runs, more %v", l.Board.Loaded, len(l.Board.Runs), l.Board.More)
	}

	l.SubmitToBoard()
	if !strings.Contains(l.Board.Status, "Not submitted: enter the name") || l.Board.StatusOK || len(p.board) != 0 {
		t.Errorf("no name: %q, %d requests", l.Board.Status, len(p.board))
	}
	l.Board.Name = "Ana"
	l.SubmitToBoard()
	if !strings.Contains(l.Board.Status, "no evaluation after step 0") || len(p.board) != 0 {
		t.Errorf("no evaluation: %q", l.Board.Status)
	}
	if !strings.Contains(l.BoardCandidate(), "Run at least 10 steps") {
		t.Errorf("candidate %q", l.BoardCandidate())
	}
	id := l.Live.RunID
	l.Live.Report.Constitution = "refuse weapons ."
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: id, Points: []diag.Metrics{
		{Step: 0}, {Step: 10, Metrics: eval.Metrics{Safety: 0.75, Helpfulness: 0.5, LengthBenign: 14}}}}}, nil)
	if c := l.BoardCandidate(); !strings.Contains(c, "evaluated at step 10: safety 0.75, helpfulness 0.50, no collapse") {
		t.Errorf("candidate %q", c)
	}
	l.Board.ClassDraft = " cs101 "
	l.SubmitToBoard()
	if !l.Board.Submitting || len(p.board) != 1 {
		t.Fatalf("submit: %q", l.Board.Status)
	}
	l.SubmitToBoard() // a second click while the first is out
	if len(p.board) != 1 {
		t.Error("a second post went out")
	}
	answer(t, l, p, h)
	if l.Board.Submitting || !l.Board.StatusOK || l.Board.Status != "Submitted to cs101 as Ana (run #102): safety 0.75, helpfulness 0.50." {
		t.Errorf("after the post: %q", l.Board.Status)
	}
	if !l.Board.Mine[102] || !l.Board.Loading {
		t.Error("the post is not marked as the learner's, or the board is not reloading")
	}
	answer(t, l, p, h)
	answer(t, l, p, h)
	if r := l.Board.Runs[0]; r.ID != 102 || r.Name != "Ana" || r.Constitution != "refuse weapons ." || l.Board.Students() != 2 {
		t.Errorf("newest run %+v", r)
	}
	l.SubmitToBoard()
	if !strings.Contains(l.Board.Status, "Already on cs101's board (run #102)") || len(p.board) != 0 {
		t.Errorf("a second submission of the same evaluation: %q", l.Board.Status)
	}

	// The server's refusal, as it says it.
	l.Board.Name = "Ana 2"
	l.Live.Report.Constitution = "refuse weapns ."
	l.SubmitToBoard()
	answer(t, l, p, h)
	if l.Board.StatusOK || !strings.HasPrefix(l.Board.Status, `Not submitted: constitution: unknown word: "weapns"`) {
		t.Errorf("refused: %q", l.Board.Status)
	}
	// A post that gets no answer is resent as it was, with its run id, then
	// said; submitting again sends the same run id once more.
	l.SubmitToBoard()
	req := p.board[0]
	p.board = nil
	var sent BoardSubmission
	if err := json.Unmarshal(req.Body, &sent); err != nil || !boardwire.ValidRunID(sent.RunID) || l.PostRunID("cs101", "Ana 2") != sent.RunID {
		t.Fatalf("post %s: run id %q, PostRunID %q", req.Body, sent.RunID, l.PostRunID("cs101", "Ana 2"))
	}
	for i := range boardRetries { // a busy board: sent again at once, the same body
		l.OnBoard(BoardResponse{Seq: req.Seq, Status: 503, Body: []byte(`{"error":"the board's storage is busy; try again"}`)})
		if len(p.board) != 1 || !bytes.Equal(p.board[0].Body, req.Body) || p.board[0].Seq == req.Seq || !l.Board.Submitting {
			t.Fatalf("retry %d: %+v", i, p.board)
		}
		req, p.board = p.board[0], nil
	}
	l.OnBoard(BoardResponse{Seq: req.Seq, Err: errors.New("TypeError: Failed to fetch")})
	// No answer at all: the post waits for the network (outbox_test.go).
	if l.Board.Submitting || l.Board.Waiting() != 1 || !strings.HasPrefix(l.Board.Status, "You are offline: your run will be posted to cs101") {
		t.Errorf("offline: %q", l.Board.Status)
	}
	l.Board.outbox = nil
	// Submitting again sends the same run id once more.
	l.SubmitToBoard()
	if len(p.board) != 1 || !bytes.Equal(p.board[0].Body, req.Body) {
		t.Fatalf("submitting again: %+v, want the same body %s", p.board, req.Body)
	}
	l.OnBoard(BoardResponse{Seq: p.board[0].Seq, Status: 422, Body: []byte(`{"error":"refused","field":"name"}`)})
	p.board = nil

	// Loads: a bad class is said and not sent; an answer to an older load is dropped.
	l.Board.ClassDraft = "c"
	l.RefreshBoard()
	if !strings.Contains(l.Board.Status, `Class code "c"`) || len(p.board) != 0 {
		t.Errorf("bad class: %q", l.Board.Status)
	}
	l.Board.Status, l.Board.StatusOK = "Submitted to cs101 …", true
	l.SetBoardClass("Empty-One")
	if l.Board.Status != "" {
		t.Errorf("another class's board keeps the status %q", l.Board.Status)
	}
	first := p.board[0]
	p.board = p.board[1:]
	l.RefreshBoard()
	if len(p.board) != 1 || l.Settings.Class != "empty-one" || !strings.Contains(p.hash, "class=empty-one") {
		t.Fatalf("%d requests, class %q, URL %s", len(p.board), l.Settings.Class, p.hash)
	}
	l.OnBoard(BoardResponse{Seq: first.Seq, Status: 500, Body: []byte(`{"error":"internal error"}`)})
	if l.Board.Error != "" {
		t.Errorf("an older load's answer counted: %q", l.Board.Error)
	}
	answer(t, l, p, h)
	if !l.Board.Loaded || len(l.Board.Runs) != 0 || l.Board.Class != "empty-one" {
		t.Errorf("empty board: %+v", l.Board)
	}
	l.RefreshBoard()
	req = p.board[0]
	p.board = nil
	l.OnBoard(BoardResponse{Seq: req.Seq, Status: 503, Body: []byte(`{"error":"the board's storage is busy; try again"}`)})
	if l.Board.Error != "Could not load empty-one's board: the board's storage is busy; try again." || l.Board.Loading {
		t.Errorf("load error: %q", l.Board.Error)
	}
}

// The class rides in the URL only when set: links made before it read the
// same and are written the same.
func TestClassInTheLink(t *testing.T) {
	old := "v=1&model=base-rho50&recipe=opsd-rkl&seed=1"
	s, err := ParseHash(old, DefaultSettings())
	if err != nil || s.Class != "" || strings.Contains(s.Hash(), "class") {
		t.Fatalf("old link: %v %q %s", err, s.Class, s.Hash())
	}
	if DefaultSettings().Hash() != s.Hash() {
		t.Error("an old link's settings changed")
	}
	s.Class = "cs101"
	if !strings.HasSuffix(s.Hash(), "&class=cs101") || s.runKey() != DefaultSettings().runKey() {
		t.Errorf("hash %s", s.Hash())
	}
	for _, bad := range []string{"v=1&class=a", "v=1&class=cs%20101", "v=1&class=", "v=1&class=cs_1"} {
		if _, err := ParseHash(bad, DefaultSettings()); err == nil || !strings.Contains(err.Error(), "the link's class") {
			t.Errorf("%s: %v", bad, err)
		}
	}

	// A new class in the URL loads its board without resetting the run.
	l, p := booted(t, "")
	if len(p.board) != 0 {
		t.Error("a board was loaded without a class")
	}
	runID := l.Live.RunID
	l.ApplyHash("#" + s.Hash())
	if l.Live.RunID != runID || len(p.board) != 1 || l.Board.ClassDraft != "cs101" || l.Board.Class != "cs101" {
		t.Errorf("run %d → %d, %d board requests, class %q", runID, l.Live.RunID, len(p.board), l.Board.Class)
	}
}
