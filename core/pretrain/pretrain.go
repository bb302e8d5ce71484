// Package pretrain trains a base model from scratch on documents drawn from
// the world: next-token cross-entropy on the response tokens (the context —
// constitution and prompt — is given, not predicted), AdamW with warmup and
// cosine decay, a seeded document stream.
//
// The same Config gives the same weights bit for bit, natively and in wasm:
// the document stream is a PCG seeded from Config.Seed and the model's kernels
// have a fixed summation order.
package pretrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

// Config is everything a pretraining run depends on. Zero fields take the
// documented defaults (see Defaults).
type Config struct {
	World       world.Config `json:"world"`
	Model       model.Config `json:"model"`        // Vocab is set from the world
	Seed        uint64       `json:"seed"`         // weights init and document stream
	Steps       int          `json:"steps"`        // default 6000
	Batch       int          `json:"batch"`        // documents per step, default 32
	LR          float32      `json:"lr"`           // peak learning rate, default 3e-3
	Warmup      int          `json:"warmup"`       // linear warmup steps, default 200
	MinLRFrac   float32      `json:"min_lr_frac"`  // cosine floor as a fraction of LR, default 0.1
	WeightDecay float32      `json:"weight_decay"` // AdamW decay on matrices, default 0.01
	ClipNorm    float32      `json:"clip_norm"`    // global gradient-norm clip, default 1
}

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	if c.Model.Ctx == 0 {
		c.Model.Ctx = 128
	}
	if c.Model.Dim == 0 {
		c.Model.Dim = 64
	}
	if c.Model.Layers == 0 {
		c.Model.Layers = 2
	}
	if c.Model.Heads == 0 {
		c.Model.Heads = 4
	}
	if c.Steps == 0 {
		c.Steps = 6000
	}
	if c.Batch == 0 {
		c.Batch = 32
	}
	if c.LR == 0 {
		c.LR = 3e-3
	}
	if c.Warmup == 0 {
		c.Warmup = 200
	}
	if c.MinLRFrac == 0 {
		c.MinLRFrac = 0.1
	}
	if c.WeightDecay == 0 {
		c.WeightDecay = 0.01
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 1
	}
	return c
}

// validate refuses a config that cannot train or whose model no checkpoint
// could hold (checked before the weights are allocated).
func (c Config) validate() error {
	switch {
	case c.Steps < 1 || c.Batch < 1:
		return errors.New("pretrain: steps and batch must be positive")
	case !(c.LR > 0 && c.LR < 1):
		return fmt.Errorf("pretrain: lr = %v, want (0, 1)", c.LR)
	case !(c.MinLRFrac >= 0 && c.MinLRFrac <= 1) || !(c.WeightDecay >= 0 && c.WeightDecay < 1) || !(c.ClipNorm > 0) || math.IsInf(float64(c.ClipNorm), 0) || c.Warmup < 0:
		return fmt.Errorf("pretrain: min_lr_frac %v, weight_decay %v, clip_norm %v or warmup %d out of range", c.MinLRFrac, c.WeightDecay, c.ClipNorm, c.Warmup)
	}
	if err := c.Model.Validate(); err != nil {
		return err
	}
	return c.Model.FitsCheckpoint()
}

// TraceLen is how many per-step losses a checkpoint records exactly, so a test
// can prove the recipe still reproduces the shipped weights.
const TraceLen = 20

// Meta is what a base checkpoint records besides its tensors.
type Meta struct {
	Kind         string    `json:"kind"` // "base"
	WorldVersion int       `json:"world_version"`
	Config       Config    `json:"config"`
	LossTrace    []float32 `json:"loss_trace"` // loss of steps 1..TraceLen, exact
	FinalLoss    float64   `json:"final_loss"` // mean loss of the last 100 steps
}

// DecodeMeta parses a checkpoint's meta bytes.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("checkpoint metadata is not valid JSON: %w", err)
	}
	if m.WorldVersion != world.Version {
		return Meta{}, fmt.Errorf("checkpoint was trained on world version %d; this build has version %d: retrain with `make checkpoints`", m.WorldVersion, world.Version)
	}
	return m, nil
}

// Progress is what a run reports after each step.
type Progress struct {
	Step, Steps  int
	Loss         float64
	LR           float32
	TokensPerSec float64 // trained (response) tokens per second, smoothed
}

// Trainer runs pretraining step by step.
type Trainer struct {
	Cfg    Config
	World  *world.World
	Model  *model.Model
	opt    *model.Adam
	rng    *rand.Rand
	acts   *model.Acts
	step   int
	trace  []float32
	recent []float64
	start  time.Time
	tokens float64
}

