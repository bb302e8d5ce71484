package distill

import (
	"encoding/json"
	"testing"

	"github.com/copsdlab/copsd/core/model"
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

// replicaPool is an Executor over whole replicas of a run (NewReplica), as
// a pool of Web Workers is: each holds its own weights and applies every
// update.
type replicaPool struct {
	reps  []*Run
	works []ShardWork
}

func (p *replicaPool) Submit(w []ShardWork) error { p.works = w; return nil }

func (p *replicaPool) Collect() ([]ShardOut, bool, error) {
	outs := make([]ShardOut, len(p.works))
	for i, w := range p.works {
		var err error
		if outs[i], err = p.reps[i%len(p.reps)].DoShard(w); err != nil {
			return nil, false, err
		}
	}
	return outs, true, nil
}

func (p *replicaPool) Apply(u Update) error {
	for _, r := range p.reps {
		v := u
		v.Grad = append([]float32(nil), u.Grad...)
		if u.Grad == nil {
			v.Grad = nil
		}
		if err := r.ApplyUpdate(v); err != nil {
			return err
		}
	}
	return nil
}

// Replicas that hold their own weights and apply the coordinator's updates
// stay identical to it, and the run's bits are those of one local worker:
// with Cross-SFT (the teacher's weights shipped), an EMA teacher, a live
// teacher and PPO epochs.
func TestReplicasStayIdentical(t *testing.T) {
	base := tinyBase(t)
	for _, v := range []struct {
		recipe string
		edit   func(*Config)
	}{
		{"copsd", func(c *Config) { c.CrossSFTEpochs = 1 }},
		{"opsd-rkl", func(c *Config) { c.Teacher = EMA }},
		{"opsd-fkl", func(c *Config) { c.Teacher = Live }},
		{"grpo", func(c *Config) { c.PPOEpochs = 2 }},
	} {
		cfg, _ := Recipe(v.recipe)
		cfg.Prompts, cfg.G, cfg.Steps, cfg.Probes = 3, 2, 3, 1
		v.edit(&cfg)
		one, err := NewRun(base, cfg)
		if err != nil {
			t.Fatal(err)
		}
		one.UseWorkers(1)
		coord, _ := NewRun(base, cfg)
		var teacher []float32
		if coord.Teacher != coord.Student {
			teacher = coord.Teacher.Params()
		}
		pool := &replicaPool{}
		for range 2 {
			r, err := NewReplica(base, coord.Cfg, teacher)
			if err != nil {
				t.Fatal(err)
			}
			pool.reps = append(pool.reps, r)
		}
		coord.UseExecutor(pool)
		for !one.Done() {
			a, err := one.Step()
			if err != nil {
				t.Fatal(err)
			}
			b, err := coord.Step()
			if err != nil {
				t.Fatal(err)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("%s step %d: the pool's step differs from one worker's", v.recipe, a.Step)
			}
			for i, r := range pool.reps {
				if r.WeightsHash() != coord.WeightsHash() || model.HashFloats(r.Teacher.Params()) != model.HashFloats(coord.Teacher.Params()) {
					t.Fatalf("%s step %d: replica %d's weights differ from the coordinator's", v.recipe, a.Step, i)
				}
			}
		}
	}
}
