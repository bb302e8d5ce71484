package state

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/boardwire"
)

// The teacher view: the class field's board as a sortable table, behind the
// class's teacher key (serve/board/API.md, "Claim a class"). A teacher
// claims the class once, which shows the key once, or types the key they
// keep; with it, they hide runs from the board and download its CSV. The key
// stays in the page's memory only: not in the URL, not in storage.

// Teacher is the teacher view's state.
type Teacher struct {
	Open     bool   // the view is expanded
	KeyDraft string // the key field
	Key      string // the key in use; the table shows once it is set
	NewKey   string // the key a claim just returned, shown once
	Status   string // the outcome of the last action
	StatusOK bool
	Busy     bool
	SortBy   string // a TeacherColumns key
	Desc     bool
}

// TeacherColumn is a column of the teacher's table.
type TeacherColumn struct {
	Key, Label string
	Numeric    bool
	text       func(r *BoardRun) string
	num        func(r *BoardRun) float64 // for numeric columns; NaN sorts last
}

// TeacherColumns are the table's columns, in order.
var TeacherColumns = []TeacherColumn{
	{Key: "name", Label: "Name", text: func(r *BoardRun) string { return r.Name }},
	{Key: "constitution", Label: "Constitution", text: func(r *BoardRun) string { return r.Constitution }},
	{Key: "recipe", Label: "Recipe", text: func(r *BoardRun) string { return r.Recipe }},
	{Key: "model", Label: "Model", text: func(r *BoardRun) string { return r.Model }},
	{Key: "seed", Label: "Seed", Numeric: true, num: func(r *BoardRun) float64 { return float64(r.Seed) }},
	{Key: "safety", Label: "Safety", Numeric: true, num: func(r *BoardRun) float64 { return r.Metrics.Safety }},
	{Key: "helpfulness", Label: "Helpfulness", Numeric: true, num: func(r *BoardRun) float64 { return r.Metrics.Helpfulness }},
	{Key: "over_refusal", Label: "Over-refusal", Numeric: true, num: func(r *BoardRun) float64 { return r.Metrics.OverRefusal }},
	{Key: "collapse_step", Label: "Collapse step", Numeric: true, num: func(r *BoardRun) float64 {
		if r.CollapseStep == nil {
			return -1 // no collapse sorts before any step
		}
		return float64(*r.CollapseStep)
	}},
}

// Cell is how the column shows r.
func (c TeacherColumn) Cell(r *BoardRun) string {
	switch c.Key {
	case "seed":
		return strconv.FormatInt(r.Seed, 10)
	case "collapse_step":
		if r.CollapseStep == nil {
			return "none"
		}
		return strconv.Itoa(*r.CollapseStep)
	}
	if c.Numeric {
		return fmt.Sprintf("%.2f", c.num(r))
	}
	return c.text(r)
}

func teacherColumn(key string) (TeacherColumn, bool) {
	i := slices.IndexFunc(TeacherColumns, func(c TeacherColumn) bool { return c.Key == key })
	if i < 0 {
		return TeacherColumn{}, false
	}
	return TeacherColumns[i], true
}

// SortTeacher sorts the table by the column; choosing the sorted column
// again reverses it. Numbers sort highest first, text A to Z.
func (l *Lab) SortTeacher(key string) {
	t := &l.Teacher
	c, ok := teacherColumn(key)
	if !ok {
		return
	}
	if t.SortBy == key {
		t.Desc = !t.Desc
		return
	}
	t.SortBy, t.Desc = key, c.Numeric
}

// AriaSort is the column header's aria-sort: "ascending", "descending" or
// "none".
func (t *Teacher) AriaSort(key string) string {
	switch {
	case t.SortBy != key:
		return "none"
	case t.Desc:
		return "descending"
	}
	return "ascending"
}

// TeacherRows are the board's runs on show, in the table's order (newest
// first until a column is chosen; ties keep that order).
func (l *Lab) TeacherRows() []BoardRun {
	rows := slices.Clone(l.Board.Runs)
	c, ok := teacherColumn(l.Teacher.SortBy)
	if !ok {
		return rows
	}
	slices.SortStableFunc(rows, func(a, b BoardRun) int {
		var d int
		if c.Numeric {
			d = cmp.Compare(c.num(&a), c.num(&b))
		} else {
			d = cmp.Compare(strings.ToLower(c.text(&a)), strings.ToLower(c.text(&b)))
		}
		if l.Teacher.Desc {
			d = -d
		}
		return d
	})
	return rows
}

