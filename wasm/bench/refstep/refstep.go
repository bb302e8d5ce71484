// Package refstep holds the workloads of the performance benchmark, the same
// code natively and in the browser: a reference OPSD step and a pretraining
// step at fixed shapes (built from core/model alone, so their cost does not
// drift with the engine's knobs), the lab's default OPSD step (core/distill on
// a shipped base model), and the matmul kernel at the model's shapes.
//
// The reference OPSD step does what one step of core/distill does, at the
// shapes of issue 6:
//
//  1. rollouts: Prompts prompts of PromptLen tokens each go through the KV
//     cache once; G samples per prompt continue that cache token by token
//     (softmax, sample, Extend) for Response tokens each;
//  2. the teacher extends a fresh cache with a Prefix-token privileged
//     context once, then scores all Prompts×G rows with ForwardWithPrefix;
//  3. the student runs Forward on the rows; per response position a
//     full-vocabulary reverse KL to the teacher gives dlogits (float64 log
//     softmax, as the engine computes it);
//  4. Backward and one AdamW step.
package refstep

import (
	"fmt"
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/num"
)

// Shape is one reference workload.
type Shape struct {
	Name      string
	Model     model.Config
	Prompts   int // distinct prompts per step
	G         int // samples per prompt (rows = Prompts*G)
	PromptLen int // tokens of each prompt
	Response  int // sampled tokens per row
	Prefix    int // teacher's privileged prefix
}

// Rows is the batch size of the step.
func (s Shape) Rows() int { return s.Prompts * s.G }

// Shapes are the reference shapes: d=128 with one layer (the issue's) and
// d=64 with one layer, 16 rows of 64 sampled tokens after a 16-token prompt,
// a 128-token teacher prefix.
var Shapes = []Shape{
	{Name: "d128", Model: model.Config{Vocab: 320, Ctx: 256, Dim: 128, Layers: 1, Heads: 4},
		Prompts: 2, G: 8, PromptLen: 16, Response: 64, Prefix: 128},
	{Name: "d64", Model: model.Config{Vocab: 320, Ctx: 256, Dim: 64, Layers: 1, Heads: 4},
		Prompts: 2, G: 8, PromptLen: 16, Response: 64, Prefix: 128},
}

// ShapeByName returns the named reference shape.
func ShapeByName(name string) (Shape, error) {
	for _, s := range Shapes {
		if s.Name == name {
			return s, nil
		}
	}
	return Shape{}, fmt.Errorf("refstep: no shape %q", name)
}

// OPSD is the state of a reference OPSD run: student, frozen teacher,
// optimiser and buffers. Step takes one step.
type OPSD struct {
	S                Shape
	Student, Teacher *model.Model
	opt              *model.Adam
	rng              *rand.Rand
	sActs, tActs     *model.Acts
	shared, cache    *model.KVCache
	prefix           *model.KVCache
	prefixTokens     []int32
	prompts          [][]int32
	tokens           []int32 // [rows, T]
	tLogits, dlogits []float32
	probs, step      []float32
	logits           []float32
	ls, lt, ps, pt   []float64
}

// NewOPSD builds a reference run with seeded random weights.
func NewOPSD(s Shape, seed uint64) (*OPSD, error) {
	st, err := model.New(s.Model, seed)
	if err != nil {
		return nil, err
	}
	st.Workers = 1
	o := &OPSD{S: s, Student: st, Teacher: st.Clone(), rng: rand.New(rand.NewPCG(seed, 1)),
		sActs: new(model.Acts), tActs: new(model.Acts)}
	o.opt = model.NewAdam(model.AdamConfig{WeightDecay: -1}, st)
	V := s.Model.Vocab
	o.shared, o.cache = st.NewKVCache(), st.NewKVCache()
	o.prefixTokens = randTokens(o.rng, s.Prefix, V)
	for range s.Prompts {
		o.prompts = append(o.prompts, randTokens(o.rng, s.PromptLen, V))
	}
	T := s.PromptLen + s.Response
	o.tokens = make([]int32, s.Rows()*T)
	o.probs, o.step = make([]float32, V), make([]float32, V)
	o.logits = make([]float32, s.PromptLen*V)
	o.ls, o.lt, o.ps, o.pt = make([]float64, V), make([]float64, V), make([]float64, V), make([]float64, V)
	return o, nil
}

func randTokens(r *rand.Rand, n, V int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = int32(r.IntN(V))
	}
	return t
}

