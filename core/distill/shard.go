package distill

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// A step's work is split into shards that the config alone fixes: shard s
// is the step's s-th prompt with its G rollouts, so a step has
// Config.Prompts shards whatever number of workers computes them. A shard
// draws its rollouts from a random stream of its own, derived from (seed,
// step, shard); it scores them with the teacher, runs the student forward
// and backward over them and returns its gradient and its sums. The
// coordinator (Run.Advance) adds the shards' gradients in shard order and
// takes one optimizer step; the PPO objectives do that once per epoch. So
// one worker computing every shard, and K workers computing them in
// parallel, natively or in K Web Workers, give the same bits.
//
// A stage of a step is a list of ShardWork items, one per shard, which an
// Executor computes on replicas of the run: views of the run's own models
// on goroutines (LocalExecutor), or whole copies of the run in other Web
// Workers that apply every Update the coordinator makes.

// Shard stages.
const (
	StageSample = "sample" // the shard's G rollouts
	StageGrad   = "grad"   // its gradient (and, at epoch 0, the teacher's scores)
	StageProbe  = "probe"  // after the update, probe Shard's traced answer (a step has Config.Probes of them)
)

// ShardWork is one shard's part of one stage of a step: everything a
// replica of the run needs besides its weights.
type ShardWork struct {
	Step   int    `json:"step"`
	Shard  int    `json:"shard"`
	Stage  string `json:"stage"`
	Epoch  int    `json:"epoch,omitempty"`
	Cfg    Config `json:"cfg"`    // the knobs as the step started
	Family int    `json:"family"` // the shard's prompt: Run's training prompts of this family ...
	Index  int    `json:"index"`  // ... at this index
	// The grad stage's inputs: the shard's rollouts, the step's rollouts
	// and predicted positions in all (the objectives' normalisers), and, at
	// PPO epochs after the first, the sampled tokens epoch 0 returned.
	Rows []WireRollout `json:"rows,omitempty"`
	B    int           `json:"b,omitempty"`
	NTok int           `json:"ntok,omitempty"`
	Toks []SampledTok  `json:"toks,omitempty"`
	// Full makes a probe work record the full distributions (Run.FullTrace).
	Full bool `json:"full,omitempty"`
}

// ShardOut is what a replica returns for a ShardWork.
type ShardOut struct {
	Rows  []WireRollout `json:"rows,omitempty"`  // sample stage
	Sums  ShardSums     `json:"sums"`            // grad stage
	Toks  []SampledTok  `json:"toks,omitempty"`  // grad stage of a PPO objective at epoch 0
	Grad  []float32     `json:"-"`               // grad stage: the shard's gradient, layout of model.Params
	Probe *ProbeTrace   `json:"probe,omitempty"` // probe stage
}

// ShardSums are a shard's sums over its predicted positions, added in shard
// order by the coordinator.
type ShardSums struct {
	Div  float64 `json:"div"`  // divergence (full-vocabulary) or clipped reward (sampled)
	Loss float64 `json:"loss"` // the objective, with its scale
	KL   float64 `json:"kl"`   // k3 to the initial student
	EntS float64 `json:"ent_s"`
	EntT float64 `json:"ent_t"`
}

func (s *ShardSums) add(o ShardSums) {
	s.Div += o.Div
	s.Loss += o.Loss
	s.KL += o.KL
	s.EntS += o.EntS
	s.EntT += o.EntT
}

// WireRollout is a Rollout as it crosses to a replica: its prompt by
// family and index among the run's training prompts.
type WireRollout struct {
	Family   int     `json:"family"`
	Index    int     `json:"index"`
	Response []int32 `json:"response"`
	Ended    bool    `json:"ended"`
}

// SampledTok is a sampled token of a shard, kept across PPO epochs.
type SampledTok struct {
	Row     int     `json:"row"` // within the shard
	K       int     `json:"k"`
	Y       int32   `json:"y"`
	OldLogP float64 `json:"old_logp"` // the student's log p(y) before the update
	RefL    float64 `json:"ref_logp"` // the initial student's log p(y), when there is a KL penalty
	Adv     float64 `json:"adv"`      // the advantage
}

