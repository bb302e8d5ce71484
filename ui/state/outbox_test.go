package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/serve/board"
)

// A post the network drops waits, and goes again, the same bytes, once the
// network returns; it reaches the board once.
func TestOfflinePostWaitsAndIsSentOnce(t *testing.T) {
	store := &board.MemStore{}
	h := board.NewHandler(board.Config{Store: store})
	l, p := booted(t, "#v=1&class=cs101")
	answer(t, l, p, h) // the board's first load
	l.Board.Name = "Ana"
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: l.Live.RunID, Points: []diag.Metrics{
		{Step: 0}, {Step: 10, Metrics: eval.Metrics{Safety: 0.75, Helpfulness: 0.5, LengthBenign: 14}}}}}, nil)

	l.SubmitToBoard()
	if len(p.board) != 1 {
		t.Fatalf("no post: %q", l.Board.Status)
	}
	sent := p.board[0]
	p.board = nil
	// The post reaches the board, but its answer is lost: the resend below
	// carries the same run id, and the board keeps one run.
	if first := roundTrip(h, sent); first.Status != 201 {
		t.Fatalf("first post: %d %s", first.Status, first.Body)
	}
	l.OnBoard(BoardResponse{Seq: sent.Seq, Err: errors.New("TypeError: Failed to fetch")})
	if l.Board.Waiting() != 1 || l.Board.Submitting || !strings.Contains(l.Board.Status, "offline") {
		t.Fatalf("after the network dropped the post: waiting %d, status %q", l.Board.Waiting(), l.Board.Status)
	}
	l.SubmitToBoard() // pressed again while offline
	if len(p.board) != 0 || l.Board.Waiting() != 1 {
		t.Errorf("a second copy was queued or sent: %d sent, %d waiting", len(p.board), l.Board.Waiting())
	}

	l.OnOnline() // still offline
	if len(p.board) != 1 || string(p.board[0].Body) != string(sent.Body) || p.board[0].Path != sent.Path {
		t.Fatalf("the retry is not the same post: %+v", p.board)
	}
	retry := p.board[0]
	p.board = nil
	l.OnBoard(BoardResponse{Seq: retry.Seq, Err: errors.New("TypeError: Failed to fetch")})
	if l.Board.Waiting() != 1 {
		t.Fatal("a post dropped twice was lost")
	}

	l.OnOnline() // back
	answer(t, l, p, h)
	if l.Board.Waiting() != 0 || !strings.HasPrefix(l.Board.Status, "Submitted to cs101 as Ana") {
		t.Fatalf("after the network returned: waiting %d, status %q", l.Board.Waiting(), l.Board.Status)
	}
	answer(t, l, p, h) // the board reloads
	if runs, _, _ := store.List(t.Context(), "cs101", board.Page{Limit: 10}); len(runs) != 1 {
		n := len(runs)
		t.Errorf("%d runs on the board, want 1", n)
	}
	l.OnOnline()
	if len(p.board) != 0 {
		t.Error("nothing waits, yet a request went out")
	}
}
