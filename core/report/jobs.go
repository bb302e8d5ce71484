package report

import (
	"fmt"
	"hash/fnv"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/world"
)

// The suites' job lists, one code path for `copsd reproduce` and the page's
// Reproduce view: the page's full suite is the CLI's job list, job for job
// and in the same order.

// Job is one run of a suite: a recipe on a base model with a seed, and a
// constitution in place of the recipe's ("" keeps the recipe's).
type Job struct {
	Model        string // "base-rho50", "base-rho0"
	Recipe       string
	Seed         uint64
	Constitution string // a custom constitution's rule text; "": the recipe's
}

// Name is the run's JSON file name in runs/, without ".json".
func (j Job) Name() string {
	return fmt.Sprintf("%s-%s-s%d", j.Model, j.Recipe, j.Seed)
}

// Key names the run among every suite's runs: its Name, and for a custom
// constitution a hash of the constitution's text, so that the runs of two
// constitutions are two runs.
func (j Job) Key() string {
	if j.Constitution == "" {
		return j.Name()
	}
	h := fnv.New32a()
	h.Write([]byte(j.Constitution))
	return fmt.Sprintf("%s-c%08x", j.Name(), h.Sum32())
}

// Config is the job's run config: its recipe's, with its seed, its
// constitution when custom, and steps steps when steps > 0 (else the
// recipe's). It is the config `copsd run -recipe R -seed S [-steps N]
// [-constitution C]` runs.
func (j Job) Config(steps int) (distill.Config, error) {
	cfg, err := distill.Recipe(j.Recipe)
	if err != nil {
		return distill.Config{}, err
	}
	cfg.Seed = j.Seed
	if steps > 0 {
		cfg.Steps = steps
	}
	if j.Constitution != "" {
		// As copsd run -constitution: the parsed rules' own text.
		c, err := world.Vocabulary().ParseConstitution(j.Constitution)
		if err != nil {
			return distill.Config{}, fmt.Errorf("constitution: %w", err)
		}
		cfg.Constitution = c.Spec()
	}
	return cfg, cfg.Validate()
}

// SuiteModels are the full suite's base models, in job order, each with its
// recipes (nil: every recipe, in distill.RecipeNames order): every recipe on
// the rho 0.5 base, the control recipes on rho 0.
var SuiteModels = []struct {
	Name    string
	Recipes []string
}{
	{"base-rho50", nil},
	{"base-rho0", []string{"opsd-rkl", "copsd"}},
}

// FullJobs is the full suite for seeds 1..seeds: model by model, recipe by
// recipe, seed by seed; only the recipes of filter when it is not empty.
func FullJobs(seeds int, filter map[string]bool) []Job {
	var out []Job
	for _, sm := range SuiteModels {
		recipes := sm.Recipes
		if recipes == nil {
			recipes = distill.RecipeNames()
		}
		for _, r := range recipes {
			if len(filter) > 0 && !filter[r] {
				continue
			}
			for s := 1; s <= seeds; s++ {
				out = append(out, Job{Model: sm.Name, Recipe: r, Seed: uint64(s)})
			}
		}
	}
	return out
}

// quick are the three runs that carry the story: the collapse, the control
// and the remedy.
var quick = []Job{
	{Model: "base-rho50", Recipe: "opsd-rkl"},
	{Model: "base-rho0", Recipe: "opsd-rkl"},
	{Model: "base-rho50", Recipe: "copsd"},
}

// QuickJobs is the quick suite for seeds 1..seeds: opsd-rkl on rho 0.5 (the
// collapse), opsd-rkl on rho 0 (the control), copsd on rho 0.5 (the
// remedy), seed by seed.
func QuickJobs(seeds int) []Job {
	return CustomJobs("", seeds)
}

// CustomJobs is the quick suite with constitution in place of the recipes'
// own ("" keeps theirs).
func CustomJobs(constitution string, seeds int) []Job {
	var out []Job
	for s := 1; s <= seeds; s++ {
		for _, q := range quick {
			q.Seed, q.Constitution = uint64(s), constitution
			out = append(out, q)
		}
	}
	return out
}
