package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/copsdlab/copsd/core/diag"
)

// The class board (serve/board, its API in serve/board/API.md): a learner
// posts the summary of their run under a class code, and the class's runs
// are plotted together. The types below are the API's JSON; the board
// package itself stays out of the page (it brings the server's handler and
// net/http), and board_test.go checks both sides against each other.

// BoardAPI is the path under which the page's own origin serves the board.
const BoardAPI = "/api/board/"

// Limits of the board's API that the page checks before sending, so that a
// learner hears about a mistake at once; the server checks them again.
const (
	ClassMinLen     = 3
	ClassMaxLen     = 32
	MaxBoardName    = 40      // characters of a display name
	MaxBoardSeed    = 1 << 53 // seeds are exact in JavaScript
	maxBoardCons    = 600     // bytes of constitution text
	maxBoardLength  = 64      // length_benign, tokens
	maxBoardEntropy = 10      // entropy, nats
	BoardPageSize   = 100     // runs asked for per request (the API's most)
	MaxBoardRuns    = 300     // runs the page fetches of one board, newest first
	boardNoneConst  = "none"
	boardListOp     = "list"
	boardPostOp     = "post"
)

// BoardMetrics are a run's metrics as the board stores them: its latest
// evaluation, named as in the run export.
type BoardMetrics struct {
	Safety                float64 `json:"safety"`
	Helpfulness           float64 `json:"helpfulness"`
	BorderlineHelpfulness float64 `json:"borderline_helpfulness"`
	OverRefusal           float64 `json:"over_refusal"`
	Reasoning             float64 `json:"reasoning"`
	Distinct2             float64 `json:"distinct2"`
	Diversity             float64 `json:"diversity"`
	LengthBenign          float64 `json:"length_benign"`
	Entropy               float64 `json:"entropy"`
}

// NewBoardMetrics are an evaluation's metrics as the board keeps them.
func NewBoardMetrics(m diag.Metrics) BoardMetrics {
	return BoardMetrics{Safety: m.Safety, Helpfulness: m.Helpfulness, BorderlineHelpfulness: m.BorderlineHelpfulness,
		OverRefusal: m.OverRefusal, Reasoning: m.Reasoning, Distinct2: m.Distinct2, Diversity: m.Diversity,
		LengthBenign: m.LengthBenign, Entropy: m.Entropy}
}

// BoardSubmission is the body of POST /api/board/{class}/runs.
type BoardSubmission struct {
	Name         string       `json:"name"`
	Constitution string       `json:"constitution"`
	Recipe       string       `json:"recipe"`
	Model        string       `json:"model"`
	Seed         uint64       `json:"seed"`
	Metrics      BoardMetrics `json:"metrics"`
	CollapseStep *int         `json:"collapse_step"` // null: the run did not collapse
}

// BoardRun is a run on a class board, as the API answers it.
type BoardRun struct {
	ID        int64  `json:"id"`
	Class     string `json:"class"`
	CreatedAt string `json:"created_at"`
	BoardSubmission
}

// BoardPage is the body of GET /api/board/{class}: runs newest first, and
// the cursor of the next page (nil on the last).
type BoardPage struct {
	Class string     `json:"class"`
	Runs  []BoardRun `json:"runs"`
	Next  *string    `json:"next"`
}

// BoardRequest is one request to the board's API, on the page's origin.
type BoardRequest struct {
	Seq    int
	Method string // "GET" or "POST"
	Path   string // absolute, with its query
	Body   []byte // JSON, for a POST
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

// CheckClass reports why s is not a class code: 3 to 32 characters of a-z,
// 0-9 and '-'.
func CheckClass(s string) error {
	if s == "" {
		return errors.New("enter your class code (your teacher gives it to you)")
	}
	ok := len(s) >= ClassMinLen && len(s) <= ClassMaxLen
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("class code %q: want %d to %d characters of a-z, 0-9 and '-'", clip(s, ClassMaxLen), ClassMinLen, ClassMaxLen)
	}
	return nil
}

// CheckBoardName returns a display name trimmed, or why it is not one: 1 to
// 40 characters, without control or invisible formatting characters.
func CheckBoardName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "", errors.New("enter the name your class will see")
	case n > MaxBoardName:
		return "", fmt.Errorf("your name is %d characters long; at most %d", n, MaxBoardName)
	}
	for _, c := range s {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) || c == utf8.RuneError {
			return "", fmt.Errorf("your name contains the character %U, which the board does not take", c)
		}
	}
	return s, nil
}

// NewBoardSubmission is run's summary under the display name: its
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
		cons = boardNoneConst
	}
	if len(cons) > maxBoardCons {
		return s, fmt.Errorf("the run's constitution is %d bytes long; the board takes at most %d", len(cons), maxBoardCons)
	}
	if rep.Seed > MaxBoardSeed {
		return s, fmt.Errorf("seed %d is too large for the class board (at most 2^53)", rep.Seed)
	}
	s = BoardSubmission{Name: name, Constitution: cons, Recipe: rep.Recipe, Model: trimModel(rep.Model), Seed: rep.Seed,
		Metrics: NewBoardMetrics(*m)}
	if cs := rep.CollapseStep; cs != nil {
		step := *cs
		s.CollapseStep = &step
	}
	if err := s.Metrics.check(); err != nil {
		return BoardSubmission{}, err
	}
	return s, nil
}

// FirstEval is the first step after 0 at which the run is evaluated.
func FirstEval(r *Run) int {
	c := r.Report.Config
	return max(min(max(c.EvalEvery, 1), c.Steps), 1)
}

func (m BoardMetrics) check() error {
	for _, f := range []struct {
		name string
		v    float64
		max  float64
	}{
		{"safety", m.Safety, 1}, {"helpfulness", m.Helpfulness, 1}, {"borderline_helpfulness", m.BorderlineHelpfulness, 1},
		{"over_refusal", m.OverRefusal, 1}, {"reasoning", m.Reasoning, 1}, {"distinct2", m.Distinct2, 1},
		{"diversity", m.Diversity, 1}, {"length_benign", m.LengthBenign, maxBoardLength}, {"entropy", m.Entropy, maxBoardEntropy},
	} {
		if math.IsNaN(f.v) || !(f.v >= 0 && f.v <= f.max) {
			return fmt.Errorf("the run's %s is %v, outside what the board takes ([0, %g])", f.name, f.v, f.max)
		}
	}
	return nil
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
	submitted map[string]int64 // what was posted (runSubmitKey) → its id
	outbox    []outgoing       // posts waiting for the network (outbox.go)
}

type boardCall struct {
	op    string
	class string
	gen   int
	key   string // the submission, for a post
	name  string
	req   BoardRequest // the post itself, kept to send again if the network drops it
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
	l.boardRequest(req, boardCall{op: boardPostOp, class: class, key: key, name: s.Name, req: req})
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
	case boardPostOp:
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
