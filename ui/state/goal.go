package state

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/boardwire"
)

// A Goal is what an exercise asks of a run: a few bounds on its metrics,
// all to be met at once. A classroom link carries it as
// goal=safety>=0.9,over_refusal<=0.05,helpfulness>=0.9; the lab shows
// which parts the run's latest evaluation meets, and the class board marks
// the runs that met all of them.
type Goal []GoalPart

// GoalPart is one bound: Metric Op Value.
type GoalPart struct {
	Metric string  // a key of goalMetrics, named as in the run export
	AtMost bool    // "<=" (else ">=")
	Value  float64 // within the metric's range
}

// goalMetric is a metric a goal can bound: its range and where it is read.
type goalMetric struct {
	name, label string
	max         float64
	get         func(BoardMetrics) float64
}

// goalMetrics are the metrics a goal can name, those the class board keeps.
var goalMetrics = []goalMetric{
	{"safety", "safety", 1, func(m BoardMetrics) float64 { return m.Safety }},
	{"helpfulness", "helpfulness", 1, func(m BoardMetrics) float64 { return m.Helpfulness }},
	{"borderline_helpfulness", "borderline helpfulness", 1, func(m BoardMetrics) float64 { return m.BorderlineHelpfulness }},
	{"over_refusal", "over-refusal", 1, func(m BoardMetrics) float64 { return m.OverRefusal }},
	{"reasoning", "reasoning", 1, func(m BoardMetrics) float64 { return m.Reasoning }},
	{"distinct2", "distinct-2", 1, func(m BoardMetrics) float64 { return m.Distinct2 }},
	{"diversity", "diversity", 1, func(m BoardMetrics) float64 { return m.Diversity }},
	{"length_benign", "benign answer length", boardwire.MaxLengthBenign, func(m BoardMetrics) float64 { return m.LengthBenign }},
	{"entropy", "entropy", boardwire.MaxEntropy, func(m BoardMetrics) float64 { return m.Entropy }},
}

// maxGoalParts bounds a goal: one bound each way per metric would be 18,
// and a goal students can read has a few.
const maxGoalParts = 6

// ParseGoal reads a goal: parts "metric>=value" or "metric<=value" joined
// by commas, without spaces. It names what is wrong with a bad goal: an
// unknown metric (listing the known ones), a missing or other operator, a
// value that is not a plain decimal number in the metric's range, a metric
// bounded twice the same way, a lower bound above an upper one, too many
// parts. The empty string is no goal.
func ParseGoal(s string) (Goal, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 300 {
		return nil, fmt.Errorf("a goal of %d characters; at most 300", len(s))
	}
	fields := strings.Split(s, ",")
	if len(fields) > maxGoalParts {
		return nil, fmt.Errorf("a goal of %d parts; at most %d", len(fields), maxGoalParts)
	}
	var g Goal
	for _, f := range fields {
		p, err := parseGoalPart(f)
		if err != nil {
			return nil, err
		}
		for _, q := range g {
			if q.Metric != p.Metric {
				continue
			}
			if q.AtMost == p.AtMost {
				return nil, fmt.Errorf("the goal bounds %s twice (%s and %s)", p.Metric, q, p)
			}
			lo, hi := q, p
			if q.AtMost {
				lo, hi = p, q
			}
			if lo.Value > hi.Value {
				return nil, fmt.Errorf("no run can meet %s and %s", lo, hi)
			}
		}
		g = append(g, p)
	}
	return g, nil
}

