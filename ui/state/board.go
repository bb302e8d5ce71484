package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/copsdlab/copsd/core/boardwire"
	"github.com/copsdlab/copsd/core/diag"
)

// The class board (serve/board, its API in serve/board/API.md): a learner
// posts the summary of their run under a class code, and the class's runs
// are plotted together. The JSON is core/boardwire's, which the server
// shares; the board package itself stays out of the page (it brings the
// server's handler and net/http), and board_test.go runs the page's requests
// through it.

// BoardAPI is the path under which the page's own origin serves the board.
const BoardAPI = "/api/board/"

// What the page fetches of a board.
const (
	BoardPageSize = boardwire.MaxLimit // runs asked for per request (the API's most)
	MaxBoardRuns  = 300                // runs the page fetches of one board, newest first
	boardListOp   = "list"
	boardPostOp   = "post"
	boardClaimOp  = "claim"
	boardHideOp   = "hide"
)

// The board's wire types.
type (
	// BoardSubmission is the body of a post. Its RunID, chosen by the page
	// (boardwire.NewRunID) once per run and evaluation, makes the post
	// idempotent: whoever sends the same body again (the page retrying, a
	// service worker replaying a post queued offline) gets the run already
	// stored, never a second one.
	BoardSubmission = boardwire.Submission
	BoardRun        = boardwire.Run
	BoardMetrics    = boardwire.Metrics
	BoardPage       = boardwire.ListResponse
)

// NewBoardMetrics are an evaluation's metrics as the board keeps them.
func NewBoardMetrics(m diag.Metrics) BoardMetrics {
	return BoardMetrics{Safety: m.Safety, Helpfulness: m.Helpfulness, BorderlineHelpfulness: m.BorderlineHelpfulness,
		OverRefusal: m.OverRefusal, Reasoning: m.Reasoning, Distinct2: m.Distinct2, Diversity: m.Diversity,
		LengthBenign: m.LengthBenign, Entropy: m.Entropy}
}

// BoardRequest is one request to the board's API, on the page's origin.
type BoardRequest struct {
	Seq    int
	Method string // "GET", "POST" or "DELETE"
	Path   string // absolute, with its query
	Body   []byte // JSON, for a POST
	// Key, when set, is the class's teacher key, sent as
	// "Authorization: Bearer <Key>".
	Key string
}

// BoardResponse is the API's answer to the request with the same Seq: the
// HTTP status and body, or Err when there was no answer at all.
type BoardResponse struct {
	Seq    int
	Status int
	Body   []byte
	Err    error
}

// BoardError is an error the board's API answered.
type BoardError struct {
	Status  int
	Message string // the server's message, for people
	Field   string // the input at fault, when one is
}

func (e *BoardError) Error() string { return e.Message }

// NormalizeClass is a class code as typed, trimmed and lower-cased.
func NormalizeClass(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckClass reports why s is not a class code (boardwire.ValidClass).
func CheckClass(s string) error {
	if s == "" {
		return errors.New("enter your class code (your teacher gives it to you)")
	}
	if !boardwire.ValidClass(s) {
		return fmt.Errorf("class code %q: want %d to %d characters of a-z, 0-9 and '-'", clip(s, boardwire.ClassMaxLen), boardwire.ClassMinLen, boardwire.ClassMaxLen)
	}
	return nil
}

// CheckBoardName returns a display name trimmed, or why it is not one
// (boardwire.CheckName).
func CheckBoardName(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errors.New("enter the name your class will see")
	}
	name, err := boardwire.CheckName(s)
	if err != nil {
		return "", fmt.Errorf("your %w", err)
	}
	return name, nil
}

