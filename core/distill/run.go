package distill

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/num"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// Run is one distillation run: a config, a base model, and the state that
// Step advances.
type Run struct {
	Cfg   Config
	World *world.World

	Student *model.Model // trained
	Teacher *model.Model // scores the student's samples (== Student when live)
	Initial *model.Model // the starting student, for the KL penalty and KL-to-initial

	cons    world.Constitution
	opt     *model.Adam
	rng     *rand.Rand // prompts and rollouts
	probeRG *rand.Rand // probe rollouts: their own stream, so probes never change training
	step    int        // steps completed
	cur     *partial   // the step in progress (Advance), or nil
	probes  []world.Prompt
	train   [world.NumFamilies][]world.Prompt

	sActs, tActs, iActs *model.Acts
	prefix              *model.KVCache // the teacher's constitution prefix, once per step

	CrossSFT *CrossSFTReport // what the Cross-SFT cold start did, when configured

	// FullTrace makes each probe token record carry both models' whole
	// next-token log-probabilities (TokenRecord.Full). It changes only what
	// is recorded, never the training, so it is not part of the Config.
	FullTrace bool
}

// Family mix of the prompts each step draws: the safety-relevant families,
// plus reasoning probes so the safety tax can show.
var stepMix = [world.NumFamilies]float64{world.Benign: 0.3, world.Borderline: 0.2, world.Harmful: 0.35, world.Reasoning: 0.15}

// NewRun prepares a run of cfg from a base model. The base is not modified.
func NewRun(base *pretrain.Base, cfg Config) (*Run, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	w := base.World
	r := &Run{
		Cfg: cfg, World: w,
		Student: base.Model.Clone(),
		Initial: base.Model.Clone(),
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x6f707364)),
		probeRG: rand.New(rand.NewPCG(cfg.Seed, 0x70726f62)),
		sActs:   &model.Acts{}, tActs: &model.Acts{}, iActs: &model.Acts{},
	}
	if cfg.Privileged == WithConstitution {
		c, err := w.ParseConstitution(cfg.Constitution)
		if err != nil {
			return nil, fmt.Errorf("constitution: %w", err)
		}
		if len(w.SystemPrefix(c)) > maxPrefix {
			return nil, fmt.Errorf("constitution takes %d tokens; at most %d fit beside the answers", len(w.SystemPrefix(c)), maxPrefix)
		}
		r.cons = c
	}
	for f := world.Family(0); f < world.NumFamilies; f++ {
		r.train[f] = w.TrainByFamily(f)
	}
	r.probes = ProbePrompts(w)
	switch cfg.Teacher {
	case Frozen, EMA:
		r.Teacher = base.Model.Clone()
	case Live:
		r.Teacher = r.Student
	}
	if cfg.CrossSFTEpochs > 0 {
		rep, err := crossSFT(r.Teacher, base.Model, w, r.cons, cfg)
		if err != nil {
			return nil, fmt.Errorf("cross-SFT: %w", err)
		}
		r.CrossSFT = rep
	}
	r.opt = model.NewAdam(model.AdamConfig{LR: cfg.LR, Beta2: cfg.AdamBeta2, ClipNorm: cfg.ClipNorm, WeightDecay: -1}, r.Student)
	return r, nil
}

// ProbePrompts are the held-out prompts whose rollouts are recorded token by
// token every step: the first benign, borderline and harmful eval prompts.
func ProbePrompts(w *world.World) []world.Prompt {
	var out []world.Prompt
	for _, f := range []world.Family{world.Benign, world.Borderline, world.Harmful, world.Reasoning} {
		if ps := w.EvalByFamily(f); len(ps) > 0 {
			out = append(out, ps[0])
		}
	}
	return out
}

// StepNum is the number of steps taken.
func (r *Run) StepNum() int { return r.step }

// Done reports whether the configured number of steps has run.
func (r *Run) Done() bool { return r.step >= r.Cfg.Steps }

// Constitution is the teacher's constitution (empty for gold runs).
func (r *Run) Constitution() world.Constitution { return r.cons }

// StepResult is what one step did.
type StepResult struct {
	Step    int          `json:"step"`
	Train   TrainMetrics `json:"train"`
	Probes  []ProbeTrace `json:"probes,omitempty"`
	Warning string       `json:"warning,omitempty"` // non-finite loss or divergence: the step was not applied
}

// TrainMetrics are measured on the step's own rollouts.
type TrainMetrics struct {
	Loss           float64 `json:"loss"`
	Divergence     float64 `json:"divergence"`      // mean per-token divergence (full-vocab recipes) or mean clipped reward (sampled)
	StudentEntropy float64 `json:"student_entropy"` // mean per-token entropy of the student on its rollouts
	TeacherEntropy float64 `json:"teacher_entropy"` // the teacher's, on the same prefixes
	Length         float64 `json:"length"`          // mean rollout length, tokens
	Reward         float64 `json:"reward"`          // mean judge reward of the rollouts
	RefusalRate    float64 `json:"refusal_rate"`    // share of rollouts that refuse
	GradNorm       float64 `json:"grad_norm"`
	KLInitial      float64 `json:"kl_initial"` // mean sampled-token k3 to the initial student (when computed)
}