// Update is what the coordinator did to its weights after a stage: every
// replica that holds weights of its own does the same and stays identical.
// Grad is the reduced gradient (nil: no optimizer step, the loss was not
// finite); EndStep says the step is over, so an EMA teacher moves.
type Update struct {
	Step    int       `json:"step"`
	Epoch   int       `json:"epoch"`
	LR      float32   `json:"lr"`
	EndStep bool      `json:"end_step"`
	Cfg     Config    `json:"cfg"`
	Grad    []float32 `json:"-"`
}

// An Executor computes a stage's shard works on replicas of the run.
// Submit hands it a stage; Collect returns the outputs in work order once
// every work is done (done false until then: call again). Collect may
// compute a part of the stage before it returns, so that a caller with one
// thread can stop between calls. Apply passes the coordinator's update on
// to replicas with weights of their own (local views need nothing).
type Executor interface {
	Submit(works []ShardWork) error
	Collect() (outs []ShardOut, done bool, err error)
	Apply(u Update) error
}

// Replica computes shard works against one copy of a run's weights. A
// Run has replicas for its own goroutines; a Web Worker holds a Run of its
// own as the replica of another's (NewReplica).
type Replica struct {
	run                 *Run
	student             *model.Model // a view of run.Student with its own gradient
	teacher, initial    *model.Model // views for inference
	sActs, tActs, iActs *model.Acts
}

func (r *Run) newReplica(kernelWorkers int) *Replica {
	rp := &Replica{run: r, student: r.Student.View(kernelWorkers),
		sActs: &model.Acts{}, tActs: &model.Acts{}, iActs: &model.Acts{}}
	rp.initial = r.Initial.ReadView(kernelWorkers)
	rp.teacher = rp.student
	if r.Teacher != r.Student {
		rp.teacher = r.Teacher.ReadView(kernelWorkers)
	}
	reserve(r.World, r.Cfg.G, append(r.train[:], r.probes), pass{rp.student, rp.sActs, true}, pass{rp.initial, rp.iActs, false}, pass{rp.teacher, rp.tActs, false})
	return rp
}

// pass is a forward pass (and, when backward, its backward pass) that
// reserve sizes: the last is the teacher's, after a privileged prefix.
type pass struct {
	m        *model.Model
	acts     *model.Acts
	backward bool
}

// reserve runs passes once, on padding, at the largest shape they can
// have — B answers of the longest of prompts, each as long as an answer may
// be, the teacher's after the longest privileged prefix — so that their
// activation buffers never grow afterwards: a run's memory is flat from its
// first step. It touches no weights and no random stream; a gradient it
// leaves is cleared before every use.
func reserve(w *world.World, B int, prompts [][]world.Prompt, passes ...pass) {
	turn := 0
	for _, ps := range prompts {
		for _, p := range ps {
			turn = max(turn, len(w.UserTurn(p.Tokens)))
		}
	}
	cfg := passes[0].m.Config()
	T := turn + max(min(eval.MaxResponse, cfg.Ctx-turn-maxPrefix), 0)
	if B <= 0 || turn == 0 || T+maxPrefix > cfg.Ctx {
		return
	}
	pad := make([]int32, B*T+maxPrefix)
	for i := range pad {
		pad[i] = w.PadID()
	}
	for i, p := range passes {
		if i < len(passes)-1 {
			p.m.Forward(p.acts, pad[:B*T], B, T)
			if p.backward {
				p.m.Backward(p.acts, make([]float32, B*T*cfg.Vocab))
			}
			continue
		}
		pre := p.m.NewKVCache()
		if p.m.Extend(pre, pad[:maxPrefix], make([]float32, maxPrefix*cfg.Vocab)) == nil {
			p.m.ForwardWithPrefix(pre, p.acts, pad[:B*T], B, T)
		}
	}
}