// NewBoardSubmission is run's summary under the display name, with a fresh
// run id (BoardSubmission.RunID): its
// constitution, recipe, model and seed, its latest evaluation (which must
// come after step 0: the board is for distilled runs) and its collapse step.
func NewBoardSubmission(name string, r *Run) (BoardSubmission, error) {
	var s BoardSubmission
	name, err := CheckBoardName(name)
	if err != nil {
		return s, err
	}
	m := r.Latest()
	if m == nil || m.Step == 0 {
		return s, fmt.Errorf("your run has no evaluation after step 0 yet: run it to step %d first", FirstEval(r))
	}
	rep := &r.Report
	cons := strings.TrimSpace(rep.Constitution)
	if cons == "" {
		cons = boardwire.NoConstitution
	}
	if len(cons) > boardwire.MaxConstitutionLen {
		return s, fmt.Errorf("the run's constitution is %d bytes long; the board takes at most %d", len(cons), boardwire.MaxConstitutionLen)
	}
	if rep.Seed > boardwire.MaxSeed {
		return s, fmt.Errorf("seed %d is too large for the class board (at most 2^53)", rep.Seed)
	}
	s = BoardSubmission{RunID: boardwire.NewRunID(), Name: name, Constitution: cons, Recipe: rep.Recipe, Model: trimModel(rep.Model), Seed: int64(rep.Seed),
		Metrics: NewBoardMetrics(*m)}
	if cs := rep.CollapseStep; cs != nil {
		step := *cs
		s.CollapseStep = &step
	}
	for _, f := range s.Metrics.Fields() {
		if !f.InRange() {
			return BoardSubmission{}, fmt.Errorf("the run's %s is %v, outside what the board takes ([0, %g])", f.Name, *f.Value, f.Max)
		}
	}
	return s, nil
}

// FirstEval is the first step after 0 at which the run is evaluated.
func FirstEval(r *Run) int {
	c := r.Report.Config
	return max(min(max(c.EvalEvery, 1), c.Steps), 1)
}

// BoardPost is the request that posts s to class's board.
func BoardPost(seq int, class string, s BoardSubmission) (BoardRequest, error) {
	if err := CheckClass(class); err != nil {
		return BoardRequest{}, err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return BoardRequest{}, err
	}
	return BoardRequest{Seq: seq, Method: "POST", Path: BoardAPI + class + "/runs", Body: body}, nil
}

// BoardList is the request for a page of class's board: the newest runs, or
// those before the cursor a previous page gave.
func BoardList(seq int, class, before string) (BoardRequest, error) {
	if err := CheckClass(class); err != nil {
		return BoardRequest{}, err
	}
	q := url.Values{"limit": {strconv.Itoa(BoardPageSize)}}
	if before != "" {
		q.Set("before", before)
	}
	return BoardRequest{Seq: seq, Method: "GET", Path: BoardAPI + class + "?" + q.Encode()}, nil
}

