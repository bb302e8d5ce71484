package model

import "fmt"

// Acts holds the activations of one forward pass, what the backward pass
// needs from them, and scratch space. The zero value is ready to use.
//
// Reuse: one Acts serves any sequence of passes, of any shape and even of
// different models (it resizes itself; buffers only grow). The logits a
// pass returns and the slice from Hidden alias the Acts and are
// overwritten by its next pass, so copy them, or use a second Acts, to
// keep them (e.g. teacher logits next to a student's Forward). Backward
// uses the last pass, which must be a Forward of the same model (not
// ForwardWithPrefix). An Acts is not safe for concurrent use.
type Acts struct {
	cfg      Config
	owner    *Model // model of the last pass
	batch    int    // B of the last pass
	steps    int    // T of the last pass
	training bool   // last pass was Forward: Backward may follow

	tokens  []int32     // [B,T]
	encoded []float32   // [B,T,C] token + position embeddings
	layers  []layerActs // [L]
	lnf     []float32   // [B,T,C] final layernorm output: the hidden states
	lnfMean []float32   // [B,T]
	lnfRstd []float32   // [B,T]
	logits  []float32   // [B,T,V]

	wteT       []float32 // [C,V] the LM head weight, transposed
	attScratch []float32 // [workers, hs*T] Kᵀ (training) or [workers, P+T] attention rows (inference; more for the SIMD blocks)

	// Backward pass scratch, allocated on first use.
	dres  []float32 // [B,T,C] gradient of the residual stream
	dln   []float32 // [B,T,C] gradient of a layernorm output
	datty []float32 // [B,T,C] gradient of the attention output
	dbig  []float32 // [B,T,4C] gradient of the MLP hidden layer, then of qkv
	wT    []float32 // [4C*C] a transposed weight
	datt  []float32 // [workers, T*T + hs*T] attention backward scratch
}

// layerActs are one block's activations.
type layerActs struct {
	ln1     []float32 // [B,T,C]
	ln1Mean []float32 // [B,T]
	ln1Rstd []float32 // [B,T]
	qkv     []float32 // [B,T,3C]
	atty    []float32 // [B,T,C] attention output, before the projection
	att     []float32 // [B,NH,T,T] attention probabilities (training only)
	attproj []float32 // [B,T,C]
	res2    []float32 // [B,T,C] residual stream after attention
	ln2     []float32 // [B,T,C]
	ln2Mean []float32 // [B,T]
	ln2Rstd []float32 // [B,T]
	fch     []float32 // [B,T,4C] MLP hidden pre-activation
	fchTanh []float32 // [B,T,4C] the tanh inside GELU, cached
	fchGelu []float32 // [B,T,4C]
	fcproj  []float32 // [B,T,C]
	res3    []float32 // [B,T,C] residual stream after the block
}

// Shape returns the batch shape of the last pass.
func (a *Acts) Shape() (B, T int) { return a.batch, a.steps }

// Hidden returns the final hidden states of the last pass, after the
// final layernorm: [B,T,C]. The slice aliases a.
func (a *Acts) Hidden() []float32 { return a.lnf[:a.batch*a.steps*a.cfg.Dim] }