// Do computes one shard work.
func (rp *Replica) Do(wk ShardWork) (ShardOut, error) {
	r := rp.run
	n, of := wk.Cfg.Prompts, "prompts"
	if wk.Stage == StageProbe {
		n, of = min(wk.Cfg.Probes, len(r.probes)), "probes"
	}
	if wk.Shard < 0 || wk.Shard >= n {
		return ShardOut{}, fmt.Errorf("shard %d of a step of %d %s", wk.Shard, n, of)
	}
	switch wk.Stage {
	case StageProbe:
		return rp.probe(wk)
	case StageSample:
		pr, err := r.trainPrompt(wk.Family, wk.Index)
		if err != nil {
			return ShardOut{}, err
		}
		rng := shardStream(wk.Cfg.Seed, wk.Step, wk.Shard, streamRollouts)
		rows, err := sampleGroup(rp.student, r.World, pr, wk.Cfg.G, wk.Cfg.Temperature, wk.Cfg.TopK, rng)
		if err != nil {
			return ShardOut{}, err
		}
		return ShardOut{Rows: wireRows(rows, wk.Family, wk.Index)}, nil
	case StageGrad:
		rows, err := r.unwireRows(wk.Rows)
		if err != nil {
			return ShardOut{}, err
		}
		if len(rows) == 0 || wk.B <= 0 || wk.NTok <= 0 {
			return ShardOut{}, errors.New("a grad work without rollouts")
		}
		return rp.grad(wk, newBatch(r.World, rows))
	}
	return ShardOut{}, fmt.Errorf("unknown shard stage %q", wk.Stage)
}

// Random streams of a shard, by use.
const (
	streamRollouts = 0x726f6c6c // "roll"
	streamGold     = 0x676f6c64 // "gold": the gold teacher's ideal answers
	streamProbe    = 0x70726f62 // "prob": a probe's answer (and its gold teacher's ideal answer)
)

// shardStream is the random stream of one use by one shard of one step:
// PCG seeded with the run's seed and a SplitMix64 hash of (use, step,
// shard), so that streams never overlap in practice and none depends on
// which worker computes the shard.
func shardStream(seed uint64, step, shard int, use uint64) *rand.Rand {
	x := use<<32 ^ uint64(step)<<16 ^ uint64(shard)
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return rand.New(rand.NewPCG(seed, x))
}

func (r *Run) trainPrompt(family, index int) (world.Prompt, error) {
	if family < 0 || family >= int(world.NumFamilies) || index < 0 || index >= len(r.train[family]) {
		return world.Prompt{}, fmt.Errorf("no training prompt %d of family %d", index, family)
	}
	return r.train[family][index], nil
}

func wireRows(rows []Rollout, family, index int) []WireRollout {
	out := make([]WireRollout, len(rows))
	for i, ro := range rows {
		out[i] = WireRollout{Family: family, Index: index, Response: ro.Response, Ended: ro.Ended}
	}
	return out
}

func (r *Run) unwireRows(ws []WireRollout) ([]Rollout, error) {
	out := make([]Rollout, len(ws))
	V := int32(r.Student.Config().Vocab)
	for i, w := range ws {
		p, err := r.trainPrompt(w.Family, w.Index)
		if err != nil {
			return nil, err
		}
		for _, t := range w.Response {
			if t < 0 || t >= V {
				return nil, fmt.Errorf("rollout token %d outside the vocabulary", t)
			}
		}
		out[i] = Rollout{Prompt: p, Response: w.Response, Ended: w.Ended}
	}
	return out, nil
}

// LocalExecutor computes shard works on the run's own replicas: one at a
// time per Collect call with one worker (so that a single-threaded caller
// stays responsive), all of them in one call on that many goroutines
// otherwise.
type LocalExecutor struct {
	replicas []*Replica
	works    []ShardWork
	outs     []ShardOut
	next     int
}

// UseWorkers makes the run compute each stage's shards on k goroutines
// (k < 1 means 1), each with its own view of the models, and evaluate
// with k goroutines. It changes the speed only, never a bit of the run.
func (r *Run) UseWorkers(k int) {
	k = max(k, 1)
	kernel := 1 // shards in parallel, kernels serial
	e := &LocalExecutor{}
	for range k {
		e.replicas = append(e.replicas, r.newReplica(kernel))
	}
	r.exec, r.workers, r.own = e, k, e.replicas[0]
	for _, m := range []*model.Model{r.Student, r.Teacher, r.Initial} {
		m.Workers = k // the coordinator's own passes: probes, prefix, optimizer, evaluation
	}
}

