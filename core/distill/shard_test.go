package distill

import (
	"encoding/json"
	"testing"
)

// A run's bits do not depend on how many workers compute its shards: every
// objective, every teacher, PPO epochs and a KL penalty, one to four
// workers (more workers than a step has shards included).
func TestWorkersGiveTheSameBits(t *testing.T) {
	base := tinyBase(t)
	type variant struct {
		recipe string
		edit   func(*Config)
	}
	variants := []variant{
		{"opsd-rkl", nil},
		{"opsd-jsd", func(c *Config) { c.Teacher = EMA; c.KLCoef = 0.05 }},
		{"opsd-fkl", func(c *Config) { c.Teacher = Live; c.TokenClip = 0.5 }},
		{"opsd-sampled", func(c *Config) { c.PPOEpochs = 2 }},
		{"grpo", func(c *Config) { c.PPOEpochs = 2 }},
		{"opsd-gold", nil},
		{"copsd", func(c *Config) { c.CrossSFTEpochs = 1 }},
	}
	for _, v := range variants {
		cfg, err := Recipe(v.recipe)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Prompts, cfg.G, cfg.Steps, cfg.Probes = 3, 2, 3, 1
		if v.edit != nil {
			v.edit(&cfg)
		}
		var want string
		for k := 1; k <= 4; k++ {
			run, err := NewRun(base, cfg)
			if err != nil {
				t.Fatal(err)
			}
			run.UseWorkers(k)
			var steps []StepResult
			for !run.Done() {
				res, err := run.Step()
				if err != nil {
					t.Fatal(err)
				}
				steps = append(steps, res)
			}
			js, _ := json.Marshal(steps)
			got := string(js) + string(f32(run.Student.Params())) + string(f32(run.Teacher.Params()))
			if k == 1 {
				want = got
			} else if got != want {
				t.Errorf("%s: %d workers give other bits than one", v.recipe, k)
			}
		}
	}
}

// Shard streams differ by step, by shard and by use.
func TestShardStreamsAreDistinct(t *testing.T) {
	seen := map[uint64]string{}
	for step := range 50 {
		for shard := range 8 {
			for _, use := range []uint64{streamRollouts, streamGold} {
				x := shardStream(1, step, shard, use).Uint64()
				if prev, ok := seen[x]; ok {
					t.Fatalf("step %d shard %d use %x repeats %s", step, shard, use, prev)
				}
				seen[x] = "another stream"
			}
		}
	}
}
