package state

import (
	"fmt"
	"math"

	"github.com/copsdlab/copsd/core/distill"
)

// TokenColor is what colours the tokens of the token view.
type TokenColor string

const (
	ColorDivergence TokenColor = "divergence" // the per-token divergence the student is trained on
	ColorAdvantage  TokenColor = "advantage"  // clip(log pT − log pS): the teacher's vote on the sampled token
	ColorEntropy    TokenColor = "entropy"    // the student's entropy at the position
)

// TokenColors lists the switch's choices.
var TokenColors = []TokenColor{ColorDivergence, ColorAdvantage, ColorEntropy}

// TokenView is the token view's state: which probe, which token is open.
type TokenView struct {
	Probe int
	Token int // -1: none open
	Color TokenColor
}

// SelectProbe shows probe i of the latest step.
func (l *Lab) SelectProbe(i int) {
	if l.Live != nil && i >= 0 && i < len(l.Live.Probes) {
		l.Tokens.Probe, l.Tokens.Token = i, -1
	}
}

// SelectToken opens token i's candidate bars (i again closes them).
func (l *Lab) SelectToken(i int) {
	if l.Tokens.Token == i {
		l.Tokens.Token = -1
		return
	}
	if p := l.Probe(); p != nil && i >= 0 && i < len(p.Tokens) {
		l.Tokens.Token = i
	}
}

// SetTokenColor switches what colours the tokens.
func (l *Lab) SetTokenColor(c TokenColor) {
	for _, k := range TokenColors {
		if k == c {
			l.Tokens.Color = c
		}
	}
}

// Probe is the probe on show, or nil.
func (l *Lab) Probe() *distill.ProbeTrace {
	if l.Live == nil || l.Tokens.Probe >= len(l.Live.Probes) {
		return nil
	}
	return &l.Live.Probes[l.Tokens.Probe]
}

// OpenToken is the token whose bars are open, or nil.
func (l *Lab) OpenToken() *distill.TokenRecord {
	p := l.Probe()
	if p == nil || l.Tokens.Token < 0 || l.Tokens.Token >= len(p.Tokens) {
		return nil
	}
	return &p.Tokens[l.Tokens.Token]
}

// Scale maps a token's value to a colour. Its domain is fixed, so colours
// mean the same at every step; values beyond it take the end colour.
type Scale struct {
	Metric    TokenColor
	Min, Max  float64
	Diverging bool   // Min is one colour, 0 white, Max the other
	Unit      string // for the legend
	Low, High string // what the ends mean
}

// ScaleFor is the colour scale of a token metric.
func ScaleFor(c TokenColor) Scale {
	switch c {
	case ColorAdvantage:
		return Scale{Metric: c, Min: -3, Max: 3, Diverging: true, Unit: "nats",
			Low: "teacher pushes the token down", High: "teacher pushes it up"}
	case ColorEntropy:
		return Scale{Metric: c, Min: 0, Max: 3, Unit: "nats", Low: "sure", High: "undecided"}
	default:
		return Scale{Metric: ColorDivergence, Min: 0, Max: 1, Unit: "nats", Low: "agrees with the teacher", High: "pulled hard"}
	}
}

// Value is the token's value of the scale's metric.
func (s Scale) Value(t *distill.TokenRecord) float64 {
	switch s.Metric {
	case ColorAdvantage:
		return t.Advantage
	case ColorEntropy:
		return t.StudentEntropy
	default:
		return t.Divergence
	}
}

// Color is the CSS colour of v: white to red (sequential), or blue through
// white to orange (diverging).
func (s Scale) Color(v float64) string {
	c := s.rgb(v)
	return fmt.Sprintf("rgb(%d,%d,%d)", c[0], c[1], c[2])
}

func (s Scale) rgb(v float64) [3]int {
	if math.IsNaN(v) {
		return [3]int{200, 200, 200}
	}
	lerp := func(a, b [3]float64, t float64) [3]int {
		t = min(max(t, 0), 1)
		var c [3]int
		for i := range c {
			c[i] = int(a[i] + (b[i]-a[i])*t + 0.5)
		}
		return c
	}
	white := [3]float64{255, 255, 255}
	if s.Diverging {
		if v < 0 {
			return lerp(white, [3]float64{58, 110, 200}, v/s.Min)
		}
		return lerp(white, [3]float64{226, 120, 30}, v/s.Max)
	}
	return lerp(white, [3]float64{205, 45, 45}, (v-s.Min)/(s.Max-s.Min))
}

// Ink is the text colour on the background Color(v): white or black,
// whichever contrasts more. Between them one always reaches WCAG's 4.5:1 for
// small text (at worst 4.58:1, where both contrast equally), which the dark
// grey of the page's text does not.
func (s Scale) Ink(v float64) string {
	if ContrastRatio(s.rgb(v), [3]int{255, 255, 255}) >= ContrastRatio(s.rgb(v), [3]int{0, 0, 0}) {
		return "#fff"
	}
	return "#000"
}

// ContrastRatio is WCAG 2's contrast ratio between two sRGB colours.
func ContrastRatio(a, b [3]int) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// luminance is WCAG 2's relative luminance of an sRGB colour.
func luminance(c [3]int) float64 {
	var l [3]float64
	for i, v := range c {
		x := float64(v) / 255
		if x <= 0.04045 {
			l[i] = x / 12.92
		} else {
			l[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// FormatValue is how the token view writes a token's value.
func FormatValue(v float64) string { return fmt.Sprintf("%.3f", v) }

// CandidateRow is one row of the mirrored teacher-vs-student bars: a
// candidate next token and its probability under each model, when it is
// among that model's top 5 (else -1).
type CandidateRow struct {
	Token    string
	PStudent float64
	PTeacher float64
	Sampled  bool // the token the student actually sampled
}

// Candidates merges the student's and the teacher's top-5 lists: the
// teacher's order first, then the student's candidates it lacks.
func Candidates(t *distill.TokenRecord) []CandidateRow {
	var rows []CandidateRow
	idx := map[string]int{}
	for _, c := range t.TopTeacher {
		idx[c.Token] = len(rows)
		rows = append(rows, CandidateRow{Token: c.Token, PStudent: -1, PTeacher: c.P})
	}
	for _, c := range t.TopStudent {
		if i, ok := idx[c.Token]; ok {
			rows[i].PStudent = c.P
			continue
		}
		idx[c.Token] = len(rows)
		rows = append(rows, CandidateRow{Token: c.Token, PStudent: c.P, PTeacher: -1})
	}
	if i, ok := idx[t.Token]; ok {
		rows[i].Sampled = true
	}
	return rows
}
