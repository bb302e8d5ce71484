package distill

import (
	"errors"
	"fmt"
	"hash/fnv"
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

	cons   world.Constitution
	opt    *model.Adam
	rng    *rand.Rand // each step's prompts (shards and probes have their own streams)
	step   int        // steps completed
	cur    *partial   // the step in progress (Advance), or nil
	probes []world.Prompt
	train  [world.NumFamilies][]world.Prompt

	prefix  *model.KVCache // the teacher's constitution prefix: nil when the teacher moved since
	exec    Executor       // computes the shards of each step's stages
	own     *Replica       // DoShard's: shards computed on the run's own thread
	workers int            // goroutines of the local executor and the evaluation

	CrossSFT *CrossSFTReport // what the Cross-SFT cold start did, when configured

	// FullTrace makes each probe token record carry both models' whole
	// next-token log-probabilities (TokenRecord.Full). It changes only what
	// is recorded, never the training, so it is not part of the Config.
	FullTrace bool

	// Yield, when set, is called often during an evaluation
	// (eval.Options.Yield): between its decoding steps and scoring passes.
	// It changes nothing the evaluation computes.
	Yield func()
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
	r.UseWorkers(base.Model.Workers) // GOMAXPROCS unless the caller set it

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
// wait for a whole step. The sharded phases (sample, grad) hand their shard
// works to the run's Executor, which computes one shard per Advance call on
// one thread, or the whole stage at once on several. The phases do exactly
// what one uninterrupted step does, in the same order, so results do not
// depend on where a step was interrupted or on how many workers computed it.
//
// phaseGrad runs once per PPO epoch of the sampled-token and reward
// objectives (once for a full-vocabulary divergence): every shard's
// gradient, their sum in shard order, one optimizer step.
const (
	phaseSample = iota // each shard's G rollouts
	phaseGrad          // each shard's gradient; their sum; the optimizer step; at the end, the EMA teacher
	phaseProbe         // the probe rollouts' token records
	phaseDone
)

// partial is a step in progress.
type partial struct {
	n         int    // the step's number
	cfg       Config // the knobs as the step started
	phase     int
	epoch     int  // PPO epoch of phaseGrad
	submitted bool // the phase's works are with the executor
	picks     [][2]int
	rows      [][]WireRollout // each shard's rollouts
	nTok      int             // the step's predicted positions
	toks      [][]SampledTok  // each shard's sampled tokens (PPO)
	res       StepResult
}

// MidStep reports whether Advance has started a step it has not finished.
func (r *Run) MidStep() bool { return r.cur != nil }

// Advance does the next part of the current step, starting one when none
// is in progress, and reports whether the step is complete (then res is its
// result and StepNum has moved on). An error abandons the step.
func (r *Run) Advance() (res StepResult, done bool, err error) {
	p := r.cur
	if p == nil {
		if r.Done() {
			return StepResult{}, false, errors.New("run is finished")
		}
		cfg := r.Cfg
		p = &partial{n: r.step + 1, cfg: cfg, picks: r.drawPrompts(cfg.Prompts)}
		p.res.Step = p.n
		r.cur = p
	}
	defer func() {
		if err != nil {
			r.cur = nil
		}
	}()
	switch p.phase {
	case phaseSample:
		err = r.advanceSample(p)
	case phaseGrad:
		err = r.advanceGrad(p)
	case phaseProbe:
		err = r.advanceProbe(p)
	}
	if err != nil || p.phase != phaseDone {
		return StepResult{}, false, err
	}
	r.cur, r.step = nil, p.n
	return p.res, true, nil
}

// collect submits the phase's works once, then does ready (when not nil):
// what the run's own shards need first, and a pool's helpers, which
// compute theirs on replicas of their own, need not wait for. It returns
// the works' outputs when the executor has them all. (An executor computes
// nothing at Submit: LocalExecutor in Collect, a pool's helpers on replicas
// of their own.)
func (r *Run) collect(p *partial, n int, works func() []ShardWork, ready func() error) ([]ShardOut, bool, error) {
	if !p.submitted {
		if err := r.exec.Submit(works()); err != nil {
			return nil, false, err
		}
		p.submitted = true
		if ready != nil {
			if err := ready(); err != nil {
				return nil, false, err
			}
		}
	}
	outs, done, err := r.exec.Collect()
	if err != nil || !done {
		return nil, false, err
	}
	if len(outs) != n {
		return nil, false, fmt.Errorf("the executor returned %d shards of %d", len(outs), n)
	}
	p.submitted = false
	return outs, true, nil
}

func (r *Run) advanceSample(p *partial) error {
	outs, done, err := r.collect(p, p.cfg.Prompts, func() []ShardWork {
		works := make([]ShardWork, p.cfg.Prompts)
		for s, pk := range p.picks {
			works[s] = ShardWork{Step: p.n, Shard: s, Stage: StageSample, Cfg: p.cfg, Family: pk[0], Index: pk[1]}
		}
		return works
	}, nil)
	if err != nil || !done {
		return err
	}
	var all []Rollout
	for _, o := range outs {
		rows, err := r.unwireRows(o.Rows)
		if err != nil {
			return err
		}
		if len(rows) != p.cfg.G {
			return fmt.Errorf("a shard returned %d rollouts of %d", len(rows), p.cfg.G)
		}
		p.rows = append(p.rows, o.Rows)
		all = append(all, rows...)
	}
	for _, ro := range all {
		p.nTok += ro.positions()
	}
	p.nTok = max(p.nTok, 1)
	rolloutMetrics(r.World, all, &p.res.Train)
	p.phase = phaseGrad
	p.toks = make([][]SampledTok, p.cfg.Prompts)
	return nil
}

func (r *Run) advanceGrad(p *partial) error {
	cfg := p.cfg
	var ready func() error // the teacher's prefix, for the run's own shards
	if !p.submitted && p.epoch == 0 {
		ready = r.ensurePrefix
	}
	outs, done, err := r.collect(p, cfg.Prompts, func() []ShardWork {
		works := make([]ShardWork, cfg.Prompts)
		for s := range works {
			works[s] = ShardWork{Step: p.n, Shard: s, Stage: StageGrad, Epoch: p.epoch, Cfg: cfg,
				Family: p.picks[s][0], Index: p.picks[s][1], Rows: p.rows[s],
				B: cfg.Prompts * cfg.G, NTok: p.nTok, Toks: p.toks[s]}
		}
		return works
	}, ready)
	if err != nil || !done {
		return err
	}
	var sums ShardSums
	grads := r.Student.Grads()
	clear(grads)
	for s, o := range outs {
		if len(o.Grad) != len(grads) {
			return fmt.Errorf("shard %d returned a gradient of %d numbers for %d parameters", s, len(o.Grad), len(grads))
		}
		sums.add(o.Sums)
		for i, g := range o.Grad {
			grads[i] += g
		}
		if p.epoch == 0 {
			p.toks[s] = o.Toks
		}
	}
	apply, last := r.fold(p, sums)
	u := Update{Step: p.n, Epoch: p.epoch, LR: cfg.LR, EndStep: last, Cfg: cfg}
	if apply {
		r.opt.LR = cfg.LR
		p.res.Train.GradNorm = float64(r.opt.Step(r.Student))
		u.Grad = grads
	}
	if last {
		r.endStep(p)
	}
	if err := r.exec.Apply(u); err != nil {
		return err
	}
	p.epoch++
	return nil
}

// fold files an epoch's summed shard sums in the step's training metrics
// and says whether to take the optimizer step and whether the step's
// updates are over. A non-finite loss or divergence skips the step.
func (r *Run) fold(p *partial, s ShardSums) (apply, last bool) {
	tm, n := &p.res.Train, float64(p.nTok)
	if p.epoch == 0 {
		tm.StudentEntropy, tm.TeacherEntropy, tm.Divergence = s.EntS/n, s.EntT/n, s.Div/n
	}
	if p.cfg.Objective.FullVocab() {
		if !finite(s.Div) || !finite(s.Loss) {
			tm.Loss, tm.Divergence = s.Loss, s.Div
			return false, true
		}
		tm.Loss, tm.KLInitial = s.Loss, s.KL/n
		return true, true
	}
	switch {
	case p.epoch == 0 && !finite(s.Div):
		tm.Loss, tm.Divergence = 0, s.Div
		return false, true
	case !finite(s.Loss):
		tm.Loss = s.Loss
		return false, true
	}
	tm.Loss, tm.KLInitial = s.Loss/n, s.KL/n
	return true, p.epoch+1 >= p.cfg.PPOEpochs
}

// endStep finishes a step's updates: the warning of a skipped update and
// the EMA teacher's move.
func (r *Run) endStep(p *partial) {
	tr := p.res.Train
	if !finite(tr.Loss) || !finite(tr.Divergence) {
		p.res.Warning = fmt.Sprintf("non-finite loss (%v) or divergence (%v) at step %d: the update was skipped", tr.Loss, tr.Divergence, p.n)
	}
	if p.cfg.Teacher == EMA {
		emaUpdate(r.Teacher, r.Student, p.cfg.EMADecay)
	}
	if p.cfg.Teacher != Frozen {
		r.prefix = nil // the teacher moved: its prefix is recomputed before its next use
	}
	p.phase = phaseProbe
	if min(p.cfg.Probes, len(r.probes)) == 0 {
		p.phase = phaseDone
	}
}

// advanceProbe traces the step's probes, one work per probe, on the
// weights the step left.
func (r *Run) advanceProbe(p *partial) error {
	n := min(p.cfg.Probes, len(r.probes))
	outs, done, err := r.collect(p, n, func() []ShardWork {
		works := make([]ShardWork, n)
		for i := range works {
			works[i] = ShardWork{Step: p.n, Shard: i, Stage: StageProbe, Cfg: p.cfg, Full: r.FullTrace}
		}
		return works
	}, r.ensurePrefix)
	if err != nil || !done {
		return err
	}
	p.res.Probes = make([]ProbeTrace, n)
	for i, o := range outs {
		if o.Probe == nil {
			return fmt.Errorf("probe %d came back without its trace", i)
		}
		p.res.Probes[i] = *o.Probe
	}
	p.phase = phaseDone
	return nil
}

// drawPrompts draws n training prompts by the family mix, as (family,
// index) pairs.
func (r *Run) drawPrompts(n int) [][2]int {
	out := make([][2]int, n)
	for i := range out {
		u := r.rng.Float64()
		f := world.Family(0)
		for ; f < world.NumFamilies-1; f++ {
			if u < stepMix[f] {
				break
			}
			u -= stepMix[f]
		}
		out[i] = [2]int{int(f), r.rng.IntN(len(r.train[f]))}
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

// ensurePrefix computes the teacher's prefix if the teacher moved since it
// was last computed.
func (r *Run) ensurePrefix() error {
	if r.prefix != nil {
		return nil
	}
	return r.refreshPrefix()
}

// goldTeacherLogits scores batch b with teacher and, as its privileged
// context, an ideal answer drawn from rng for each prompt: the answer is a
// prefix of its prompt's group of rows.
func goldTeacherLogits(w *world.World, teacher *model.Model, acts *model.Acts, b *batch, rng *rand.Rand) ([]float32, error) {
	V := teacher.Config().Vocab
	out := make([]float32, b.B*b.T*V)
	for i := 0; i < b.B; {
		j := i
		for j < b.B && b.rows[j].Prompt.ID == b.rows[i].Prompt.ID {
			j++
		}
		pre := w.ReferencePrefix(w.IdealResponse(b.rows[i].Prompt, rng))
		cache := teacher.NewKVCache()
		if err := teacher.Extend(cache, pre, make([]float32, len(pre)*V)); err != nil {
			return nil, err
		}
		lg := teacher.ForwardWithPrefix(cache, acts, b.tokens[i*b.T:j*b.T], j-i, b.T)
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
	return diag.Evaluate(r.evalSubject(), r.evalOptions(samples))
}

// EvalChunks is how many chunks an evaluation with samples answers per
// held-out prompt splits into (diag.Chunks); EvaluateChunk computes one,
// and CombineEval makes the evaluation of them all, in chunk order: the
// bits of EvaluateWith, wherever the chunks were computed.
func (r *Run) EvalChunks(samples int) int { return diag.Chunks(r.World, r.evalOptions(samples)) }

// EvaluateChunk computes chunk c of an evaluation (see EvalChunks).
func (r *Run) EvaluateChunk(samples, c int) (diag.Part, error) {
	return diag.EvaluateChunk(r.evalSubject(), r.evalOptions(samples), c)
}

// CombineEval is the evaluation whose chunks, in order, are parts.
func (r *Run) CombineEval(parts []diag.Part, samples int) diag.Metrics {
	return diag.Combine(parts, r.evalOptions(samples), true)
}

func (r *Run) evalSubject() diag.Subject {
	return diag.Subject{World: r.World, Student: r.Student, Teacher: r.Teacher, Initial: r.Initial,
		TeacherPrefix: r.teacherPrefixFor}
}

func (r *Run) evalOptions(samples int) diag.Options {
	return diag.Options{Samples: samples, Seed: r.Cfg.Seed, Temperature: r.Cfg.Temperature, TopK: r.Cfg.TopK, Workers: r.workers, Yield: r.Yield}
}

// EvaluateTeacher measures the teacher on its own answers with the
// constitution in context, with FinalEvalSamples answers per held-out prompt
// (at least two) and its own sampling stream.
func (r *Run) EvaluateTeacher() (eval.Metrics, error) {
	m, _, err := eval.Evaluate(r.Teacher, r.World, r.cons, eval.Options{Samples: max(r.Cfg.FinalEvalSamples, 2),
		Seed: r.Cfg.Seed ^ 0x74656163, Temperature: r.Cfg.Temperature, TopK: r.Cfg.TopK, Workers: r.workers})
	return m, err
}

// MeasureLeakage measures the constitution's leakage on the teacher.
func (r *Run) MeasureLeakage() (diag.Leakage, error) {
	return diag.MeasureLeakage(r.World, r.Teacher, r.cons,
		diag.Options{Samples: r.Cfg.EvalSamples, Seed: r.Cfg.Seed, Temperature: r.Cfg.Temperature, TopK: r.Cfg.TopK, Workers: r.workers})
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