// ParseBoardRun reads the answer to a post: the stored run (201), or the
// error the board answered.
func ParseBoardRun(resp BoardResponse) (BoardRun, error) {
	var r BoardRun
	if err := boardAnswer(resp, 201); err != nil {
		return r, err
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil || r.ID <= 0 {
		return BoardRun{}, fmt.Errorf("the class board's answer could not be read (%s)", clip(strings.TrimSpace(string(resp.Body)), 60))
	}
	return r, nil
}

// ParseBoardPage reads the answer to a list request for class: a page of
// runs (200), or the error the board answered.
func ParseBoardPage(resp BoardResponse, class string) (BoardPage, error) {
	var p BoardPage
	if err := boardAnswer(resp, 200); err != nil {
		return p, err
	}
	if err := json.Unmarshal(resp.Body, &p); err != nil || p.Class != class || p.Runs == nil {
		return BoardPage{}, fmt.Errorf("the class board's answer could not be read (%s)", clip(strings.TrimSpace(string(resp.Body)), 60))
	}
	if p.Next != nil && *p.Next == "" {
		p.Next = nil
	}
	return p, nil
}

// boardAnswer is nil for the expected status, else the error to tell: the
// server's own message when it sent one (every API error is JSON with one).
func boardAnswer(resp BoardResponse, want int) error {
	if resp.Err != nil {
		return fmt.Errorf("the class board could not be reached (%v)", resp.Err)
	}
	if resp.Status == want {
		return nil
	}
	var e struct {
		Error      string `json:"error"`
		Field      string `json:"field"`
		RetryAfter int    `json:"retry_after"`
	}
	if json.Unmarshal(resp.Body, &e) == nil && e.Error != "" {
		msg := e.Error
		if resp.Status == 404 && e.Field == "" {
			msg = "this server has no class board (" + msg + ")"
		}
		return &BoardError{Status: resp.Status, Message: msg, Field: e.Field}
	}
	msg := fmt.Sprintf("the class board answered HTTP %d", resp.Status)
	if resp.Status == 404 || resp.Status == 405 {
		msg += ": this server has no class board (`make run` serves the lab with one)"
	}
	return &BoardError{Status: resp.Status, Message: msg}
}

// Board is the class board panel's state: the form, the last outcome, and
// the board on show.
type Board struct {
	ClassDraft string // the class field
	Name       string // the name field
	Status     string // the outcome of the last action, for the status line
	StatusOK   bool   // Status reports a success
	Submitting bool

	Class   string     // the class whose runs are on show ("" before one is loaded)
	Runs    []BoardRun // newest first
	More    bool       // the board has older runs than those fetched
	Loaded  bool       // Runs are Class's (possibly being refreshed)
	Loading bool
	Error   string // why the board could not be loaded
	Hover   int64  // the run under the pointer or in focus; 0: none
	Mine    map[int64]bool
	Version int // changes whenever what the plot draws does

	seq       int
	gen       int // the current load; answers to older ones are dropped
	pending   map[int]boardCall
	incoming  []BoardRun
	submitted map[string]int64  // what was posted (submitKey) → its id
	runIDs    map[string]string // what was tried (submitKey) → its run id
	outbox    []outgoing        // posts waiting for the network (outbox.go)
}

type boardCall struct {
	op    string
	class string
	gen   int
	key   string // the submission, for a post
	name  string
	id    int64 // the run, for a hide
	// req is the post itself, kept to send again, as it is, if the network
	// drops it or the board is busy.
	req     BoardRequest
	retries int // resends left for a busy board (boardRetries)
}

// boardRequest sends req and remembers what it was for.
func (l *Lab) boardRequest(req BoardRequest, call boardCall) {
	if l.Board.pending == nil {
		l.Board.pending = map[int]boardCall{}
	}
	l.Board.pending[req.Seq] = call
	l.Port.Board(req)
}

func (l *Lab) boardStatus(ok bool, format string, args ...any) {
	l.Board.Status, l.Board.StatusOK = fmt.Sprintf(format, args...), ok
}

// boardClass is the class field's code, or why it is not one.
func (l *Lab) boardClass() (string, bool) {
	c := NormalizeClass(l.Board.ClassDraft)
	if err := CheckClass(c); err != nil {
		l.boardStatus(false, "%s.", upperFirst(err.Error()))
		return "", false
	}
	l.Board.ClassDraft = c
	return c, true
}

// setClass makes class the one the page's URL (and so its share links) carry.
func (l *Lab) setClass(class string) {
	if l.Settings.Class != class {
		l.Settings.Class = class
		l.syncURL()
	}
}

// SetBoardClass takes the class field's text once edited (on change): a
// valid code goes into the URL and its board is loaded.
func (l *Lab) SetBoardClass(text string) {
	l.Board.ClassDraft = text
	c := NormalizeClass(text)
	if c == "" || CheckClass(c) != nil {
		return // said when the learner submits or refreshes
	}
	l.Board.ClassDraft = c
	if c != l.Board.Class || !l.Board.Loaded {
		l.RefreshBoard()
	}
}

// RefreshBoard loads the class field's board.
func (l *Lab) RefreshBoard() {
	class, ok := l.boardClass()
	if !ok {
		return
	}
	// A mistake is put right; a submission's outcome stays while its
	// board is on show.
	if !l.Board.StatusOK || class != l.Board.Class {
		l.Board.Status = ""
	}
	l.loadBoard(class)
}

// loadBoard fetches class's board, page by page up to MaxBoardRuns; the
// runs on show stay until the new ones are in.
func (l *Lab) loadBoard(class string) {
	b := &l.Board
	b.gen++
	if class != b.Class {
		b.Class, b.Runs, b.More, b.Loaded, b.Hover = class, nil, false, false, 0
		b.Version++
	}
	b.Loading, b.Error, b.incoming = true, "", nil
	l.setClass(class)
	l.boardGet(class, "")
}

func (l *Lab) boardGet(class, before string) {
	l.Board.seq++
	req, err := BoardList(l.Board.seq, class, before)
	if err != nil {
		l.Board.Loading, l.Board.Error = false, upperFirst(err.Error())+"."
		return
	}
	l.boardRequest(req, boardCall{op: boardListOp, class: class, gen: l.Board.gen})
}

// SubmitToBoard posts the live run's summary to the class field's board
// under the name field's name. Whatever is missing or wrong is said in the
// status line, and nothing is sent.
func (l *Lab) SubmitToBoard() {
	b := &l.Board
	if b.Submitting {
		return
	}
	class, ok := l.boardClass()
	if !ok {
		return
	}
	if l.Live == nil {
		l.boardStatus(false, "Nothing to submit yet: start a run first.")
		return
	}
	s, err := NewBoardSubmission(b.Name, &l.Live.Run)
	if err != nil {
		l.boardStatus(false, "Not submitted: %s.", err.Error())
		return
	}
	key := l.submitKey(class, s)
	for _, o := range b.outbox {
		if o.call.key == key {
			l.boardStatus(true, "Already waiting to be posted to %s when the network returns.", class)
			return
		}
	}
	if id, ok := b.submitted[key]; ok {
		l.boardStatus(false, "Already on %s's board (run #%d): train further or change something, then submit again.", class, id)
		return
	}
	// The same run, evaluation, name and class keep one run id: a post sent
	// again after a lost answer is the same post, and the board stores it once.
	if id, ok := b.runIDs[key]; ok {
		s.RunID = id
	} else {
		if b.runIDs == nil {
			b.runIDs = map[string]string{}
		}
		b.runIDs[key] = s.RunID
	}
	b.seq++
	req, err := BoardPost(b.seq, class, s)
	if err != nil {
		l.boardStatus(false, "Not submitted: %s.", err.Error())
		return
	}
	b.Name = s.Name
	b.Submitting = true
	l.boardStatus(true, "Submitting to %s…", class)
	l.setClass(class)
	l.boardRequest(req, boardCall{op: boardPostOp, class: class, key: key, name: s.Name, req: req, retries: boardRetries})
}

// boardRetries is how many times the page resends a post answered 502, 503
// or 504 (the same body, so the same run id) before it tells the learner; a
// post that got no answer at all waits for the network (outbox.go).
const boardRetries = 2

// busy reports whether the board answered that it, or the gateway before
// it, is busy: worth sending the same post again.
func busy(resp BoardResponse) bool {
	return resp.Err == nil && (resp.Status == 502 || resp.Status == 503 || resp.Status == 504)
}

// PostRunID is the run id the page posts for the live run's latest
// evaluation under the name to the class ("" before a post was tried):
// every resend of that post, by the page or anyone replaying its body,
// carries it.
func (l *Lab) PostRunID(class, name string) string {
	if l.Live == nil {
		return ""
	}
	return l.Board.runIDs[l.submitKey(class, BoardSubmission{Name: name})]
}

// submitKey names one evaluation of one run posted under a name to a class.
func (l *Lab) submitKey(class string, s BoardSubmission) string {
	step := 0
	if m := l.Live.Latest(); m != nil {
		step = m.Step
	}
	return fmt.Sprintf("%s|%s|%d|%d", class, s.Name, l.Live.RunID, step)
}

// OnBoard takes the board's answer to a request.
func (l *Lab) OnBoard(resp BoardResponse) {
	b := &l.Board
	call, ok := b.pending[resp.Seq]
	if !ok {
		return
	}
	delete(b.pending, resp.Seq)
	switch call.op {
	case boardClaimOp:
		l.onClaim(call, resp)
	case boardHideOp:
		l.onHide(call, resp)
	case boardPostOp:
		if busy(resp) && call.retries > 0 {
			b.seq++
			req := call.req
			req.Seq = b.seq
			call.retries--
			l.boardRequest(req, call)
			return
		}
		b.Submitting = false
		if resp.Err != nil {
			l.holdPost(call.req, call)
			return
		}
		defer l.afterPost()
		r, err := ParseBoardRun(resp)
		if err != nil {
			l.boardStatus(false, "Not submitted: %s.", strings.TrimSuffix(err.Error(), "."))
			return
		}
		if b.Mine == nil {
			b.Mine = map[int64]bool{}
		}
		if b.submitted == nil {
			b.submitted = map[string]int64{}
		}
		b.Mine[r.ID] = true
		b.submitted[call.key] = r.ID
		l.boardStatus(true, "Submitted to %s as %s (run #%d): safety %.2f, helpfulness %.2f.",
			r.Class, r.Name, r.ID, r.Metrics.Safety, r.Metrics.Helpfulness)
		l.Board.ClassDraft = call.class
		l.loadBoard(call.class)
	case boardListOp:
		if call.gen != b.gen {
			return // an older load's page
		}
		p, err := ParseBoardPage(resp, call.class)
		if err != nil {
			b.Loading = false
			b.Error = fmt.Sprintf("Could not load %s's board: %s.", call.class, strings.TrimSuffix(err.Error(), "."))
			return
		}
		b.incoming = append(b.incoming, p.Runs...)
		if p.Next != nil && len(b.incoming) < MaxBoardRuns {
			l.boardGet(call.class, *p.Next)
			return
		}
		b.Runs, b.incoming = b.incoming, nil
		b.More = p.Next != nil || len(b.Runs) > MaxBoardRuns
		if len(b.Runs) > MaxBoardRuns {
			b.Runs = b.Runs[:MaxBoardRuns]
		}
		b.Loading, b.Loaded = false, true
		b.Version++
		if b.Find(b.Hover) == nil {
			b.Hover = 0
		}
	}
}

// Find returns the run on show with the id, or nil.
func (b *Board) Find(id int64) *BoardRun {
	for i := range b.Runs {
		if b.Runs[i].ID == id {
			return &b.Runs[i]
		}
	}
	return nil
}

// Students is how many different display names the runs on show carry.
func (b *Board) Students() int {
	seen := map[string]bool{}
	for _, r := range b.Runs {
		seen[strings.ToLower(r.Name)] = true
	}
	return len(seen)
}

// BoardCandidate says what SubmitToBoard would post, or what it waits for.
func (l *Lab) BoardCandidate() string {
	r := l.Live
	if r == nil {
		return "Start a run; its results can then go on your class's board."
	}
	m := r.Latest()
	if m == nil || m.Step == 0 {
		return fmt.Sprintf("Run at least %d steps: the board takes your run's latest evaluation, and the first comes at step %d.", FirstEval(&r.Run), FirstEval(&r.Run))
	}
	col := "no collapse"
	if cs := r.Report.CollapseStep; cs != nil {
		col = fmt.Sprintf("collapsed at step %d", *cs)
	}
	s := fmt.Sprintf("Submits your run, %s, as evaluated at step %d: safety %.2f, helpfulness %.2f, %s.",
		r.Title, m.Step, m.Safety, m.Helpfulness, col)
	if r.Step > m.Step {
		s += fmt.Sprintf(" (It is at step %d; it is evaluated every %d steps.)", r.Step, max(r.Report.Config.EvalEvery, 1))
	}
	return s
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// ExportBoard offers the board's plot as an SVG file.
func (l *Lab) ExportBoard() {
	if l.Board.Class != "" {
		l.Port.DownloadSVG("board-plot", "copsd-board-"+l.Board.Class+".svg")
	}
}