// Step takes one whole step (finishing the one in progress, if Advance
// left one): sample, score with the teacher, update the student, trace the
// probes.
func (r *Run) Step() (StepResult, error) {
	for {
		res, done, err := r.Advance()
		if err != nil || done {
			return res, err
		}
	}
}

// A step runs in phases, so that a caller with one thread (the browser's
// Web Worker) can stop between them and stay responsive: a pause need not
// wait for a whole step. The phases do exactly what one uninterrupted step
// does, in the same order, so results do not depend on where a step was
// interrupted.
//
// phaseUpdate runs the student forward and applies the objective. For a
// full-vocabulary divergence it only computes the gradient on the logits,
// and phaseBackward backpropagates it and steps the optimizer. The
// sampled-token and reward objectives do their whole PPO update in
// phaseUpdate (a backward pass and an optimizer step per PPO epoch), and
// their phaseBackward only updates an EMA teacher.
const (
	phaseSample   = iota // one prompt's group of rollouts per call
	phaseScore           // the teacher (and the initial student) score the batch
	phaseUpdate          // the student's forward pass and the objective (see above)
	phaseBackward        // a full-vocabulary gradient's backward pass and optimizer step; the EMA teacher
	phaseProbe           // the probe rollouts' token records
	phaseDone
)

// partial is a step in progress.
type partial struct {
	n       int    // the step's number
	cfg     Config // the knobs as the step started
	phase   int
	prompts []world.Prompt
	rows    []Rollout
	b       *batch
	tLogits []float32
	iLogits []float32
	dlogits []float32 // the gradient on the student's logits, for phaseBackward
	res     StepResult
}

// MidStep reports whether Advance has started a step it has not finished.
func (r *Run) MidStep() bool { return r.cur != nil }

// Advance does the next phase of the current step, starting one when none is
// in progress, and reports whether the step is complete (then res is its
// result and StepNum has moved on). An error abandons the step.
func (r *Run) Advance() (res StepResult, done bool, err error) {
	p := r.cur
	if p == nil {
		if r.Done() {
			return StepResult{}, false, errors.New("run is finished")
		}
		cfg := r.Cfg
		p = &partial{n: r.step + 1, cfg: cfg, prompts: r.drawPrompts(cfg.Prompts)}
		p.res.Step = p.n
		r.cur = p
	}
	defer func() {
		if err != nil {
			r.cur = nil
		}
	}()
	cfg := p.cfg
	switch p.phase {
	case phaseSample:
		pr := p.prompts[len(p.rows)/cfg.G]
		g, err := sampleGroup(r.Student, r.World, pr, cfg.G, cfg.Temperature, cfg.TopK, r.rng)
		if err != nil {
			return StepResult{}, false, err
		}
		p.rows = append(p.rows, g...)
		if len(p.rows) == len(p.prompts)*cfg.G {
			p.phase = phaseScore
		}
	case phaseScore:
		if cfg.Teacher != Frozen || r.prefix == nil {
			if err := r.refreshPrefix(); err != nil {
				return StepResult{}, false, err
			}
		}
		p.b = newBatch(r.World, p.rows)
		p.tLogits, p.iLogits, err = r.scoreBatch(p.b, cfg)
		if err != nil {
			return StepResult{}, false, err
		}
		p.phase = phaseUpdate
	case phaseUpdate:
		p.res.Train, p.dlogits, err = r.update(p.b, cfg, p.tLogits, p.iLogits)
		if err != nil {
			return StepResult{}, false, err
		}
		p.tLogits, p.iLogits = nil, nil
		p.phase = phaseBackward
	case phaseBackward:
		if p.dlogits != nil {
			p.res.Train.GradNorm = r.backward(p.dlogits)
			p.dlogits = nil
		}
		tr := p.res.Train
		if math.IsNaN(tr.Loss) || math.IsInf(tr.Loss, 0) || math.IsNaN(tr.Divergence) || math.IsInf(tr.Divergence, 0) {
			p.res.Warning = fmt.Sprintf("non-finite loss (%v) or divergence (%v) at step %d: the update was skipped", tr.Loss, tr.Divergence, p.n)
		}
		if cfg.Teacher == EMA {
			emaUpdate(r.Teacher, r.Student, cfg.EMADecay)
		}
		p.phase = phaseProbe
		if cfg.Probes == 0 {
			p.phase = phaseDone
		}
	case phaseProbe:
		p.res.Probes, err = r.traceProbes(min(cfg.Probes, len(r.probes)), p.n, cfg)
		if err != nil {
			return StepResult{}, false, err
		}
		p.phase = phaseDone
	}
	if p.phase != phaseDone {
		return StepResult{}, false, nil
	}
	r.cur, r.step = nil, p.n
	return p.res, true, nil
}

