package state

import (
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/report"
)

// The report of the runs done so far, made by core/report: the tables of
// report.md (mean ± sd over the seeds done) and the claims per seed.

// Results are the finished runs as core/report's suite, in its order and
// with the command that regenerates them into ReportDir.
func (r *Reproduce) Results() *report.Suite {
	s := &report.Suite{}
	for _, row := range r.Rows {
		if row.Status == Done {
			s.Runs = append(s.Runs, report.Run{Model: row.Job.Model, Rho: modelRho(row.Job.Model), Report: row.Report})
		}
	}
	s.Settle(ReportDir)
	return s
}

// Tables are report.md's tables for the runs done.
func (r *Reproduce) Tables() []report.Table { return r.Results().Tables() }

// Claims are report.md's claims for the runs done, seed by seed.
func (r *Reproduce) Claims() []report.Claim { return report.Claims(r.Results()) }

// modelRho is a shipped base model's rho (Models), as its checkpoint says.
func modelRho(model string) float64 {
	for _, m := range Models {
		if m.Name == model {
			return m.Rho
		}
	}
	return 0
}

// RunLink is the fragment that opens the row's run in the main lab view:
// its model, recipe, seed, steps and constitution, which replay it bit for
// bit.
func (row *ReproRow) RunLink() string {
	s := DefaultSettings()
	if err := s.ApplyRecipe(row.Job.Recipe); err != nil {
		return "#" + s.Hash()
	}
	s.Model, s.Seed, s.Steps = row.Job.Model, row.Job.Seed, row.Config.Steps
	if row.Config.Privileged == distill.WithConstitution {
		s.Constitution = row.Config.Constitution
	}
	// The main view, said outright: the link's other keys leave the page's
	// settings as they are.
	return "#" + s.Hash() + "&view=lab"
}
