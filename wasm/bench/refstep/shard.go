package refstep

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/num"
)

// Sharded is the reference OPSD step split as core/distill splits its
// steps: shard s is prompt s with its G samples. A shard samples its rows
// from a random stream of its own, derived from (seed, step, shard), has
// the teacher score them (the teacher's prefix once per step and worker),
// runs the student forward, the reverse-KL gradient (normalised by the
// whole step's positions) and backward over them, and yields its gradient.
// The step adds the shard gradients in shard order and takes one AdamW
// step. So the parameters after a step depend on the seed alone, not on
// how many workers computed the shards, or where: goroutines here
// (UseWorkers), Web Workers each holding a whole Sharded in the browser
// benchmark (Shard, then Apply with every shard's gradient).
//
// Its random streams differ from OPSD's, so its parameters (and hash)
// differ from the unsharded step's; its arithmetic per row is the same.
type Sharded struct {
	S            Shape
	Student      *model.Model
	Teacher      *model.Model
	opt          *model.Adam
	seed         uint64
	step         int
	prefixTokens []int32
	prompts      [][]int32
	workers      []*ShardWorker
	grads        [][]float32 // per shard, for Step
	divs         []float64
}

// ShardWorker is one worker's buffers and views of the models: it computes
// shards on its own while other workers compute others.
type ShardWorker struct {
	o                *Sharded
	student, teacher *model.Model // views: own gradient, own passes
	sActs, tActs     *model.Acts
	shared, cache    *model.KVCache
	prefix           *model.KVCache
	prefixStep       int // the step the prefix was computed for (-1: none)
	tokens           []int32
	tLogits, dlogits []float32
	probs, stepLg    []float32
	logits           []float32
	ls, lt, ps, pt   []float64
}

// NewSharded builds a sharded reference run with seeded random weights,
// the same weights, prompts and teacher prefix as NewOPSD(s, seed), with
// one worker.
func NewSharded(s Shape, seed uint64) (*Sharded, error) {
	o, err := NewOPSD(s, seed)
	if err != nil {
		return nil, err
	}
	sh := &Sharded{S: s, Student: o.Student, Teacher: o.Teacher, opt: o.opt, seed: seed,
		prefixTokens: o.prefixTokens, prompts: o.prompts,
		grads: make([][]float32, s.Prompts), divs: make([]float64, s.Prompts)}
	sh.UseWorkers(1)
	return sh, nil
}

// UseWorkers makes Step compute the shards on k goroutines (k < 1 means
// 1), shard s on worker s mod k. It changes the speed only.
func (o *Sharded) UseWorkers(k int) {
	o.workers = nil
	for range max(k, 1) {
		o.workers = append(o.workers, o.newWorker())
	}
}

func (o *Sharded) newWorker() *ShardWorker {
	s := o.S
	V, T := s.Model.Vocab, s.PromptLen+s.Response
	return &ShardWorker{o: o, student: o.Student.View(1), teacher: o.Teacher.ReadView(1),
		sActs: new(model.Acts), tActs: new(model.Acts),
		shared: o.Student.NewKVCache(), cache: o.Student.NewKVCache(), prefix: o.Teacher.NewKVCache(), prefixStep: -1,
		tokens: make([]int32, s.G*T), probs: make([]float32, V), stepLg: make([]float32, V),
		logits: make([]float32, s.PromptLen*V),
		ls:     make([]float64, V), lt: make([]float64, V), ps: make([]float64, V), pt: make([]float64, V)}
}

// Shards is the number of shards of a step.
func (o *Sharded) Shards() int { return o.S.Prompts }

// StepNum is the number of steps taken.
func (o *Sharded) StepNum() int { return o.step }

// Step takes one step on the run's workers and returns the mean per-token
// reverse KL.
func (o *Sharded) Step() float64 {
	k := len(o.workers)
	work := func(w int) {
		for s := w; s < o.Shards(); s += k {
			g, div := o.workers[w].Shard(o.step, s)
			o.grads[s], o.divs[s] = append(o.grads[s][:0], g...), div
		}
	}
	if k == 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := range k {
			wg.Go(func() { work(w) })
		}
		wg.Wait()
	}
	if err := o.Apply(o.grads); err != nil {
		panic(err)
	}
	var div float64
	for _, d := range o.divs {
		div += d
	}
	return div / float64(o.S.Rows()*o.S.Response)
}

// Shard computes shard s of step `step` on the run's first worker: the
// browser benchmark's replicas call it for the shards given to them.
func (o *Sharded) Shard(step, s int) ([]float32, float64) { return o.workers[0].Shard(step, s) }