// grow returns s resliced to n, reallocating if it is too short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// prepare sizes a for a pass of shape B×T after a prefix of P positions.
func (a *Acts) prepare(cfg Config, B, T, P, workers int, training bool) {
	if a.cfg != cfg {
		*a = Acts{cfg: cfg}
	}
	C, V, N, NH := cfg.Dim, cfg.Vocab, B*T, cfg.Heads
	a.batch, a.steps, a.training = B, T, training
	if cap(a.tokens) < N {
		a.tokens = make([]int32, N)
	}
	a.tokens = a.tokens[:N]
	a.encoded = grow(a.encoded, N*C)
	if len(a.layers) != cfg.Layers {
		a.layers = make([]layerActs, cfg.Layers)
	}
	attN := 0
	if training {
		attN = B * NH * T * T
	}
	for l := range a.layers {
		la := &a.layers[l]
		la.ln1 = grow(la.ln1, N*C)
		la.ln1Mean = grow(la.ln1Mean, N)
		la.ln1Rstd = grow(la.ln1Rstd, N)
		la.qkv = grow(la.qkv, N*3*C)
		la.atty = grow(la.atty, N*C)
		la.att = grow(la.att, attN)
		la.attproj = grow(la.attproj, N*C)
		la.res2 = grow(la.res2, N*C)
		la.ln2 = grow(la.ln2, N*C)
		la.ln2Mean = grow(la.ln2Mean, N)
		la.ln2Rstd = grow(la.ln2Rstd, N)
		la.fch = grow(la.fch, N*4*C)
		la.fchTanh = grow(la.fchTanh, N*4*C)
		la.fchGelu = grow(la.fchGelu, N*4*C)
		la.fcproj = grow(la.fcproj, N*C)
		la.res3 = grow(la.res3, N*C)
	}
	a.lnf = grow(a.lnf, N*C)
	a.lnfMean = grow(a.lnfMean, N)
	a.lnfRstd = grow(a.lnfRstd, N)
	a.logits = grow(a.logits, N*V)
	a.wteT = grow(a.wteT, C*V)
	if training {
		a.attScratch = grow(a.attScratch, workers*T*cfg.Dim/NH)
	} else {
		need := workers * (P + T)
		if simdKernel && useSIMD && T > 1 {
			need = max(need, simdAttnScratch(P, T, cfg.Dim/NH, NH, workers))
		}
		a.attScratch = grow(a.attScratch, need)
	}
}

// checkTokens panics unless tokens holds n ids in [0, V).
func checkTokens(tokens []int32, n, V int) {
	if len(tokens) != n {
		panic(fmt.Sprintf("model: got %d tokens for a batch of %d positions", len(tokens), n))
	}
	for i, tok := range tokens {
		if tok < 0 || int(tok) >= V {
			panic(fmt.Sprintf("model: token %d at position %d is outside the vocabulary [0, %d)", tok, i, V))
		}
	}
}

// Forward runs the model on B sequences of T tokens (tokens [B,T], ids in
// [0, V), T <= Ctx) and returns the logits [B,T,V]. It caches in a what
// Backward needs. The logits alias a. Forward panics on a bad shape or an
// out-of-range token: these are programming errors.
func (m *Model) Forward(a *Acts, tokens []int32, B, T int) []float32 {
	if B <= 0 || T <= 0 || T > m.cfg.Ctx {
		panic(fmt.Sprintf("model: Forward shape B=%d T=%d (Ctx %d)", B, T, m.cfg.Ctx))
	}
	checkTokens(tokens, B*T, m.cfg.Vocab)
	return m.forward(a, past{}, tokens, B, T, true)
}

