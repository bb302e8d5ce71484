package ui

import (
	"fmt"
	"html"
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
// metric, with data-divergence holding the divergence as shown.
func (c *TokenView) rowMarkup() string {
	var b strings.Builder
	s := c.scale()
	for i := range c.probe().Tokens {
		t := &c.probe().Tokens[i]
		v := s.Value(t)
		class := "tok"
		if i == c.Lab.Tokens.Token {
			class = "tok open"
		}
		fmt.Fprintf(&b, `<button type="button" id="tok-%d" class="%s" data-testid="token" data-divergence="%s" style="background:%s;color:%s" title="%s"><span class="w">%s</span><span class="n">%s</span></button>`,
			i, class, state.FormatValue(t.Divergence), s.Color(v), s.Ink(v), html.EscapeString(c.tokenTitle(i)),
			html.EscapeString(t.Token), state.FormatValue(v))
	}
	return b.String()
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
