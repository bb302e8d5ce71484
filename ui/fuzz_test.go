package ui

import (
	"os"
	"testing"

	"github.com/copsdlab/copsd/ui/state"
)

// An imported run is drawn by every chart, the token view, the Pareto plot
// and the leakage meter: whatever a file that passes the import's checks
// holds (negative or huge numbers, steps out of range, missing parts), the
// page renders it without a panic.
func FuzzImportedRunRenders(f *testing.F) {
	if b, err := os.ReadFile("../assets/report/runs/base-rho50-opsd-rkl-s1.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"recipe":"opsd-rkl","seed":1,"config":{"steps":2},"steps":[{"step":0},{"step":1}]}`))
	f.Add([]byte(`{"recipe":"x","config":{"steps":3,"eval_every":-1},"steps":[{"step":-5,"length_benign":1e308,"entropy":-1}],"train":[{"length":-3},{}],"collapse_step":-7}`))
	f.Add([]byte(`{"recipe":"x","config":{"steps":1},"steps":[{"step":0,"safety":2,"helpfulness":-1,"diversity":1e300}],"teacher":{"safety":5},"leakage":{"share":-1e9}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := state.DecodeReport(b); err != nil {
			return
		}
		l := state.New(nopPort{}, "")
		l.Import("run.json", b, nil)
		render(t, l)
	})
}
