package ui

import (
	"fmt"

	"github.com/copsdlab/copsd/ui/state"
)

// TokenBars mirrors the student's and the teacher's top-5 next-token
// candidates at the open token, with the exact probabilities.
type TokenBars struct {
	wired
}

func (c *TokenBars) rows() []state.CandidateRow { return state.Candidates(c.Lab.OpenToken()) }

func (c *TokenBars) head() string {
	t := c.Lab.OpenToken()
	return fmt.Sprintf("“%s”: p_student %.4f, p_teacher %.4f · divergence %.4f · advantage %+.4f · entropy %.3f (student), %.3f (teacher)",
		t.Token, t.PStudent, t.PTeacher, t.Divergence, t.Advantage, t.StudentEntropy, t.TeacherEntropy)
}

func (c *TokenBars) num(p float64) string {
	if p < 0 {
		return "—"
	}
	return fmt.Sprintf("%.4f", p)
}

func (c *TokenBars) width(p float64) string {
	return fmt.Sprintf("width:%.1f%%", 100*max(p, 0))
}

func (c *TokenBars) rowClass(r state.CandidateRow) string {
	if r.Sampled {
		return "barrow sampled"
	}
	return "barrow"
}
