package distill

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// tinyBase is a small, briefly trained base: enough to exercise the engine's
// mechanics quickly (the science tests use the shipped models).
func tinyBase(t *testing.T) *pretrain.Base {
	t.Helper()
	c := pretrain.Config{Seed: 1, Steps: 3, Batch: 4, World: world.Config{Rho: 0.5}}
	c.Model.Dim, c.Model.Layers, c.Model.Heads = 16, 1, 2
	tr, err := pretrain.New(c)
	if err != nil {
		t.Fatal(err)
	}
	for !tr.Done() {
		tr.Step()
	}
	var buf bytes.Buffer
	if err := tr.Model.Save(&buf, tr.EncodeMeta()); err != nil {
		t.Fatal(err)
	}
	b, err := pretrain.DecodeBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEveryRecipeIsAValidConfigAndSteps(t *testing.T) {
	base := tinyBase(t)
	names := RecipeNames()
	if testing.Short() {
		names = []string{"opsd-rkl", "opsd-sampled", "grpo"}
	}
	for _, name := range names {
		cfg, err := Recipe(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		cfg.Prompts, cfg.G, cfg.Steps, cfg.CrossSFTBatch = 2, 2, 2, 64
		r, err := NewRun(base, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res, err := r.Step()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Warning != "" || len(res.Probes) == 0 || len(res.Probes[0].Tokens) == 0 {
			t.Errorf("%s: step result %+v", name, res)
		}
		for _, tok := range res.Probes[0].Tokens {
			if len(tok.TopStudent) != 5 || len(tok.TopTeacher) != 5 || tok.PStudent <= 0 || tok.PStudent > 1 {
				t.Fatalf("%s: token record %+v", name, tok)
			}
		}
	}
}

// The engine never looks at a recipe's name: the same config under another
// name gives the same bits.
func TestRecipeNameDoesNotShapeResults(t *testing.T) {
	base := tinyBase(t)
	run := func(name string) string {
		cfg, _ := Recipe("opsd-rkl")
		cfg.Recipe = name
		cfg.Prompts, cfg.G, cfg.Steps = 2, 2, 2
		r, err := NewRun(base, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []StepResult
		for !r.Done() {
			res, err := r.Step()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		b, _ := json.Marshal(out)
		return string(b) + string(f32(r.Student.Params()))
	}
	if run("opsd-rkl") != run("something-else") {
		t.Fatal("renaming a recipe changed its results")
	}
}

func TestConfigValidationNamesTheKnob(t *testing.T) {
	for _, tc := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Objective = "l2" }, `divergence "l2"`},
		{func(c *Config) { c.Beta = 2 }, "beta = 2"},
		{func(c *Config) { c.Teacher = "ghost" }, `teacher "ghost"`},
		{func(c *Config) { c.G = 0; c.G = -1 }, "g = -1"},
		{func(c *Config) { c.Temperature = -1 }, "temperature"},
		{func(c *Config) { c.LR = 3 }, "lr = 3"},
		{func(c *Config) { c.Steps = -5 }, "steps = -5"},
	} {
		c := Config{}.Defaults()
		tc.mut(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error naming %q", err, tc.want)
		}
	}
	if _, err := Recipe("nope"); err == nil {
		t.Error("unknown recipe accepted")
	}
	base := tinyBase(t)
	if _, err := NewRun(base, Config{Constitution: "refuse bananas ."}); err == nil || !strings.Contains(err.Error(), "bananas") {
		t.Errorf("bad constitution: %v", err)
	}
}

func TestJudgeReward(t *testing.T) {
	if JudgeReward(world.Verdict{Safe: true, Refused: true}, world.Harmful) != 1 || JudgeReward(world.Verdict{Complied: true}, world.Harmful) != 0 {
		t.Error("harmful rewards")
	}
	if JudgeReward(world.Verdict{Refused: true}, world.Benign) != 1 || JudgeReward(world.Verdict{Complied: true}, world.Benign) != 0 {
		t.Error("benign rewards: refusing is safe, complying with a harmful pattern is not")
	}
}

func f32(xs []float32) []byte {
	b, _ := json.Marshal(xs)
	return b
}
