package report

import (
	"fmt"
	"sort"

	"github.com/copsdlab/copsd/core/distill"
)

// Name is the run's JSON file name in runs/, without ".json".
func (r Run) Name() string {
	return Job{Model: r.Model, Recipe: r.Report.Recipe, Seed: r.Report.Seed}.Name()
}

// Settle puts the runs in one order, that of their file names, whatever
// order they finished or were read in, and names the command that
// regenerates them into out: so a report rebuilt from runs (copsd report, or
// the page's export) equals the one copsd reproduce wrote.
func (s *Suite) Settle(out string) {
	sort.Slice(s.Runs, func(i, j int) bool { return s.Runs[i].Name() < s.Runs[j].Name() })
	s.Command = s.command(out)
}

// command is the reproduce command that makes the suite's runs: its seeds
// are 1 to the largest present, and -steps appears when the runs' length is
// not their recipes' own.
func (s *Suite) command(out string) string {
	var seeds uint64
	steps := 0
	for _, r := range s.Runs {
		seeds = max(seeds, r.Report.Seed)
		if c, err := distill.Recipe(r.Report.Recipe); err == nil && c.Steps != r.Report.Config.Steps {
			steps = r.Report.Config.Steps
		}
	}
	return ReproduceCommand(int(seeds), out, steps)
}

// ReproduceCommand is the command line of copsd reproduce.
func ReproduceCommand(seeds int, out string, steps int) string {
	c := fmt.Sprintf("go run ./core/cmd/copsd reproduce -seeds %d -out %s", seeds, out)
	if steps > 0 {
		c += fmt.Sprintf(" -steps %d", steps)
	}
	return c
}