// UseExecutor makes the run compute its shards with e (a pool of Web
// Workers); the run still evaluates on its own thread.
func (r *Run) UseExecutor(e Executor) { r.exec = e }

// Submit implements Executor.
func (e *LocalExecutor) Submit(works []ShardWork) error {
	e.works, e.outs, e.next = works, make([]ShardOut, len(works)), 0
	return nil
}

// Collect implements Executor.
func (e *LocalExecutor) Collect() ([]ShardOut, bool, error) {
	if len(e.replicas) == 1 {
		if e.next < len(e.works) {
			out, err := e.replicas[0].Do(e.works[e.next])
			if err != nil {
				return nil, false, err
			}
			e.outs[e.next] = out
			e.next++
		}
		return e.outs, e.next == len(e.works), nil
	}
	errs := make([]error, len(e.works))
	bins := Balance(e.replicas[0].run.WorkCosts(e.works), len(e.replicas))
	var wg sync.WaitGroup
	for w, rp := range e.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, bin := range bins {
				if bin == w {
					e.outs[i], errs[i] = rp.Do(e.works[i])
				}
			}
		}()
	}
	wg.Wait()
	e.next = len(e.works)
	return e.outs, true, errors.Join(errs...)
}

// Apply implements Executor: local replicas are views of the run's own
// weights and need nothing.
func (e *LocalExecutor) Apply(Update) error { return nil }

// NewReplica prepares a run of cfg that replicates another's weights in a
// Web Worker of a pool: no Cross-SFT of its own, the teacher's weights
// (after the other's Cross-SFT) given instead, nil for a live teacher or
// one that starts as the base. It computes shard works (DoShard) and
// applies the other's updates (ApplyUpdate), one shard at a time.
func NewReplica(base *pretrain.Base, cfg Config, teacher []float32) (*Run, error) {
	cfg.CrossSFTEpochs = 0
	r, err := NewRun(base, cfg)
	if err != nil {
		return nil, err
	}
	r.UseWorkers(1)
	if teacher != nil {
		if r.Teacher == r.Student {
			return nil, errors.New("replica: a live teacher has no weights of its own")
		}
		if len(teacher) != len(r.Teacher.Params()) {
			return nil, fmt.Errorf("replica: teacher of %d parameters, want %d", len(teacher), len(r.Teacher.Params()))
		}
		copy(r.Teacher.Params(), teacher)
	}
	return r, nil
}

// DoShard computes one shard work on the run's own weights.
func (r *Run) DoShard(wk ShardWork) (ShardOut, error) {
	if err := r.ensurePrefix(); err != nil {
		return ShardOut{}, err
	}
	if r.own == nil {
		r.own = r.newReplica(1)
	}
	return r.own.Do(wk)
}

// ApplyUpdate does to the run's weights what the coordinator did to its
// own (Update): the optimizer step on the reduced gradient, and at the end
// of a step the EMA teacher's move. The teacher's prefix is recomputed
// before the next shard when the teacher moved.
func (r *Run) ApplyUpdate(u Update) error {
	if u.Grad != nil {
		g := r.Student.Grads()
		if len(u.Grad) != len(g) {
			return fmt.Errorf("replica: gradient of %d numbers for %d parameters", len(u.Grad), len(g))
		}
		copy(g, u.Grad)
		r.opt.LR = u.LR
		r.opt.Step(r.Student)
	}
	if u.EndStep {
		if u.Cfg.Teacher == EMA {
			emaUpdate(r.Teacher, r.Student, u.Cfg.EMADecay)
		}
		if u.Cfg.Teacher != Frozen {
			r.prefix = nil
		}
		r.step = u.Step
	}
	return nil
}

// WeightsHash is a hash of the student's weights (model.HashFloats): the
// same on every replica of a run exactly when the replicas agree.
func (r *Run) WeightsHash() uint64 { return model.HashFloats(r.Student.Params()) }
