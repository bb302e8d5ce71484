// Package model is a tiny GPT: a pre-LayerNorm, decoder-only transformer
// in the GPT-2 mould, written out by hand in Go with its backward pass, an
// AdamW optimiser, KV-cache inference and a checkpoint format. It is built
// to be read, to train in seconds to minutes on a laptop or in a browser
// tab (GOOS=js GOARCH=wasm), and to give the same bits on every platform.
// Everything is plain Go except two optional sets of kernels, which are only
// faster: their results are bit-identical to the Go code. Natively on amd64
// the matrix multiply runs in assembly (gemm_amd64.s; build with -tags
// purego to leave it out). In the browser (GOOS=js with -tags copsdsimd)
// the matrix multiply, attention's dot products and softmax, GELU, layer
// norm and a few reductions run in hand-written WebAssembly SIMD128
// (core/model/simd, bound by the host; without it the Go code runs).
//
// It is deliberately not a tensor library, an autograd engine, GPU code,
// a tokenizer or a loader for OpenAI's GPT-2 weights: there is no dropout,
// the LM head is tied to the token embedding, and every layer is a plain
// function over float32 slices.
//
// # Using it
//
// A training step reads top to bottom:
//
//	logits := m.Forward(acts, inputs, B, T)
//	loss := model.CrossEntropy(logits, targets, mask, B, T, V, dlogits)
//	m.ZeroGrad()
//	m.Backward(acts, dlogits)
//	gradNorm := opt.Step(m)
//
// Inference goes through a KVCache (Extend, token by token or in chunks)
// or, for many continuations of one shared prefix, ForwardWithPrefix.
//
// Concurrency: Forward and Backward write the model's gradients, so one
// goroutine trains a model at a time. Inference (Extend,
// ForwardWithPrefix) only reads the model: goroutines may run it
// concurrently on the same model, each with its own Acts and KVCache.
// Model.Workers spreads one call over several goroutines.
//
// # Shapes
//
// Letters are fixed once and every buffer's shape is given in these terms
// at its declaration:
//
//	B   batch size (sequences)        T   time steps per sequence
//	C   channels (Config.Dim)         V   vocabulary size (Config.Vocab)
//	NH  attention heads               hs  head size, C/NH
//	L   transformer blocks            Ctx maximum sequence length
//	P   length of a cached prefix     N   rows of a batch, B*T
//
// Linear weights are stored [in, out]: y = x·W + b.
//
// # Determinism
//
// The same Config, seed and data give the same bits natively and in wasm,
// whatever Model.Workers is. Transcendentals come from package num, never
// package math; every product that feeds a sum is rounded explicitly so
// it cannot be fused into an FMA; every reduction runs sequentially in a
// fixed, documented order; and parallel work is split only over
// independent outputs. gemm.go states the rules the kernels follow.
package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/copsdlab/copsd/core/num"
)

// Config fixes the architecture. All fields must be positive.
type Config struct {
	Vocab  int // V: number of token ids; tokens are in [0, Vocab)
	Ctx    int // maximum sequence length: the number of learned positions
	Dim    int // C: width of the residual stream
	Layers int // L: number of transformer blocks
	Heads  int // NH: attention heads per block; Dim must be a multiple
}

// maxParams bounds the parameter count of any Config: 1 Gi float32
// parameters already fill the 4 GiB address space of wasm.
const maxParams = 1 << 30

// Validate reports whether c describes a model this package can build.
func (c Config) Validate() error {
	switch {
	case c.Vocab <= 0 || c.Ctx <= 0 || c.Dim <= 0 || c.Layers <= 0 || c.Heads <= 0:
		return fmt.Errorf("model: config %+v: every field must be positive", c)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("model: config %+v: Dim %d is not a multiple of Heads %d", c, c.Dim, c.Heads)
	case c.Vocab > maxParams || c.Ctx > maxParams || c.Dim > 1<<16 || c.Layers > 1<<16:
		return fmt.Errorf("model: config %+v: a dimension is unreasonably large", c)
	}
	if n := c.numParams(); n > maxParams {
		return fmt.Errorf("model: config %+v has %d parameters, more than the %d this package supports", c, n, maxParams)
	}
	return nil
}

// numParams counts parameters in int64 so that huge configs cannot
// overflow before Validate rejects them.
func (c Config) numParams() int64 {
	V, P, C, L := int64(c.Vocab), int64(c.Ctx), int64(c.Dim), int64(c.Layers)
	perLayer := 2*C + (C*3*C + 3*C) + (C*C + C) + 2*C + (C*4*C + 4*C) + (4*C*C + C)
	return V*C + P*C + L*perLayer + 2*C
}

