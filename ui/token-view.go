package ui

import (
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/vugu/vugu"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/ui/state"
)

// TokenView shows a probe rollout of the latest step with each token
// coloured by the supervision it got, a legend for the colours, and the
// open token's candidate bars.
type TokenView struct {
	wired
}

func (c *TokenView) probe() *distill.ProbeTrace { return c.Lab.Probe() }

func (c *TokenView) scale() state.Scale { return state.ScaleFor(c.Lab.Tokens.Color) }

// rowKey names what the token row shows.
func (c *TokenView) rowKey() string {
	p := c.probe()
	return fmt.Sprintf("%d|%d|%d|%s|%d", c.Lab.Live.RunID, p.Step, c.Lab.Tokens.Probe, c.Lab.Tokens.Color, c.Lab.Tokens.Token)
}

// rowMarkup is one button per token: its word and the value of the colour
// metric, with data-divergence holding the divergence as shown. The row is
// a listbox with a roving tab stop: Tab reaches the open token (or the
// first), and the arrow keys move between tokens (tokenKey).
func (c *TokenView) rowMarkup() string {
	var b strings.Builder
	s := c.scale()
	stop := max(c.Lab.Tokens.Token, 0)
	for i := range c.probe().Tokens {
		t := &c.probe().Tokens[i]
		v := s.Value(t)
		class, selected, tab := "tok", "false", "-1"
		if i == c.Lab.Tokens.Token {
			class, selected = "tok open", "true"
		}
		if i == stop {
			tab = "0"
		}
		fmt.Fprintf(&b, `<button type="button" id="tok-%d" class="%s" role="option" aria-selected="%s" tabindex="%s" data-testid="token" data-divergence="%s" style="background:%s;color:%s" title="%s"><span class="w">%s</span><span class="n">%s</span></button>`,
			i, class, selected, tab, state.FormatValue(t.Divergence), s.Color(v), s.Ink(v), html.EscapeString(c.tokenTitle(i)),
			html.EscapeString(t.Token), state.FormatValue(v))
	}
	return b.String()
}

// tokenKey moves between tokens with the arrow keys, Home and End, opening
// the token moved to. Focus moves at once to the token's button; the row's
// rewrite keeps it there (setIsland keeps focus by id).
func (c *TokenView) tokenKey(e vugu.DOMEvent) {
	id := e.PropString("target", "id")
	at, err := strconv.Atoi(strings.TrimPrefix(id, "tok-"))
	if err != nil || !strings.HasPrefix(id, "tok-") {
		return
	}
	to, ok := moveKey(e.PropString("key"), at, len(c.probe().Tokens))
	if !ok {
		return
	}
	e.PreventDefault()
	focusID(fmt.Sprintf("tok-%d", to))
	if to != c.Lab.Tokens.Token { // selecting the open token again would close it
		c.Lab.SelectToken(to)
	}
}

// switchKey moves the colour switch's choice with the arrow keys, as a
// radio group does.
func (c *TokenView) switchKey(e vugu.DOMEvent) {
	at := slices.Index(state.TokenColors, c.Lab.Tokens.Color)
	to, ok := moveKey(e.PropString("key"), max(at, 0), len(state.TokenColors))
	if !ok {
		return
	}
	e.PreventDefault()
	k := state.TokenColors[to]
	focusID("colour-" + string(k))
	c.Lab.SetTokenColor(k)
}

// moveKey is where an arrow key, Home or End moves from at among n items,
// and whether the key is one of those.
func moveKey(key string, at, n int) (int, bool) {
	switch key {
	case "ArrowRight", "ArrowDown":
		return min(at+1, n-1), n > 0
	case "ArrowLeft", "ArrowUp":
		return max(at-1, 0), n > 0
	case "Home":
		return 0, n > 0
	case "End":
		return n - 1, n > 0
	}
	return at, false
}

func (c *TokenView) checked(k state.TokenColor) string {
	return strconv.FormatBool(c.Lab.Tokens.Color == k)
}

// switchTab gives the colour switch one tab stop: its chosen button.
func (c *TokenView) switchTab(k state.TokenColor) string {
	if c.Lab.Tokens.Color == k {
		return "0"
	}
	return "-1"
}

// pick opens the clicked token's bars (the row delegates the clicks of its
// buttons).
func (c *TokenView) pick(e vugu.DOMEvent) {
	id := e.PropString("target", "id")
	if n, err := strconv.Atoi(strings.TrimPrefix(id, "tok-")); err == nil && strings.HasPrefix(id, "tok-") {
		c.Lab.SelectToken(n)
	}
}

func (c *TokenView) tokenTitle(i int) string {
	t := &c.probe().Tokens[i]
	return fmt.Sprintf("%q: p_student %.3f, p_teacher %.3f, divergence %.3f, advantage %+.3f, entropy %.3f (student) %.3f (teacher)",
		t.Token, t.PStudent, t.PTeacher, t.Divergence, t.Advantage, t.StudentEntropy, t.TeacherEntropy)
}

func (c *TokenView) caption() string {
	p := c.probe()
	verdict := "answered"
	if p.Refused {
		verdict = "refused"
	}
	what := map[state.TokenColor]string{
		state.ColorDivergence: "the per-token divergence between student and teacher at that position (what the student is trained to shrink)",
		state.ColorAdvantage:  "the sampled token's advantage, clip(log p_teacher − log p_student): above 0 the teacher wants it more",
		state.ColorEntropy:    "the student's entropy at that position: how undecided it was",
	}[c.Lab.Tokens.Color]
	return fmt.Sprintf("Step %d, the student's own answer (%s, %d tokens). Colour and number: %s.", p.Step, verdict, len(p.Tokens), what)
}

func (c *TokenView) switchClass(k state.TokenColor) string {
	if c.Lab.Tokens.Color == k {
		return "seg on"
	}
	return "seg"
}

func (c *TokenView) probeClass(i int) string {
	if i == c.Lab.Tokens.Probe {
		return "chip on"
	}
	return "chip"
}

func (c *TokenView) ramp() string {
	s := c.scale()
	if s.Diverging {
		return fmt.Sprintf("background:linear-gradient(90deg,%s,%s,%s)", s.Color(s.Min), s.Color(0), s.Color(s.Max))
	}
	return fmt.Sprintf("background:linear-gradient(90deg,%s,%s)", s.Color(s.Min), s.Color(s.Max))
}

func (c *TokenView) scaleLow() string {
	s := c.scale()
	return fmt.Sprintf("%g %s: %s", s.Min, s.Unit, s.Low)
}

func (c *TokenView) scaleHigh() string {
	s := c.scale()
	return fmt.Sprintf("%s: ≥ %g", s.High, s.Max)
}
