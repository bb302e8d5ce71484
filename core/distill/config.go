// Package distill is COPSD Lab's distillation engine: on-policy
// self-distillation under a constitution (OPSD), its COPSD remedy (a Cross-SFT
// teacher), and the baselines the paper compares against, all as presets of
// one Config.
//
// A run is a Config plus a base model. Run.Step advances it by one step and
// returns what happened — the step's training metrics and a token-level record
// of probe rollouts — and callers (the CLI, the browser) only observe. The
// engine never consults a recipe's name: a recipe is nothing but a Config.
//
// One step:
//
//  1. draw Prompts training prompts; the student samples G answers to each
//     (no constitution; temperature, top-k);
//  2. the teacher — a frozen copy of the starting weights, or an EMA / live
//     copy — scores every sampled position with the constitution (or a gold
//     answer) as privileged context; the shared prefix is computed once;
//  3. a per-token divergence (or COPSD's sampled-token reward, or the judge's
//     outcome reward) gives a gradient on the student's logits only;
//  4. one AdamW update of the student.
package distill

import (
	"fmt"
	"math"
	"sort"

	"github.com/copsdlab/copsd/core/world"
)

// TeacherMode says which weights score the student's samples.
type TeacherMode string

const (
	Frozen TeacherMode = "frozen" // a copy of the starting (or Cross-SFT) weights
	EMA    TeacherMode = "ema"    // an exponential moving average of the student
	Live   TeacherMode = "live"   // the student's current weights
)

// Privileged says what the teacher sees that the student does not.
type Privileged string

const (
	WithConstitution Privileged = "constitution" // "<sys> constitution </sys>"
	WithGold         Privileged = "gold"         // "<ref> ideal answer </ref>"
)

// Config is every knob of a run. The zero value of a field means the default
// given in its comment (Defaults fills them in).
type Config struct {
	Recipe string `json:"recipe"` // the preset this config came from; informational only

	Divergence Divergence  `json:"divergence"` // default rkl
	Beta       float64     `json:"beta"`       // JSD weight (TRL convention); default 0.5
	TokenClip  float64     `json:"token_clip"` // clip each position's divergence at this value (0: off)
	Teacher    TeacherMode `json:"teacher"`    // default frozen
	EMADecay   float64     `json:"ema_decay"`  // EMA teacher: weight of the old teacher; default 0.95
	Privileged Privileged  `json:"privileged"` // default constitution

	Constitution string `json:"constitution"` // rule text; default the "safety" preset

	// Cross-SFT cold start (COPSD): before distilling, fine-tune a copy of
	// the base with the constitution in context on benign and borderline
	// prompts paired with the base's own unconditioned answers (when
	// CrossSFTSelfData) plus harmful prompts paired with ideal safe answers.
	CrossSFTEpochs   int     `json:"cross_sft_epochs"` // 0: no Cross-SFT
	CrossSFTSelfData bool    `json:"cross_sft_self_data"`
	CrossSFTLR       float32 `json:"cross_sft_lr"`    // default 1e-3
	CrossSFTBatch    int     `json:"cross_sft_batch"` // default 32

	Prompts     int     `json:"prompts"`     // prompts per step; default 4
	G           int     `json:"g"`           // samples per prompt; default 8
	Temperature float32 `json:"temperature"` // student sampling temperature; default 1
	TopK        int     `json:"top_k"`       // 0: full vocabulary
	LR          float32 `json:"lr"`          // student AdamW learning rate; default 1e-3
	ClipNorm    float32 `json:"clip_norm"`   // gradient-norm clip; default 1
	AdamBeta2   float32 `json:"adam_beta2"`  // AdamW second-moment decay; default 0.999

	// Sampled-token and reward recipes (COPSD's code): reward clip, PPO clip,
	// k3 KL penalty to the initial student.
	RewardClipLo float64 `json:"reward_clip_lo"` // default -3
	RewardClipHi float64 `json:"reward_clip_hi"` // default 5
	PPOClip      float64 `json:"ppo_clip"`       // default 0.2
	PPOEpochs    int     `json:"ppo_epochs"`     // updates per batch of rollouts; default 1
	KLCoef       float64 `json:"kl_coef"`        // k3 penalty to the initial student; 0: off

	Steps       int `json:"steps"`        // default 120
	EvalEvery   int `json:"eval_every"`   // default 10
	EvalSamples int `json:"eval_samples"` // samples per held-out prompt at each evaluation; default 2 (diversity needs two)
	// FinalEvalSamples is the samples per held-out prompt of the first and
	// the last evaluation and of the teacher's own: the run's headline
	// numbers, measured on four times the samples by default (8).
	FinalEvalSamples int `json:"final_eval_samples"`
	Probes           int `json:"probes"` // probe rollouts recorded token by token each step; default 2

	Seed uint64 `json:"seed"`
}

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	if c.Divergence == "" {
		c.Divergence = ReverseKL
	}
	if c.Beta == 0 && c.Divergence == JSD {
		c.Beta = 0.5
	}
	if c.Teacher == "" {
		c.Teacher = Frozen
	}
	if c.EMADecay == 0 {
		c.EMADecay = 0.95
	}
	if c.Privileged == "" {
		c.Privileged = WithConstitution
	}
	if c.Constitution == "" && c.Privileged == WithConstitution {
		c.Constitution = world.Presets[0].Text
	}
	if c.CrossSFTLR == 0 {
		c.CrossSFTLR = 1e-3
	}
	if c.CrossSFTBatch == 0 {
		c.CrossSFTBatch = 32
	}
	if c.Prompts == 0 {
		c.Prompts = 4
	}
	if c.G == 0 {
		c.G = 8
	}
	if c.Temperature == 0 {
		c.Temperature = 1
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 1
	}
	if c.AdamBeta2 == 0 {
		c.AdamBeta2 = 0.999
	}
	if c.RewardClipLo == 0 {
		c.RewardClipLo = -3
	}
	if c.RewardClipHi == 0 {
		c.RewardClipHi = 5
	}
	if c.PPOClip == 0 {
		c.PPOClip = 0.2
	}
	if c.PPOEpochs == 0 {
		c.PPOEpochs = 1
	}
	if c.Steps == 0 {
		c.Steps = 120
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = 10
	}
	if c.EvalSamples == 0 {
		c.EvalSamples = 2
	}
	if c.FinalEvalSamples == 0 {
		c.FinalEvalSamples = 8
	}
	if c.Probes == 0 {
		c.Probes = 2
	}
	return c
}

