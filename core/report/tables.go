package report

import (
	"fmt"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
)

// Table is one of report.md's tables, cell by cell as the report writes
// them: the page's Reproduce view shows the very same cells.
type Table struct {
	Title  string
	Note   string   // a paragraph under the title ("": none)
	Model  string   // the base model of every row's runs
	Header []string // the first column names each row's recipe
	Rows   [][]string
	// Recipes are the recipe whose runs (on Model) each row's numbers come
	// from: the base row's are the first recipe's, whose starting point it
	// is. The page links each cell to its runs.
	Recipes []string
}

// Tables are the report's tables for the runs present, in report.md's
// order: each base model's recipes × metrics (mean ± sd over the seeds
// present), then the teacher against the student on rho 0.5.
func (s *Suite) Tables() []Table {
	var out []Table
	for _, sm := range SuiteModels {
		if t, ok := s.recipeTable(sm.Name); ok {
			out = append(out, t)
		}
	}
	return append(out, s.teacherTable())
}

// recipeTable is the recipes × metrics table of one base model (false:
// no runs on it).
func (s *Suite) recipeTable(model string) (Table, bool) {
	names := s.recipes(model)
	if len(names) == 0 {
		return Table{}, false
	}
	first := s.selectRuns(model, names[0])
	t := Table{Title: fmt.Sprintf("Recipes on %s (rho = %g)", model, first[0].Rho), Model: model,
		Header: append(append([]string{"recipe"}, columnNames()...), "collapsed")}
	// The starting student: every run starts from the same base.
	row := []string{"*base (initial)*"}
	for _, c := range columns {
		row = append(row, statOf(values(first, func(r *distill.Report) float64 { return c.get(initialAsFinal(r)) })).String())
	}
	t.Rows = append(t.Rows, append(row, "–"))
	t.Recipes = append(t.Recipes, names[0])
	for _, name := range names {
		runs := s.selectRuns(model, name)
		row := []string{name}
		for _, c := range columns {
			row = append(row, statOf(values(runs, c.get)).String())
		}
		n := 0
		for _, r := range runs {
			if r.Report.CollapseStep != nil {
				n++
			}
		}
		t.Rows = append(t.Rows, append(row, fmt.Sprintf("%d/%d", n, len(runs))))
		t.Recipes = append(t.Recipes, name)
	}
	return t, true
}

// teacherTable sets each recipe's teacher (with its constitution in
// context) against its distilled student on rho 0.5.
func (s *Suite) teacherTable() Table {
	t := Table{Title: "Teacher versus student (rho = 0.5)", Model: "base-rho50",
		Note:   "The teacher's own metrics with its constitution in context, against the distilled student's without it.",
		Header: []string{"recipe", "teacher safety", "student safety", "teacher helpfulness", "student helpfulness", "teacher length", "student length"}}
	for _, name := range s.recipes("base-rho50") {
		runs := s.selectRuns("base-rho50", name)
		if runs[0].Report.Teacher == nil {
			continue
		}
		tv := func(get func(r *distill.Report) float64) string { return statOf(values(runs, get)).String() }
		t.Rows = append(t.Rows, []string{name,
			tv(func(r *distill.Report) float64 { return r.Teacher.Safety }), tv(func(r *distill.Report) float64 { return r.Final.Safety }),
			tv(func(r *distill.Report) float64 { return r.Teacher.Helpfulness }), tv(func(r *distill.Report) float64 { return r.Final.Helpfulness }),
			tv(func(r *distill.Report) float64 { return r.Teacher.LengthBenign }), tv(func(r *distill.Report) float64 { return r.Final.LengthBenign })})
		t.Recipes = append(t.Recipes, name)
	}
	return t
}

func columnNames() []string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return names
}

// markdown writes the table as report.md shows it.
func (t Table) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## %s\n\n", t.Title)
	if t.Note != "" {
		b.WriteString(t.Note + "\n\n")
	}
	b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|" + strings.Repeat("---|", len(t.Header)) + "\n")
	for _, r := range t.Rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}