// Apply adds the shards' gradients in shard order, takes one AdamW step
// and ends the step. Every replica that applies the same gradients keeps
// the same parameters.
func (o *Sharded) Apply(grads [][]float32) error {
	g := o.Student.Grads()
	if len(grads) != o.Shards() {
		return fmt.Errorf("refstep: %d shard gradients for %d shards", len(grads), o.Shards())
	}
	for s, gs := range grads {
		if len(gs) != len(g) {
			return fmt.Errorf("refstep: shard %d gradient of %d numbers for %d parameters", s, len(gs), len(g))
		}
		if s == 0 {
			copy(g, gs)
			continue
		}
		for i, x := range gs {
			g[i] += x
		}
	}
	o.opt.Step(o.Student)
	o.step++
	return nil
}

// shardStream is the random stream of one shard of one step: PCG seeded
// with the run's seed and a SplitMix64 hash of (step, shard).
func shardStream(seed uint64, step, shard int) *rand.Rand {
	x := uint64(step)<<16 ^ uint64(shard)
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return rand.New(rand.NewPCG(seed, x))
}

// Shard computes shard s of step `step`: its rows, the teacher's scores,
// the student's gradient over them. It returns the worker's gradient
// buffer (valid until its next Shard) and the shard's divergence sum.
func (w *ShardWorker) Shard(step, s int) ([]float32, float64) {
	o, sh := w.o, w.o.S
	V, T := sh.Model.Vocab, sh.PromptLen+sh.Response
	w.rollouts(o.prompts[s], shardStream(o.seed, step, s))
	if w.prefixStep != step { // the teacher's prefix, once per step on this worker
		w.prefix.Truncate(0)
		if err := w.teacher.Extend(w.prefix, o.prefixTokens, make([]float32, sh.Prefix*V)); err != nil {
			panic(err)
		}
		w.prefixStep = step
	}
	w.tLogits = append(w.tLogits[:0], w.teacher.ForwardWithPrefix(w.prefix, w.tActs, w.tokens, sh.G, T)...)
	lg := w.student.Forward(w.sActs, w.tokens, sh.G, T)
	if cap(w.dlogits) < len(lg) {
		w.dlogits = make([]float32, len(lg))
	}
	d := w.dlogits[:len(lg)]
	clear(d)
	var div float64
	scale := 1 / float64(sh.Rows()*sh.Response) // the whole step's positions
	for b := range sh.G {
		for k := range sh.Response {
			off := (b*T + sh.PromptLen - 1 + k) * V
			div += reverseKL(w.ls, w.lt, w.ps, w.pt, lg[off:off+V], w.tLogits[off:off+V], d[off:off+V], scale)
		}
	}
	w.student.ZeroGrad()
	w.student.Backward(w.sActs, d)
	return w.student.Grads(), div
}

// rollouts samples the shard's G rows from the student.
func (w *ShardWorker) rollouts(prompt []int32, rng *rand.Rand) {
	sh, m := w.o.S, w.student
	V, T := sh.Model.Vocab, sh.PromptLen+sh.Response
	w.shared.Truncate(0)
	if err := m.Extend(w.shared, prompt, w.logits); err != nil {
		panic(err)
	}
	for g := range sh.G {
		row := w.tokens[g*T:][:T]
		copy(row, prompt)
		w.cache.CopyFrom(w.shared)
		last := w.logits[(sh.PromptLen-1)*V:][:V]
		for k := range sh.Response {
			num.Softmax(w.probs, last, 1)
			tok := int32(model.Sample(w.probs, 0, rng.Float64()))
			row[sh.PromptLen+k] = tok
			if k+1 == sh.Response {
				break
			}
			if err := m.Extend(w.cache, row[sh.PromptLen+k:][:1], w.stepLg); err != nil {
				panic(err)
			}
			last = w.stepLg
		}
	}
}

// reverseKL writes into out the gradient, times scale, of KL(student ||
// teacher) at one position with respect to the student's logits and
// returns the divergence (float64 log softmax, as the engine computes it).
func reverseKL(ls, lt, ps, pt []float64, student, teacher, out []float32, scale float64) float64 {
	num.LogProbs64(ls, ps, student)
	num.LogProbs64(lt, pt, teacher)
	var kl float64
	for v := range ls {
		kl += ps[v] * (ls[v] - lt[v])
	}
	for v := range ls {
		out[v] = float32(ps[v] * (ls[v] - lt[v] - kl) * scale)
	}
	return kl
}