// weights holds named views into one flat slice: the parameters, or
// their gradients, which share the layout.
type weights struct {
	wte  []float32 // [V, C] token embedding; also the LM head (tied)
	wpe  []float32 // [Ctx, C] learned position embedding
	h    []block   // [L]
	lnfw []float32 // [C] final layernorm scale
	lnfb []float32 // [C] final layernorm shift
}

// block is one transformer block's parameters. Linear weights are
// [in, out]; the qkv output columns are q | k | v, each C wide with head h
// in columns [h*hs, (h+1)*hs).
type block struct {
	ln1w, ln1b []float32 // [C]
	qkvw       []float32 // [C, 3C]
	qkvb       []float32 // [3C]
	attprojw   []float32 // [C, C]
	attprojb   []float32 // [C]
	ln2w, ln2b []float32 // [C]
	fcw        []float32 // [C, 4C]
	fcb        []float32 // [4C]
	fcprojw    []float32 // [4C, C]
	fcprojb    []float32 // [C]
}

// tensorSpec names one parameter tensor inside the flat slice. The order
// of specs is the memory order, the checkpoint order and the order of the
// random initialisation.
type tensorSpec struct {
	name  string
	shape []int
	off   int
	size  int
}

// matrix reports whether the tensor is a weight matrix (decayed by AdamW)
// rather than a bias or a layernorm gain.
func (s tensorSpec) matrix() bool { return len(s.shape) == 2 }

// layout lists the tensors of a config and, when flat is not nil, points
// the fields of w at their parts of flat. w may be nil.
func layout(c Config, flat []float32, w *weights) []tensorSpec {
	C := c.Dim
	if w == nil {
		w = new(weights)
	}
	w.h = make([]block, c.Layers)
	var specs []tensorSpec
	off := 0
	add := func(dst *[]float32, name string, shape ...int) {
		size := 1
		for _, d := range shape {
			size *= d
		}
		specs = append(specs, tensorSpec{name: name, shape: shape, off: off, size: size})
		if flat != nil {
			*dst = flat[off : off+size : off+size]
		}
		off += size
	}
	add(&w.wte, "wte", c.Vocab, C)
	add(&w.wpe, "wpe", c.Ctx, C)
	for l := range c.Layers {
		b := &w.h[l]
		p := fmt.Sprintf("h%d.", l)
		add(&b.ln1w, p+"ln1.w", C)
		add(&b.ln1b, p+"ln1.b", C)
		add(&b.qkvw, p+"attn.w", C, 3*C)
		add(&b.qkvb, p+"attn.b", 3*C)
		add(&b.attprojw, p+"attn.proj.w", C, C)
		add(&b.attprojb, p+"attn.proj.b", C)
		add(&b.ln2w, p+"ln2.w", C)
		add(&b.ln2b, p+"ln2.b", C)
		add(&b.fcw, p+"mlp.w", C, 4*C)
		add(&b.fcb, p+"mlp.b", 4*C)
		add(&b.fcprojw, p+"mlp.proj.w", 4*C, C)
		add(&b.fcprojb, p+"mlp.proj.b", C)
	}
	add(&w.lnfw, "lnf.w", C)
	add(&w.lnfb, "lnf.b", C)
	return specs
}

// Model is a GPT with its parameters and their gradients.
type Model struct {
	// Workers is how many goroutines the heavy loops may use. It changes
	// speed only, never results, and is not saved in checkpoints. New sets
	// it to runtime.GOMAXPROCS(0) (1 in a browser); values below 1 mean 1.
	Workers int

	cfg    Config
	params []float32 // all parameters, in layout order
	grads  []float32 // same layout as params
	w      weights   // views into params
	g      weights   // views into grads
	specs  []tensorSpec
}

// newModel allocates a zeroed model for a validated config.
func newModel(cfg Config) *Model {
	n := int(cfg.numParams())
	m := &Model{Workers: runtime.GOMAXPROCS(0), cfg: cfg,
		params: make([]float32, n), grads: make([]float32, n)}
	m.specs = layout(cfg, m.params, &m.w)
	layout(cfg, m.grads, &m.g)
	return m
}

// Initialisation constants (GPT-2): weights are N(0, 0.02²), the position
// embedding N(0, 0.01²), the two projections that write into the residual
// stream are scaled by 1/sqrt(2L), biases are 0 and layernorm gains 1.
const (
	initStd    = 0.02
	initStdPos = 0.01
)

