package state

import "fmt"

// A post the network did not carry (no answer at all: the school's network
// dropped, the laptop is offline) is not lost: it waits in the outbox and
// is sent again, the same request byte for byte, when the network returns
// (OnOnline, which the page calls on the browser's "online" event and now
// and then while something waits). The body carries the run's
// client-generated id (BoardSubmission.RunID), on which the board's posts
// are idempotent, so a post whose answer, not whose request, was lost is
// not stored twice.

// outgoing is a post waiting for the network.
type outgoing struct {
	req  BoardRequest
	call boardCall
}

// Waiting is how many posts wait for the network.
func (b *Board) Waiting() int { return len(b.outbox) }

// holdPost keeps a post that got no answer for later.
func (l *Lab) holdPost(req BoardRequest, call boardCall) {
	l.Board.outbox = append(l.Board.outbox, outgoing{req: req, call: call})
	l.boardStatus(true, "You are offline: your run will be posted to %s when the network returns.", call.class)
}

// OnOnline sends the posts that wait for the network again.
func (l *Lab) OnOnline() {
	b := &l.Board
	if len(b.outbox) == 0 || b.Submitting {
		return
	}
	o := b.outbox[0]
	b.outbox = b.outbox[1:]
	b.seq++
	o.req.Seq = b.seq
	b.Submitting = true
	l.boardStatus(true, "Back online: posting your run to %s…", o.call.class)
	l.boardRequest(o.req, o.call)
}

// afterPost sends the next waiting post, if any, once one has been answered.
func (l *Lab) afterPost() {
	if len(l.Board.outbox) > 0 {
		l.OnOnline()
	}
}

// WaitingNote says how many posts wait for the network.
func WaitingNote(n int) string {
	if n == 1 {
		return "1 post waits for the network"
	}
	return fmt.Sprintf("%d posts wait for the network", n)
}