// Step takes one OPSD step and returns the mean per-token reverse KL.
func (o *OPSD) Step() float64 {
	o.Rollouts()
	o.TeacherScore()
	return o.Update()
}

// Rollouts samples every row, token by token, from the student.
func (o *OPSD) Rollouts() {
	s, m := o.S, o.Student
	V, T := s.Model.Vocab, s.PromptLen+s.Response
	for p, prompt := range o.prompts {
		o.shared.Truncate(0)
		if err := m.Extend(o.shared, prompt, o.logits); err != nil {
			panic(err)
		}
		for g := range s.G {
			row := o.tokens[(p*s.G+g)*T:][:T]
			copy(row, prompt)
			o.cache.CopyFrom(o.shared)
			last := o.logits[(s.PromptLen-1)*V:][:V]
			for k := range s.Response {
				num.Softmax(o.probs, last, 1)
				tok := int32(model.Sample(o.probs, 0, o.rng.Float64()))
				row[s.PromptLen+k] = tok
				if k+1 == s.Response {
					break
				}
				if err := m.Extend(o.cache, row[s.PromptLen+k:][:1], o.step); err != nil {
					panic(err)
				}
				last = o.step
			}
		}
	}
}

// TeacherScore computes the teacher's prefix once and its logits on every row.
func (o *OPSD) TeacherScore() {
	s, t := o.S, o.Teacher
	V, T := s.Model.Vocab, s.PromptLen+s.Response
	if o.prefix == nil {
		o.prefix = t.NewKVCache()
	}
	o.prefix.Truncate(0)
	if err := t.Extend(o.prefix, o.prefixTokens, make([]float32, s.Prefix*V)); err != nil {
		panic(err)
	}
	lg := t.ForwardWithPrefix(o.prefix, o.tActs, o.tokens, s.Rows(), T)
	o.tLogits = append(o.tLogits[:0], lg...)
}

// Update runs the student forward, the reverse-KL gradient, backward and
// AdamW, and returns the mean divergence.
func (o *OPSD) Update() float64 {
	s, m := o.S, o.Student
	V, T, B := s.Model.Vocab, s.PromptLen+s.Response, s.Rows()
	lg := m.Forward(o.sActs, o.tokens, B, T)
	if cap(o.dlogits) < len(lg) {
		o.dlogits = make([]float32, len(lg))
	}
	d := o.dlogits[:len(lg)]
	clear(d)
	var div float64
	scale := 1 / float64(B*s.Response)
	for b := range B {
		for k := range s.Response {
			off := (b*T + s.PromptLen - 1 + k) * V
			div += reverseKL(o.ls, o.lt, o.ps, o.pt, lg[off:off+V], o.tLogits[off:off+V], d[off:off+V], scale)
		}
	}
	m.ZeroGrad()
	m.Backward(o.sActs, d)
	o.opt.Step(m)
	return div * scale
}

// Pretrain is one pretraining step at a fixed shape: Forward, cross-entropy,
// Backward, AdamW on B rows of T tokens.
type Pretrain struct {
	M               *model.Model
	B, T            int
	opt             *model.Adam
	acts            *model.Acts
	inputs, targets []int32
	dlogits         []float32
}

// NewPretrain builds a pretraining step for the model config at B×T.
func NewPretrain(cfg model.Config, B, T int, seed uint64) (*Pretrain, error) {
	m, err := model.New(cfg, seed)
	if err != nil {
		return nil, err
	}
	m.Workers = 1
	r := rand.New(rand.NewPCG(seed, 2))
	p := &Pretrain{M: m, B: B, T: T, opt: model.NewAdam(model.AdamConfig{}, m), acts: new(model.Acts),
		inputs: randTokens(r, B*T, cfg.Vocab), targets: randTokens(r, B*T, cfg.Vocab),
		dlogits: make([]float32, B*T*cfg.Vocab)}
	return p, nil
}

// Step runs one step and returns the loss.
func (p *Pretrain) Step() float64 {
	V := p.M.Config().Vocab
	lg := p.M.Forward(p.acts, p.inputs, p.B, p.T)
	loss := model.CrossEntropy(lg, p.targets, nil, p.B, p.T, V, p.dlogits)
	p.M.ZeroGrad()
	p.M.Backward(p.acts, p.dlogits)
	p.opt.Step(p.M)
	return loss
}