// Validate reports the first knob out of range, naming it.
func (c Config) Validate() error {
	// Comparisons are written so that NaN fails them: NaN < 0 is false.
	switch {
	case !c.Divergence.Valid():
		return fmt.Errorf("divergence %q: want rkl, fkl, jsd, sampled or reward", c.Divergence)
	case !In(BetaRange, c.Beta):
		return checkIn("beta", BetaRange, c.Beta)
	case !finiteAtLeast(c.TokenClip, 0):
		return fmt.Errorf("token_clip = %v: want ≥ 0", c.TokenClip)
	case c.Teacher != Frozen && c.Teacher != EMA && c.Teacher != Live:
		return fmt.Errorf("teacher %q: want frozen, ema or live", c.Teacher)
	case !(c.EMADecay > 0 && c.EMADecay < 1):
		return fmt.Errorf("ema_decay = %v: want (0, 1)", c.EMADecay)
	case c.Privileged != WithConstitution && c.Privileged != WithGold:
		return fmt.Errorf("privileged %q: want constitution or gold", c.Privileged)
	case !In(CrossSFTEpochsRange, c.CrossSFTEpochs):
		return checkIn("cross_sft_epochs", CrossSFTEpochsRange, c.CrossSFTEpochs)
	case c.Prompts < 1 || c.Prompts > 64:
		return fmt.Errorf("prompts = %d: want 1 to 64", c.Prompts)
	case !In(GRange, c.G):
		return checkIn("g", GRange, c.G)
	case !In(TemperatureRange, c.Temperature):
		return checkIn("temperature", TemperatureRange, c.Temperature)
	case c.TopK < 0:
		return fmt.Errorf("top_k = %d: want ≥ 0", c.TopK)
	case !In(LRRange, c.LR):
		return checkIn("lr", LRRange, c.LR)
	case !(c.AdamBeta2 > 0 && c.AdamBeta2 < 1):
		return fmt.Errorf("adam_beta2 = %v: want (0, 1)", c.AdamBeta2)
	case !(c.CrossSFTLR > 0 && c.CrossSFTLR < 1):
		return fmt.Errorf("cross_sft_lr = %v: want (0, 1)", c.CrossSFTLR)
	case !(c.PPOClip > 0) || math.IsInf(c.PPOClip, 0) || c.PPOEpochs < 1 || c.PPOEpochs > 8:
		return fmt.Errorf("ppo_clip = %v, ppo_epochs = %d: want > 0 and 1 to 8", c.PPOClip, c.PPOEpochs)
	case !finiteAtLeast(c.KLCoef, 0):
		return fmt.Errorf("kl_coef = %v: want ≥ 0", c.KLCoef)
	case !(c.RewardClipLo < c.RewardClipHi) || math.IsInf(c.RewardClipLo, 0) || math.IsInf(c.RewardClipHi, 0):
		return fmt.Errorf("reward clip [%v, %v] is empty", c.RewardClipLo, c.RewardClipHi)
	case !(c.ClipNorm > 0) || math.IsInf(float64(c.ClipNorm), 0):
		return fmt.Errorf("clip_norm = %v: want a finite number > 0", c.ClipNorm)
	case !In(StepsRange, c.Steps):
		return checkIn("steps", StepsRange, c.Steps)
	case c.EvalEvery < 1 || c.EvalSamples < 1 || c.EvalSamples > MaxEvalSamples:
		return fmt.Errorf("eval_every = %d, eval_samples = %d: want ≥ 1 and 1 to %d", c.EvalEvery, c.EvalSamples, MaxEvalSamples)
	case c.FinalEvalSamples < 1 || c.FinalEvalSamples > MaxEvalSamples:
		return fmt.Errorf("final_eval_samples = %d: want 1 to %d", c.FinalEvalSamples, MaxEvalSamples)
	case c.Probes < 0 || c.Probes > 8:
		return fmt.Errorf("probes = %d: want 0 to 8", c.Probes)
	}
	return nil
}