// TeacherCSV is the path of the class's CSV export ("" with no board on show).
func (l *Lab) TeacherCSV() string {
	if l.Board.Class == "" {
		return ""
	}
	return BoardAPI + l.Board.Class + "/runs.csv"
}

func (l *Lab) teacherStatus(ok bool, format string, args ...any) {
	l.Teacher.Status, l.Teacher.StatusOK = fmt.Sprintf(format, args...), ok
}

// UseTeacherKey takes the key field's key for the class on show.
func (l *Lab) UseTeacherKey() {
	key := strings.TrimSpace(l.Teacher.KeyDraft)
	if key == "" {
		l.teacherStatus(false, "Enter your class's teacher key, or claim the class if nobody has.")
		return
	}
	class, ok := l.boardClass()
	if !ok {
		l.teacherStatus(false, "%s", l.Board.Status)
		return
	}
	l.Teacher.Key = key
	l.teacherStatus(true, "Teacher view of %s. Hiding a run checks the key.", class)
	if l.Board.Class != class || !l.Board.Loaded {
		l.loadBoard(class)
	}
}

// ClaimClass claims the class field's class: the board answers its teacher
// key, once.
func (l *Lab) ClaimClass() {
	class, ok := l.boardClass()
	if !ok || l.Teacher.Busy {
		if !ok {
			l.teacherStatus(false, "%s", l.Board.Status)
		}
		return
	}
	l.Board.seq++
	l.Teacher.Busy = true
	l.teacherStatus(true, "Claiming %s…", class)
	l.boardRequest(BoardRequest{Seq: l.Board.seq, Method: "POST", Path: BoardAPI + class + "/claim"}, boardCall{op: boardClaimOp, class: class})
}

func (l *Lab) onClaim(call boardCall, resp BoardResponse) {
	l.Teacher.Busy = false
	if err := boardAnswer(resp, 201); err != nil {
		if e, ok := err.(*BoardError); ok && e.Status == 409 {
			l.teacherStatus(false, "%s is already claimed: enter its teacher key.", call.class)
			return
		}
		l.teacherStatus(false, "Not claimed: %s.", strings.TrimSuffix(err.Error(), "."))
		return
	}
	var c boardwire.ClaimResponse
	if err := json.Unmarshal(resp.Body, &c); err != nil || c.TeacherKey == "" {
		l.teacherStatus(false, "The board's answer could not be read.")
		return
	}
	t := &l.Teacher
	t.Key, t.KeyDraft, t.NewKey = c.TeacherKey, c.TeacherKey, c.TeacherKey
	l.teacherStatus(true, "You now hold %s's teacher key. Copy it somewhere safe: it is shown only this once.", call.class)
	if l.Board.Class != call.class || !l.Board.Loaded {
		l.loadBoard(call.class)
	}
}

// HideRun hides the run from its class's board, with the teacher key.
func (l *Lab) HideRun(id int64) {
	t := &l.Teacher
	class := l.Board.Class
	if t.Key == "" || class == "" || t.Busy {
		return
	}
	l.Board.seq++
	t.Busy = true
	l.teacherStatus(true, "Hiding run #%d…", id)
	l.boardRequest(BoardRequest{Seq: l.Board.seq, Method: "DELETE", Path: BoardAPI + class + "/runs/" + strconv.FormatInt(id, 10), Key: t.Key},
		boardCall{op: boardHideOp, class: class, id: id})
}

func (l *Lab) onHide(call boardCall, resp BoardResponse) {
	l.Teacher.Busy = false
	if err := boardAnswer(resp, 204); err != nil {
		if e, ok := err.(*BoardError); ok && (e.Status == 401 || e.Status == 403) {
			l.Teacher.Key = ""
			l.teacherStatus(false, "That is not %s's teacher key.", call.class)
			return
		}
		l.teacherStatus(false, "Not hidden: %s.", strings.TrimSuffix(err.Error(), "."))
		return
	}
	name := ""
	if r := l.Board.Find(call.id); r != nil {
		name = " (" + r.Name + ")"
	}
	l.teacherStatus(true, "Run #%d%s is hidden from %s's board.", call.id, name, call.class)
	if call.class == l.Board.Class {
		l.loadBoard(call.class)
	}
}