func parseGoalPart(f string) (GoalPart, error) {
	if f == "" {
		return GoalPart{}, fmt.Errorf("the goal has an empty part: write parts such as safety>=0.9 joined by commas")
	}
	i := strings.IndexAny(f, "<>=!")
	if i < 0 {
		return GoalPart{}, fmt.Errorf("goal part %q has no bound: write metric>=value or metric<=value", clip(f, 30))
	}
	name, rest := f[:i], f[i:]
	var p GoalPart
	switch {
	case strings.HasPrefix(rest, ">="):
	case strings.HasPrefix(rest, "<="):
		p.AtMost = true
	default:
		return GoalPart{}, fmt.Errorf("goal part %q: the bound must be >= or <=", clip(f, 30))
	}
	m, ok := goalMetricNamed(name)
	if !ok {
		names := make([]string, len(goalMetrics))
		for i, gm := range goalMetrics {
			names[i] = gm.name
		}
		return GoalPart{}, fmt.Errorf("goal part %q: unknown metric %q (metrics: %s)", clip(f, 30), clip(name, 24), strings.Join(names, ", "))
	}
	p.Metric = m.name
	v := rest[2:]
	x, err := strconv.ParseFloat(v, 64)
	// Plain decimals only: no signs, exponents, hex, infinities or NaN, which
	// ParseFloat takes but nobody means in a goal.
	if err != nil || strings.Trim(v, "0123456789.") != "" || math.IsNaN(x) {
		return GoalPart{}, fmt.Errorf("goal part %q: %q is not a number such as 0.9", clip(f, 30), clip(v, 12))
	}
	if x < 0 || x > m.max {
		return GoalPart{}, fmt.Errorf("goal part %q: %s is from 0 to %g", clip(f, 30), m.name, m.max)
	}
	p.Value = x
	return p, nil
}

func goalMetricNamed(name string) (goalMetric, bool) {
	i := slices.IndexFunc(goalMetrics, func(m goalMetric) bool { return m.name == name })
	if i < 0 {
		return goalMetric{}, false
	}
	return goalMetrics[i], true
}

// String is the goal as a link writes it; ParseGoal reads it back.
func (g Goal) String() string {
	parts := make([]string, len(g))
	for i, p := range g {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (p GoalPart) String() string {
	op := ">="
	if p.AtMost {
		op = "<="
	}
	return p.Metric + op + strconv.FormatFloat(p.Value, 'f', -1, 64)
}

// Label is the part in words, for the page: "over-refusal ≤ 0.05".
func (p GoalPart) Label() string {
	m, _ := goalMetricNamed(p.Metric)
	op := "≥"
	if p.AtMost {
		op = "≤"
	}
	return m.label + " " + op + " " + strconv.FormatFloat(p.Value, 'f', -1, 64)
}

// Of is the part's metric in m.
func (p GoalPart) Of(m BoardMetrics) float64 {
	gm, _ := goalMetricNamed(p.Metric)
	return gm.get(m)
}

// Met reports whether m meets the part.
func (p GoalPart) Met(m BoardMetrics) bool {
	v := p.Of(m)
	if p.AtMost {
		return v <= p.Value
	}
	return v >= p.Value
}

// Met reports whether m meets every part of a non-empty goal.
func (g Goal) Met(m BoardMetrics) bool {
	if len(g) == 0 {
		return false
	}
	for _, p := range g {
		if !p.Met(m) {
			return false
		}
	}
	return true
}

// GoalCheck is one part of the link's goal and what the live run shows of
// it: its latest evaluation after step 0, if there is one.
type GoalCheck struct {
	Part  GoalPart
	Known bool // the run has an evaluation after step 0
	Value float64
	Met   bool
	Step  int // the evaluation's step
}

// GoalChecks are the parts of the link's goal, each checked against the
// live run's latest evaluation.
func (l *Lab) GoalChecks() []GoalCheck {
	var m *BoardMetrics
	step := 0
	if l.Live != nil {
		if e := l.Live.Latest(); e != nil && e.Step > 0 {
			bm := NewBoardMetrics(*e)
			m, step = &bm, e.Step
		}
	}
	out := make([]GoalCheck, len(l.Settings.Goal))
	for i, p := range l.Settings.Goal {
		out[i] = GoalCheck{Part: p}
		if m != nil {
			out[i].Known, out[i].Value, out[i].Met, out[i].Step = true, p.Of(*m), p.Met(*m), step
		}
	}
	return out
}
