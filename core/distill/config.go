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
	"errors"
	"fmt"
	"math"

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

	Objective  Objective   `json:"divergence"` // what the student is trained on; default rkl (the JSON key predates the reward objective)
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
	if c.Objective == "" {
		c.Objective = ReverseKL
	}
	if c.Beta == 0 && c.Objective == JSD {
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
	case !c.Objective.Valid():
		return fmt.Errorf("divergence %q: want rkl, fkl, jsd, sampled or reward", c.Objective)
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
	case c.CrossSFTEpochs > 0 && c.Teacher == Live:
		// Cross-SFT fine-tunes a separate teacher; a live teacher is the student.
		return errors.New("a Cross-SFT teacher must be frozen or EMA, not live")
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

// A RecipeEntry is a recipe: a Config and what it does in a sentence. The
// engine never looks at the name; the CLI, the page and the class board list
// the recipes from Recipes.
type RecipeEntry struct {
	Name   string
	About  string // one sentence for the page
	Config Config
}

// Recipes are the recipes, in the order the CLI, the page and the report list
// them. Adding a recipe is adding an entry here (and whatever its Config
// needs).
var Recipes = []RecipeEntry{
	{"opsd-rkl", "OPSD: the student samples, the same model shown the constitution scores every token, full-vocabulary reverse KL.",
		Config{Objective: ReverseKL}},
	{"opsd-fkl", "OPSD with forward KL, which covers the teacher's modes instead of seeking one.",
		Config{Objective: ForwardKL}},
	{"opsd-jsd", "OPSD with the generalised Jensen-Shannon divergence between the two.",
		Config{Objective: JSD, Beta: 0.5}},
	{"opsd-sampled", "OPSD with COPSD's estimator: the sampled token's log-ratio as a clipped, normalised advantage, PPO-clip.",
		Config{Objective: Sampled, KLCoef: 0.005}},
	{"copsd", "COPSD: fine-tune the teacher with the constitution on the student's own answers (Cross-SFT, 2 epochs), then OPSD.",
		Config{Objective: ReverseKL, CrossSFTEpochs: 2, CrossSFTSelfData: true}},
	{"copsd-5ep", "Ablation: the Cross-SFT teacher trained 5 epochs.",
		Config{Objective: ReverseKL, CrossSFTEpochs: 5, CrossSFTSelfData: true}},
	{"copsd-noself", "Ablation: Cross-SFT on harmful prompts only, without the student's own answers.",
		Config{Objective: ReverseKL, CrossSFTEpochs: 2, CrossSFTSelfData: false}},
	{"grpo", "GRPO: no teacher; the exact judge's outcome reward, normalised over the group.",
		Config{Objective: Reward, KLCoef: 0.005}},
	{"opsd-gold", "OPSD whose teacher sees an ideal answer instead of a constitution.",
		Config{Objective: ReverseKL, Privileged: WithGold}},
}

// RecipeNames lists the recipes in the order of Recipes.
func RecipeNames() []string {
	names := make([]string, len(Recipes))
	for i, p := range Recipes {
		names[i] = p.Name
	}
	return names
}

// FindRecipe returns the named recipe.
func FindRecipe(name string) (RecipeEntry, bool) {
	for _, p := range Recipes {
		if p.Name == name {
			return p, true
		}
	}
	return RecipeEntry{}, false
}

// Recipe returns the named preset with defaults filled in.
func Recipe(name string) (Config, error) {
	p, ok := FindRecipe(name)
	if !ok {
		return Config{}, fmt.Errorf("unknown recipe %q; recipes: %v", name, RecipeNames())
	}
	c := p.Config
	c.Recipe = name
	return c.Defaults(), nil
}
