package distill_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/report"
)

// TestClaimsHoldOnTheShippedModels runs the real recipes on the shipped base
// models and checks the lab's claims (report.Claims) for each seed. It takes
// minutes, so it runs natively and not under -short; COPSD_SEEDS sets how many
// seeds (default 1; `copsd reproduce -seeds 3` runs the full suite).
func TestClaimsHoldOnTheShippedModels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real recipes for minutes")
	}
	seeds := 1
	if s, err := strconv.Atoi(os.Getenv("COPSD_SEEDS")); err == nil && s > 0 {
		seeds = s
	}
	models := map[string]*pretrain.Base{}
	for _, name := range []string{"base-rho50", "base-rho0"} {
		b, err := pretrain.Open("../../assets/models/" + name + ".ckpt")
		if err != nil {
			t.Fatal(err)
		}
		models[name] = b
	}
	suite := &report.Suite{}
	for seed := 1; seed <= seeds; seed++ {
		for _, job := range []struct{ model, recipe string }{
			{"base-rho50", "opsd-rkl"}, {"base-rho0", "opsd-rkl"}, {"base-rho50", "opsd-fkl"},
			{"base-rho50", "copsd"}, {"base-rho50", "grpo"},
		} {
			cfg, err := distill.Recipe(job.recipe)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Seed = uint64(seed)
			s, err := distill.NewSession(models[job.model], job.model, cfg, distill.SessionOptions{TeacherEval: true})
			if err != nil {
				t.Fatal(err)
			}
			for !s.Run.Done() {
				if _, _, err := s.Step(); err != nil {
					t.Fatal(err)
				}
			}
			rep := s.Report
			suite.Runs = append(suite.Runs, report.Run{Model: job.model, Rho: models[job.model].Meta.Config.World.Rho, Report: &rep})
		}
	}
	claims := report.Claims(suite)
	asserted := 0
	for _, c := range claims {
		switch {
		case c.Asserted && !c.Holds:
			t.Errorf("seed %d: %s does not hold: %s", c.Seed, c.Name, c.Detail)
		case c.Asserted:
			asserted++
			t.Logf("seed %d: %s: %s", c.Seed, c.Name, c.Detail)
		default:
			t.Logf("seed %d (reported): %s: holds %v: %s", c.Seed, c.Name, c.Holds, c.Detail)
		}
	}
	if asserted+countFailed(claims) != 7*seeds {
		t.Fatalf("checked %d asserted claims, want %d", asserted+countFailed(claims), 7*seeds)
	}
}

func countFailed(cs []report.Claim) int {
	n := 0
	for _, c := range cs {
		if c.Asserted && !c.Holds {
			n++
		}
	}
	return n
}