// forward is the one forward pass behind Forward, ForwardWithPrefix,
// Extend and ExtendRows. Positions start after what pre holds; attention
// reads its cached keys and values before the batch's own.
func (m *Model) forward(a *Acts, pre past, tokens []int32, B, T int, training bool) []float32 {
	cfg, W := m.cfg, m.workers()
	C, V, N := cfg.Dim, cfg.Vocab, B*T
	a.prepare(cfg, B, T, pre.longest(), W, training)
	a.owner = m
	copy(a.tokens, tokens)

	pre.encode(a.encoded, a.tokens, m.w.wte, m.w.wpe, B, T, C)
	residual := a.encoded
	for l := range cfg.Layers {
		w, la := &m.w.h[l], &a.layers[l]
		var att []float32
		if training {
			att = la.att
		}
		layernormForward(la.ln1, la.ln1Mean, la.ln1Rstd, residual, w.ln1w, w.ln1b, N, C, W)
		matmulForward(la.qkv, la.ln1, w.qkvw, w.qkvb, N, C, 3*C, W)
		pre.attend(l, la.atty, att, a.attScratch, la.qkv, B, T, C, cfg.Heads, W)
		matmulForward(la.attproj, la.atty, w.attprojw, w.attprojb, N, C, C, W)
		residualForward(la.res2, residual, la.attproj)
		layernormForward(la.ln2, la.ln2Mean, la.ln2Rstd, la.res2, w.ln2w, w.ln2b, N, C, W)
		matmulForward(la.fch, la.ln2, w.fcw, w.fcb, N, C, 4*C, W)
		geluForward(la.fchGelu, la.fchTanh, la.fch, N*4*C, W)
		matmulForward(la.fcproj, la.fchGelu, w.fcprojw, w.fcprojb, N, 4*C, C, W)
		residualForward(la.res3, la.res2, la.fcproj)
		residual = la.res3
	}
	layernormForward(a.lnf, a.lnfMean, a.lnfRstd, residual, m.w.lnfw, m.w.lnfb, N, C, W)
	lmHeadForward(a.logits, a.lnf, m.w.wte, a.wteT, N, C, V, W)
	return a.logits
}

// past is what a forward pass attends to before its own tokens: nothing
// (Forward), one cache that every row continues (ForwardWithPrefix,
// Extend), or one cache per row, each row one token at its own position
// (ExtendRows).
type past struct {
	shared *KVCache
	rows   []*KVCache
}

// longest is the most positions a row attends to before its own.
func (p past) longest() int {
	n := 0
	if p.shared != nil {
		n = p.shared.n
	}
	for _, c := range p.rows {
		n = max(n, c.n)
	}
	return n
}

// encode embeds the tokens at their positions.
func (p past) encode(out []float32, tokens []int32, wte, wpe []float32, B, T, C int) {
	if p.rows == nil {
		encoderForward(out, tokens, wte, wpe, B, T, C, p.longest())
		return
	}
	for i, c := range p.rows {
		encoderForward(out[i*C:(i+1)*C], tokens[i:i+1], wte, wpe, 1, 1, C, c.n)
	}
}

// attend is layer l's attention of the batch's queries over the cached
// keys and values and the batch's own.
func (p past) attend(l int, atty, att, scratch, qkv []float32, B, T, C, NH, W int) {
	kv := func(c *KVCache) (k, v []float32, n int) {
		if c == nil || c.n == 0 {
			return nil, nil, 0
		}
		return c.k[l], c.v[l], c.n
	}
	if p.rows == nil {
		k, v, n := kv(p.shared)
		attentionForward(atty, att, scratch, qkv, k, v, n, B, T, C, NH, W)
		return
	}
	for i, c := range p.rows { // each row against its own cache, as Extend does
		k, v, n := kv(c)
		attentionForward(atty[i*C:(i+1)*C], nil, scratch, qkv[i*3*C:(i+1)*3*C], k, v, n, 1, 1, C, NH, W)
	}
}

// lmHeadForward computes logits [N,V] = x [N,C] · wteᵀ (tied weights, no
// bias). Large batches transpose wte into wteT [C,V] once and use the
// gemm kernel; a few rows (token-by-token inference) take dot products
// against wte's rows directly. Both sum c = 0..C-1 in order from 0, so
// they agree bit for bit.
func lmHeadForward(logits, x, wte, wteT []float32, N, C, V, workers int) {
	if N >= 8 {
		transpose(wteT, wte, V, C)
		matmulForward(logits, x, wteT, nil, N, C, V, workers)
		return
	}
	for n := range N {
		xr := x[n*C : (n+1)*C]
		out := logits[n*V : (n+1)*V]
		if simdKernel && simdDotRows(out, xr, wte, C) {
			continue
		}
		for v := range out {
			out[v] = dot(xr, wte[v*C:(v+1)*C])
		}
	}
}