// New returns a model with GPT-2 style random initialisation drawn from a
// PCG generator seeded with seed: the same config and seed give the same
// parameters on every platform. It returns an error if cfg is invalid.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := newModel(cfg)
	rng := rand.New(rand.NewPCG(seed, 0x636f707364)) // "copsd"
	residStd := initStd / math.Sqrt(2*float64(cfg.Layers))
	for _, s := range m.specs {
		t := m.params[s.off : s.off+s.size]
		switch {
		case s.name == "wpe":
			fillNormal(t, rng, initStdPos)
		case s.matrix() && (hasSuffix(s.name, "attn.proj.w") || hasSuffix(s.name, "mlp.proj.w")):
			fillNormal(t, rng, residStd)
		case s.matrix():
			fillNormal(t, rng, initStd)
		case hasSuffix(s.name, ".w"): // layernorm gains
			for i := range t {
				t[i] = 1
			}
		}
		// biases and layernorm shifts stay 0
	}
	return m, nil
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// fillNormal fills t with N(0, std²) samples from Marsaglia's polar
// method, which needs only num.Log and math.Sqrt (both exact across
// platforms; rand's NormFloat64 calls math.Exp, which is not). One pair
// of uniforms yields two samples, used in order.
func fillNormal(t []float32, rng *rand.Rand, std float64) {
	for i := 0; i < len(t); i += 2 {
		var u, v, s float64
		for {
			u = 2*rng.Float64() - 1
			v = 2*rng.Float64() - 1
			s = float64(u*u) + float64(v*v)
			if s < 1 && s > 0 {
				break
			}
		}
		f := math.Sqrt(-2 * num.Log(s) / s)
		t[i] = float32(float64(u*f) * std)
		if i+1 < len(t) {
			t[i+1] = float32(float64(v*f) * std)
		}
	}
}

// Config returns the model's architecture.
func (m *Model) Config() Config { return m.cfg }

// NumParams returns the number of float32 parameters.
func (m *Model) NumParams() int { return len(m.params) }

// Params returns all parameters as one contiguous slice in layout order
// (see TensorNames). It aliases the model: writes change the model.
func (m *Model) Params() []float32 { return m.params }

// Grads returns the gradient of every parameter, with the layout of
// Params. It aliases the model; Backward accumulates into it.
func (m *Model) Grads() []float32 { return m.grads }

// ZeroGrad sets every gradient to zero.
func (m *Model) ZeroGrad() { clear(m.grads) }

// Tensor returns the parameters of the named tensor (e.g. "wte",
// "h0.attn.w"), its shape, and whether it exists. The slice aliases
// Params.
func (m *Model) Tensor(name string) ([]float32, []int, bool) {
	for _, s := range m.specs {
		if s.name == name {
			return m.params[s.off : s.off+s.size : s.off+s.size], append([]int(nil), s.shape...), true
		}
	}
	return nil, nil, false
}

// TensorNames lists the parameter tensors in layout order.
func (m *Model) TensorNames() []string {
	names := make([]string, len(m.specs))
	for i, s := range m.specs {
		names[i] = s.name
	}
	return names
}

// Clone returns a deep copy of m's parameters with zeroed gradients, for
// example a frozen teacher. Workers is copied.
func (m *Model) Clone() *Model {
	c := newModel(m.cfg)
	c.Workers = m.Workers
	copy(c.params, m.params)
	return c
}

// View returns a model that shares m's parameters — it sees every change
// to them, and its forward pass is m's — with gradients of its own and the
// given Workers. Goroutines may each run Forward and Backward on their own
// view of one model, each on its part of a batch, and sum the views'
// gradients into m's (see Grads) for one optimizer step; nothing may
// write m's parameters meanwhile.
func (m *Model) View(workers int) *Model {
	v := &Model{Workers: workers, cfg: m.cfg, params: m.params, grads: make([]float32, len(m.params)), w: m.w, specs: m.specs}
	layout(m.cfg, v.grads, &v.g)
	return v
}

// ReadView is View for inference only (Forward, Extend, ForwardWithPrefix):
// it has no gradients, so Backward and ZeroGrad on it panic.
func (m *Model) ReadView(workers int) *Model {
	return &Model{Workers: workers, cfg: m.cfg, params: m.params, w: m.w, specs: m.specs}
}

// workers returns the effective number of goroutines.
func (m *Model) workers() int { return max(1, m.Workers) }

// parallelFor splits [0, n) into at most workers contiguous chunks and
// calls fn(chunk, lo, hi) for each, concurrently, returning when all are
// done. Chunk c covers [c*n/w, (c+1)*n/w). Callers only split over
// independent outputs, so results never depend on the split.
func parallelFor(workers, n int, fn func(chunk, lo, hi int)) {
	w := min(workers, n)
	if w <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for c := range w {
		lo, hi := c*n/w, (c+1)*n/w
		wg.Go(func() { fn(c, lo, hi) })
	}
	wg.Wait()
}