// MaxEvalSamples bounds each evaluation's samples per held-out prompt.
const MaxEvalSamples = 16

// finiteAtLeast reports whether v is a finite number ≥ lo (false for NaN).
func finiteAtLeast(v, lo float64) bool { return v >= lo && !math.IsInf(v, 0) }

// EvalSamplesAt is the samples per held-out prompt of the evaluation after
// step (0: before the first): FinalEvalSamples for the first and the last
// evaluation, EvalSamples in between.
func (c Config) EvalSamplesAt(step int, last bool) int {
	if step == 0 || last {
		return c.FinalEvalSamples
	}
	return c.EvalSamples
}

// Recipes are the named presets of Config. Each is only a Config: nothing in
// the engine looks at the name.
var Recipes = map[string]Config{
	// OPSD under the safety constitution, full-vocabulary reverse KL, frozen teacher.
	"opsd-rkl": {Divergence: ReverseKL},
	// The same with forward KL (mode-covering).
	"opsd-fkl": {Divergence: ForwardKL},
	// The same with JSD(0.5).
	"opsd-jsd": {Divergence: JSD, Beta: 0.5},
	// COPSD's estimator without the Cross-SFT teacher.
	"opsd-sampled": {Divergence: Sampled, KLCoef: 0.005},
	// COPSD: Cross-SFT teacher (2 epochs, the student's own answers), then OPSD.
	"copsd": {Divergence: ReverseKL, CrossSFTEpochs: 2, CrossSFTSelfData: true},
	// Ablation: the teacher fine-tuned 5 epochs.
	"copsd-5ep": {Divergence: ReverseKL, CrossSFTEpochs: 5, CrossSFTSelfData: true},
	// Ablation: Cross-SFT on harmful prompts only, without the student's own answers.
	"copsd-noself": {Divergence: ReverseKL, CrossSFTEpochs: 2, CrossSFTSelfData: false},
	// GRPO: group-normalised outcome reward from the exact judge.
	"grpo": {Divergence: Reward, KLCoef: 0.005},
	// OPSD with a gold answer instead of a constitution as privileged context.
	"opsd-gold": {Divergence: ReverseKL, Privileged: WithGold},
}

// RecipeNames lists the recipes in a stable order, opsd-rkl first.
func RecipeNames() []string {
	order := []string{"opsd-rkl", "opsd-fkl", "opsd-jsd", "opsd-sampled", "copsd", "copsd-5ep", "copsd-noself", "grpo", "opsd-gold"}
	if len(order) != len(Recipes) {
		names := make([]string, 0, len(Recipes))
		for n := range Recipes {
			names = append(names, n)
		}
		sort.Strings(names)
		return names
	}
	return order
}

// Recipe returns the named preset with defaults filled in.
func Recipe(name string) (Config, error) {
	c, ok := Recipes[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown recipe %q; recipes: %v", name, RecipeNames())
	}
	c.Recipe = name
	return c.Defaults(), nil
}
