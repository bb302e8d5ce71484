package report

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/world"
)

func names(jobs []Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.Name()
	}
	return out
}

// The full suite for three seeds is the committed report's runs, one job
// each, model by model, recipe by recipe (in distill.RecipeNames order),
// seed by seed.
func TestFullJobsAreTheCommittedReportsRuns(t *testing.T) {
	jobs := FullJobs(3, nil)
	files, err := filepath.Glob(filepath.Join("..", "..", "assets", "report", "runs", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed runs: %v", err)
	}
	var committed []string
	for _, f := range files {
		committed = append(committed, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	got := slices.Sorted(slices.Values(names(jobs)))
	if !slices.Equal(got, committed) {
		t.Fatalf("full suite %v\ncommitted runs %v", got, committed)
	}
	if len(jobs) != 33 {
		t.Errorf("%d jobs for 3 seeds, want 33", len(jobs))
	}
	rank := map[string]int{}
	for i, r := range distill.RecipeNames() {
		rank[r] = i
	}
	models := map[string]int{"base-rho50": 0, "base-rho0": 1}
	for i := 1; i < len(jobs); i++ {
		a, b := jobs[i-1], jobs[i]
		ka := []int{models[a.Model], rank[a.Recipe], int(a.Seed)}
		kb := []int{models[b.Model], rank[b.Recipe], int(b.Seed)}
		if slices.Compare(ka, kb) >= 0 {
			t.Errorf("job %d (%s) comes after %s", i, b.Name(), a.Name())
		}
	}
	if f := FullJobs(2, map[string]bool{"copsd": true}); !slices.Equal(names(f),
		[]string{"base-rho50-copsd-s1", "base-rho50-copsd-s2", "base-rho0-copsd-s1", "base-rho0-copsd-s2"}) {
		t.Errorf("copsd only, 2 seeds: %v", names(f))
	}
}

func TestQuickJobsAreTheCollapseTheControlAndTheRemedy(t *testing.T) {
	want := []string{"base-rho50-opsd-rkl-s1", "base-rho0-opsd-rkl-s1", "base-rho50-copsd-s1"}
	if got := names(QuickJobs(1)); !slices.Equal(got, want) {
		t.Errorf("quick: %v, want %v", got, want)
	}
	two := names(QuickJobs(2))
	if len(two) != 6 || !slices.Equal(two[:3], want) || two[5] != "base-rho50-copsd-s2" {
		t.Errorf("quick, 2 seeds: %v", two)
	}
	for _, j := range QuickJobs(5) {
		if j.Constitution != "" || j.Key() != j.Name() {
			t.Errorf("%s: constitution %q, key %s", j.Name(), j.Constitution, j.Key())
		}
	}
}

// A custom constitution runs the quick recipes with it in place of the
// preset: the config is the recipe's with the seed and that constitution,
// and differs from the preset job's in the constitution alone.
func TestCustomJobsReplaceTheConstitutionOnly(t *testing.T) {
	custom := world.Presets[len(world.Presets)-1].Text
	if custom == world.Presets[0].Text {
		t.Fatal("need a constitution other than the default preset")
	}
	jobs := CustomJobs(custom, 2)
	if got, want := names(jobs), names(QuickJobs(2)); !slices.Equal(got, want) {
		t.Fatalf("custom jobs %v, want the quick ones %v", got, want)
	}
	keys := map[string]bool{}
	for _, j := range jobs {
		cfg, err := j.Config(0)
		if err != nil {
			t.Fatalf("%s: %v", j.Name(), err)
		}
		if cfg.Constitution != custom || cfg.Seed != j.Seed || cfg.Recipe != j.Recipe {
			t.Errorf("%s: constitution %q seed %d recipe %q", j.Name(), cfg.Constitution, cfg.Seed, cfg.Recipe)
		}
		preset := j
		preset.Constitution = ""
		pc, err := preset.Config(0)
		if err != nil {
			t.Fatal(err)
		}
		if pc.Constitution == custom {
			t.Fatalf("%s: the preset job has the custom constitution", j.Name())
		}
		pc.Constitution = custom
		a, _ := json.Marshal(cfg)
		b, _ := json.Marshal(pc)
		if string(a) != string(b) {
			t.Errorf("%s: custom config\n%s\nbeyond the constitution differs from the preset's\n%s", j.Name(), a, b)
		}
		if j.Key() == j.Name() || keys[j.Key()] {
			t.Errorf("%s: key %s not distinct", j.Name(), j.Key())
		}
		keys[j.Key()] = true
	}
	if _, err := (Job{Model: "base-rho50", Recipe: "opsd-rkl", Seed: 1, Constitution: "refuse dragons ."}).Config(0); err == nil {
		t.Error("a constitution of unknown words gave a config")
	}
	if c, err := (Job{Model: "base-rho50", Recipe: "grpo", Seed: 4}).Config(7); err != nil || c.Steps != 7 || c.Seed != 4 {
		t.Errorf("steps 7: %+v, %v", c, err)
	}
}