// Backward runs the backward pass of the last Forward on a, given the
// gradient of the loss with respect to its logits, dlogits [B,T,V], and
// ACCUMULATES the parameter gradients into m.Grads() (call ZeroGrad
// first for a fresh step). It panics if a does not hold a Forward of this
// model's config.
func (m *Model) Backward(a *Acts, dlogits []float32) {
	cfg, W := m.cfg, m.workers()
	if !a.training || a.owner != m {
		panic("model: Backward needs Acts whose last pass was a Forward (not ForwardWithPrefix) of this model")
	}
	B, T := a.batch, a.steps
	C, V, NH, N := cfg.Dim, cfg.Vocab, cfg.Heads, B*T
	if len(dlogits) != N*V {
		panic(fmt.Sprintf("model: Backward got %d dlogits, want B*T*V = %d", len(dlogits), N*V))
	}
	a.dres = grow(a.dres, N*C)
	a.dln = grow(a.dln, N*C)
	a.datty = grow(a.datty, N*C)
	a.dbig = grow(a.dbig, N*4*C)
	a.wT = grow(a.wT, 4*C*C)
	a.datt = grow(a.datt, W*(T*T+T*C/NH))
	g := &m.g

	// LM head (tied): dlnf = dlogits·wte; dwte += dlogitsᵀ·lnf.
	dlnf := a.dln
	(&gemm{out: dlnf, ldo: C, a: dlogits, aRow: V, aK: 1, b: m.w.wte, ldb: C, M: N, N: C, K: V}).run(W)
	(&gemm{out: g.wte, ldo: C, a: dlogits, aRow: 1, aK: V, b: a.lnf, ldb: C, M: V, N: C, K: N, add: true}).run(W)

	// dres is the gradient of the residual stream, walked back block by
	// block: each residual connection passes it through unchanged and
	// each layernorm adds its branch's contribution.
	clear(a.dres)
	last := a.encoded
	if cfg.Layers > 0 {
		last = a.layers[cfg.Layers-1].res3
	}
	layernormBackward(a.dres, g.lnfw, g.lnfb, dlnf, last, m.w.lnfw, a.lnfMean, a.lnfRstd, N, C, W)

	for l := cfg.Layers - 1; l >= 0; l-- {
		w, gw, la := &m.w.h[l], &g.h[l], &a.layers[l]
		residual := a.encoded
		if l > 0 {
			residual = a.layers[l-1].res3
		}
		// MLP branch: res3 = res2 + fcproj(gelu(fc(ln2(res2)))).
		dfch := a.dbig[:N*4*C]
		matmulBackward(dfch, gw.fcprojw, gw.fcprojb, a.dres, la.fchGelu, w.fcprojw, a.wT, N, 4*C, C, W)
		geluBackward(dfch, la.fch, la.fchTanh, dfch, N*4*C, W)
		matmulBackward(a.dln, gw.fcw, gw.fcb, dfch, la.ln2, w.fcw, a.wT, N, C, 4*C, W)
		layernormBackward(a.dres, gw.ln2w, gw.ln2b, a.dln, la.res2, w.ln2w, la.ln2Mean, la.ln2Rstd, N, C, W)
		// Attention branch: res2 = residual + attproj(attn(qkv(ln1(residual)))).
		matmulBackward(a.datty, gw.attprojw, gw.attprojb, a.dres, la.atty, w.attprojw, a.wT, N, C, C, W)
		dqkv := a.dbig[:N*3*C]
		clear(dqkv)
		attentionBackward(dqkv, a.datt, a.datty, la.qkv, la.att, B, T, C, NH, W)
		matmulBackward(a.dln, gw.qkvw, gw.qkvb, dqkv, la.ln1, w.qkvw, a.wT, N, C, 3*C, W)
		layernormBackward(a.dres, gw.ln1w, gw.ln1b, a.dln, residual, w.ln1w, la.ln1Mean, la.ln1Rstd, N, C, W)
	}
	encoderBackward(g.wte, g.wpe, a.dres, a.tokens, B, T, C)
}