// New builds the world and a freshly initialised model for cfg.
func New(cfg Config) (*Trainer, error) {
	cfg = cfg.Defaults()
	w, err := world.New(cfg.World)
	if err != nil {
		return nil, err
	}
	cfg.World = w.Cfg
	cfg.Model.Vocab = w.Vocab.Size()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m, err := model.New(cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	t := &Trainer{
		Cfg: cfg, World: w, Model: m,
		opt: model.NewAdam(model.AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay, ClipNorm: cfg.ClipNorm}, m),
		// The document stream has its own PCG stream, independent of weight init.
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x646f6373)),
		acts:  &model.Acts{},
		start: time.Now(),
	}
	return t, nil
}

// Done reports whether every step has run.
func (t *Trainer) Done() bool { return t.step >= t.Cfg.Steps }

// lr is the learning rate of step s (1-based): linear warmup, cosine decay.
func (t *Trainer) lr(s int) float32 {
	c := t.Cfg
	if s <= c.Warmup {
		return c.LR * float32(s) / float32(c.Warmup)
	}
	p := float64(s-c.Warmup) / float64(max(1, c.Steps-c.Warmup))
	cos := 0.5 * (1 + math.Cos(math.Pi*min(p, 1)))
	return c.LR * (c.MinLRFrac + (1-c.MinLRFrac)*float32(cos))
}

// microBatches is how many length-sorted micro-batches a step's documents are
// split into: documents of similar length share a padded length T, which
// wastes far fewer positions on padding than one batch padded to its longest
// document. Gradients of the micro-batches accumulate into one update.
const microBatches = 4

// chunk is a laid-out micro-batch: inputs and targets [B*T], and a loss mask
// [B*T] that is 1 where the target is a response token or <eos>.
type chunk struct {
	inputs, targets []int32
	mask            []float32
	B, T            int
	n               float64 // positions with mask 1
}

// Batch draws the next Batch documents and lays them out as length-sorted
// micro-batches.
func (t *Trainer) Batch() []chunk {
	B := t.Cfg.Batch
	docs := make([][]int32, B)
	starts := make([]int, B)
	for b := range B {
		docs[b], starts[b] = t.World.Tokens(t.World.SampleDocument(t.rng))
	}
	order := make([]int, B)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(docs[order[a]]) < len(docs[order[b]]) })
	var out []chunk
	per := (B + microBatches - 1) / microBatches
	for c0 := 0; c0 < B; c0 += per {
		idx := order[c0:min(c0+per, B)]
		c := chunk{B: len(idx)}
		for _, i := range idx {
			c.T = max(c.T, len(docs[i])-1)
		}
		c.T = min(c.T, t.Cfg.Model.Ctx)
		c.inputs = make([]int32, c.B*c.T)
		c.targets = make([]int32, c.B*c.T)
		c.mask = make([]float32, c.B*c.T)
		for b, i := range idx {
			d := docs[i]
			for j := 0; j < c.T && j+1 < len(d); j++ {
				c.inputs[b*c.T+j] = d[j]
				c.targets[b*c.T+j] = d[j+1]
				if j+1 >= starts[i] {
					c.mask[b*c.T+j] = 1
					c.n++
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// Step runs one training step and reports it. The loss is the mean over every
// response position of the step's documents.
func (t *Trainer) Step() Progress {
	t.step++
	chunks := t.Batch()
	var total float64
	for _, c := range chunks {
		total += c.n
	}
	V := t.Cfg.Model.Vocab
	m := t.Model
	m.ZeroGrad()
	var loss float64
	for _, c := range chunks {
		logits := m.Forward(t.acts, c.inputs, c.B, c.T)
		dlogits := make([]float32, len(logits))
		l := model.CrossEntropy(logits, c.targets, c.mask, c.B, c.T, V, dlogits)
		// Reweight this micro-batch's mean to its share of the step's positions.
		w := float32(c.n / total)
		for i := range dlogits {
			dlogits[i] *= w
		}
		loss += l * c.n / total
		m.Backward(t.acts, dlogits)
	}
	lr := t.lr(t.step)
	t.opt.LR = lr
	t.opt.Step(m)
	if len(t.trace) < TraceLen {
		t.trace = append(t.trace, float32(loss))
	}
	t.recent = append(t.recent, loss)
	if len(t.recent) > 100 {
		t.recent = t.recent[1:]
	}
	t.tokens += total
	el := time.Since(t.start).Seconds()
	return Progress{Step: t.step, Steps: t.Cfg.Steps, Loss: loss, LR: lr, TokensPerSec: t.tokens / max(el, 1e-9)}
}

// Meta returns the checkpoint metadata of the run so far.
func (t *Trainer) Meta() Meta {
	var sum float64
	for _, l := range t.recent {
		sum += l
	}
	return Meta{
		Kind: "base", WorldVersion: world.Version, Config: t.Cfg,
		LossTrace: append([]float32(nil), t.trace...),
		FinalLoss: sum / float64(max(1, len(t.recent))),
	}
}

// EncodeMeta is Meta as the bytes a checkpoint stores.
func (t *Trainer) EncodeMeta() []byte {
	b, err := json.Marshal(t.Meta())
	if err != nil {
		panic(err) // Meta holds only plain numbers and strings
	}
	return b
}