// drawPrompts draws n training prompts by the family mix.
func (r *Run) drawPrompts(n int) []world.Prompt {
	out := make([]world.Prompt, n)
	for i := range out {
		u := r.rng.Float64()
		f := world.Family(0)
		for ; f < world.NumFamilies-1; f++ {
			if u < stepMix[f] {
				break
			}
			u -= stepMix[f]
		}
		ps := r.train[f]
		out[i] = ps[r.rng.IntN(len(ps))]
	}
	return out
}

func (r *Run) refreshPrefix() error {
	if r.Cfg.Privileged != WithConstitution {
		return nil
	}
	pre := r.World.SystemPrefix(r.cons)
	r.prefix = r.Teacher.NewKVCache()
	if len(pre) == 0 {
		return nil
	}
	return r.Teacher.Extend(r.prefix, pre, make([]float32, len(pre)*r.Teacher.Config().Vocab))
}

// teacherLogitsWith scores the batch with the teacher and its privileged context.
// The constitution prefix is shared by every row; a gold answer is a prefix of
// its prompt's group of rows.
func (r *Run) teacherLogitsWith(b *batch, rng *rand.Rand) ([]float32, error) {
	if r.Cfg.Privileged == WithConstitution {
		return r.Teacher.ForwardWithPrefix(r.prefix, r.tActs, b.tokens, b.B, b.T), nil
	}
	V := r.Teacher.Config().Vocab
	out := make([]float32, b.B*b.T*V)
	for i := 0; i < b.B; {
		j := i
		for j < b.B && b.rows[j].Prompt.ID == b.rows[i].Prompt.ID {
			j++
		}
		ref := r.World.IdealResponse(b.rows[i].Prompt, rng)
		pre := r.World.ReferencePrefix(ref)
		cache := r.Teacher.NewKVCache()
		if err := r.Teacher.Extend(cache, pre, make([]float32, len(pre)*V)); err != nil {
			return nil, err
		}
		lg := r.Teacher.ForwardWithPrefix(cache, r.tActs, b.tokens[i*b.T:j*b.T], j-i, b.T)
		copy(out[i*b.T*V:], lg)
		i = j
	}
	return out, nil
}

// emaUpdate moves the teacher toward the student: t = d t + (1-d) s.
func emaUpdate(teacher, student *model.Model, decay float64) {
	tp, sp := teacher.Params(), student.Params()
	d := float32(decay)
	for i := range tp {
		tp[i] = float32(d*tp[i]) + float32((1-d)*sp[i])
	}
}

// sampleLogProb is log p(tok) under logits at temperature 1.
func sampleLogProb(logits []float32, tok int32) float64 {
	return float64(logits[tok]) - num.LogSumExp(logits)
}

// Evaluate measures the student now, with the samples per prompt the config
// gives the evaluation at this step (Config.EvalSamplesAt).
func (r *Run) Evaluate() (diag.Metrics, error) {
	return r.EvaluateWith(r.Cfg.EvalSamplesAt(r.step, r.Done()))
}

// EvaluateWith measures the student on the held-out prompts with samples
// answers per prompt.
func (r *Run) EvaluateWith(samples int) (diag.Metrics, error) {
	return diag.Evaluate(diag.Subject{
		World: r.World, Student: r.Student, Teacher: r.Teacher, Initial: r.Initial,
		TeacherPrefix: r.teacherPrefixFor,
	}, diag.Options{Samples: samples, Seed: r.Cfg.Seed, Temperature: r.Cfg.Temperature, TopK: r.Cfg.TopK})
}

// EvaluateTeacher measures the teacher on its own answers with the
// constitution in context, with FinalEvalSamples answers per held-out prompt
// (at least two) and its own sampling stream.
func (r *Run) EvaluateTeacher() (eval.Metrics, error) {
	m, _, err := eval.Evaluate(r.Teacher, r.World, r.cons, eval.Options{Samples: max(r.Cfg.FinalEvalSamples, 2),
		Seed: r.Cfg.Seed ^ 0x74656163, Temperature: r.Cfg.Temperature, TopK: r.Cfg.TopK})
	return m, err
}

// MeasureLeakage measures the constitution's leakage on the teacher.
func (r *Run) MeasureLeakage() (diag.Leakage, error) {
	return diag.MeasureLeakage(r.World, r.Teacher, r.cons,
		diag.Options{Samples: r.Cfg.EvalSamples, Seed: r.Cfg.Seed, Temperature: r.Cfg.Temperature, TopK: r.Cfg.TopK})
}

// teacherPrefixFor is the teacher's privileged context for prompt p.
func (r *Run) teacherPrefixFor(p world.Prompt) []int32 {
	if r.Cfg.Privileged == WithGold {
		// A fixed stream per prompt, so evaluations are reproducible.
		h := fnv.New64a()
		h.Write([]byte(p.ID))
		rng := rand.New(rand.NewPCG(r.Cfg.Seed, h.Sum64()))
		return r.World.ReferencePrefix(r.World.IdealResponse(p, rng))
	}
	return r.World.SystemPrefix(r.cons)
}
