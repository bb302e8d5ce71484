package model

import (
	"errors"
	"fmt"
	"sort"
)

// KVCache holds, for every block, the attention keys and values of the
// positions processed so far, so that inference can continue a sequence
// without recomputing it. A cache belongs to one model config; it is not
// safe for concurrent use.
type KVCache struct {
	cfg  Config
	n    int         // positions cached
	k, v [][]float32 // [L][Ctx*C]: position p, channel c at [p*C + c]
	acts *Acts       // scratch for Extend; never shared by Clone
}

// NewKVCache returns an empty cache with room for Ctx positions.
func (m *Model) NewKVCache() *KVCache {
	c := &KVCache{cfg: m.cfg, k: make([][]float32, m.cfg.Layers), v: make([][]float32, m.cfg.Layers)}
	for l := range c.k {
		c.k[l] = make([]float32, m.cfg.Ctx*m.cfg.Dim)
		c.v[l] = make([]float32, m.cfg.Ctx*m.cfg.Dim)
	}
	return c
}

// Len returns the number of cached positions.
func (c *KVCache) Len() int { return c.n }

// Clone returns an independent copy of c.
func (c *KVCache) Clone() *KVCache {
	d := &KVCache{cfg: c.cfg, n: c.n, k: make([][]float32, len(c.k)), v: make([][]float32, len(c.v))}
	for l := range c.k {
		d.k[l] = append([]float32(nil), c.k[l]...)
		d.v[l] = append([]float32(nil), c.v[l]...)
	}
	return d
}

// CopyFrom makes c a copy of src without allocating, e.g. to reset a
// working cache to a shared prefix. It panics if the configs differ.
func (c *KVCache) CopyFrom(src *KVCache) {
	if c.cfg != src.cfg {
		panic("model: KVCache.CopyFrom between different configs")
	}
	C := c.cfg.Dim
	for l := range c.k {
		copy(c.k[l][:src.n*C], src.k[l])
		copy(c.v[l][:src.n*C], src.v[l])
	}
	c.n = src.n
}

// Truncate forgets every position from n on, keeping the first n. It
// panics unless 0 <= n <= Len().
func (c *KVCache) Truncate(n int) {
	if n < 0 || n > c.n {
		panic(fmt.Sprintf("model: KVCache.Truncate(%d) with %d positions cached", n, c.n))
	}
	c.n = n
}

// ErrContextFull is wrapped by the error Extend returns when the
// sequence would grow past Config.Ctx.
var ErrContextFull = errors.New("context window full")

// Extend appends tokens to the sequence cached in c: it runs them through
// the model at positions c.Len(), c.Len()+1, …, stores their keys and
// values in c, and writes the logits of every appended position into
// logits [len(tokens)*V]. The logits are bit-identical to those Forward
// computes for the same positions of the whole sequence.
//
// Extend returns an error, and leaves c unchanged, if the sequence would
// pass Ctx positions (wrapping ErrContextFull), a token is outside the
// vocabulary, logits is too short or c belongs to another config.
func (m *Model) Extend(c *KVCache, tokens []int32, logits []float32) error {
	cfg := m.cfg
	n := len(tokens)
	switch {
	case c.cfg != cfg:
		return fmt.Errorf("model: Extend with a KV cache for config %+v, model has %+v", c.cfg, cfg)
	case c.n+n > cfg.Ctx:
		return fmt.Errorf("model: Extend by %d tokens after %d cached: %w (Ctx %d)", n, c.n, ErrContextFull, cfg.Ctx)
	case len(logits) < n*cfg.Vocab:
		return fmt.Errorf("model: Extend needs %d logits for %d tokens, got %d", n*cfg.Vocab, n, len(logits))
	case n == 0:
		return nil
	}
	for i, tok := range tokens {
		if tok < 0 || int(tok) >= cfg.Vocab {
			return fmt.Errorf("model: Extend token %d at index %d is outside the vocabulary [0, %d)", tok, i, cfg.Vocab)
		}
	}
	if c.acts == nil {
		c.acts = new(Acts)
	}
	out := m.forward(c.acts, past{shared: c}, tokens, 1, n, false)
	copy(logits, out)
	// Append the new positions' keys and values (the k and v columns of
	// each block's qkv) to the cache.
	C := cfg.Dim
	for l := range cfg.Layers {
		qkv := c.acts.layers[l].qkv
		for t := range n {
			p := c.n + t
			copy(c.k[l][p*C:(p+1)*C], qkv[t*3*C+C:t*3*C+2*C])
			copy(c.v[l][p*C:(p+1)*C], qkv[t*3*C+2*C:t*3*C+3*C])
		}
	}
	c.n += n
	return nil
}

// ForwardWithPrefix runs B sequences of T tokens (tokens [B,T]) that each
// continue the same cached prefix, for example a shared instruction: the
// prefix is computed once (by Extend) and every sequence attends to its
// keys and values. Positions start at prefix.Len(); prefix may be nil or
// empty. It returns the logits [B,T,V], bit-identical to Forward on each
// full sequence, and leaves the hidden states in a.Hidden(). It is for
// inference only: Backward cannot follow it, and prefix is not modified.
// It panics if prefix.Len()+T > Ctx, on a bad shape or token, or if
// prefix belongs to another config.
func (m *Model) ForwardWithPrefix(prefix *KVCache, a *Acts, tokens []int32, B, T int) []float32 {
	P := 0
	if prefix != nil {
		if prefix.cfg != m.cfg {
			panic("model: ForwardWithPrefix with a KV cache of another config")
		}
		P = prefix.n
	}
	if B <= 0 || T <= 0 || P+T > m.cfg.Ctx {
		panic(fmt.Sprintf("model: ForwardWithPrefix shape B=%d T=%d after %d cached positions (Ctx %d)", B, T, P, m.cfg.Ctx))
	}
	checkTokens(tokens, B*T, m.cfg.Vocab)
	return m.forward(a, past{shared: prefix}, tokens, B, T, false)
}

// Sample draws a token from the distribution probs, given u uniform in
// [0, 1) from the caller's random generator. With topK > 0 only the topK
// most probable tokens (ties go to the lower id) can be drawn, their
// probabilities renormalised; topK <= 0 or >= len(probs) means all. Tokens
// are walked in id order, accumulating in float64, and the first whose
// cumulative probability exceeds u times the total is returned; probs need
// not sum to 1. If every probability is zero it returns the lowest id
// allowed. It panics if probs is empty.
func Sample(probs []float32, topK int, u float64) int {
	if len(probs) == 0 {
		panic("model: Sample from an empty distribution")
	}
	if topK <= 0 || topK >= len(probs) {
		return sampleAll(probs, u)
	}
	ids := make([]int, len(probs))
	for i := range ids {
		ids[i] = i
	}
	sort.SliceStable(ids, func(i, j int) bool { return probs[ids[i]] > probs[ids[j]] })
	ids = ids[:topK]
	sort.Ints(ids)
	return sampleIDs(probs, ids, u)
}

// sampleIDs is Sample's walk over the allowed ids, in increasing order.
func sampleIDs(probs []float32, ids []int, u float64) int {
	var total float64
	for _, id := range ids {
		total += float64(probs[id])
	}
	target := u * total
	var cum float64
	last := ids[0]
	for _, id := range ids {
		if probs[id] <= 0 {
			continue
		}
		cum += float64(probs[id])
		last = id
		if target < cum {
			return id
		}
	}
	return last
}

// sampleAll is Sample over every token, without the id list: the same walk
// in id order, the same float64 sums.
func sampleAll(probs []float32, u float64) int {
	var total float64
	for _, p := range probs {
		total += float64(p)
	}
	target := u * total
	var cum float64
	last := 0
	for id, p := range probs {
		if p <= 0 {
			continue
		}
		cum += float64(p)
		last = id
		if target < cum {
			return id
		}
	}
	return last
}

// ExtendRows appends one token to each of several cached sequences at once:
// tokens[i] continues caches[i] at its own position caches[i].Len(). The
// sequences go through the model together, so each layer's matrix products
// run over all of them in one call instead of one row at a time, and each
// attends to its own cache. The logits of row i (logits [len(caches)*V])
// are bit-identical to what Extend(caches[i], tokens[i:i+1], …) writes: the
// products' summation order does not depend on the number of rows
// (gemm.go), and every other operation works row by row. a is scratch.
//
// It returns an error, and leaves every cache unchanged, if a sequence is
// full, a token is outside the vocabulary, a cache belongs to another
// config or appears twice, or the lengths disagree.
func (m *Model) ExtendRows(a *Acts, caches []*KVCache, tokens []int32, logits []float32) error {
	cfg, B := m.cfg, len(caches)
	C, V := cfg.Dim, cfg.Vocab
	switch {
	case len(tokens) != B:
		return fmt.Errorf("model: ExtendRows with %d caches and %d tokens", B, len(tokens))
	case len(logits) < B*V:
		return fmt.Errorf("model: ExtendRows needs %d logits for %d rows, got %d", B*V, B, len(logits))
	case B == 0:
		return nil
	}
	seen := make(map[*KVCache]bool, B)
	for i, c := range caches {
		switch {
		case c == nil || c.cfg != cfg:
			return fmt.Errorf("model: ExtendRows row %d: a KV cache for another config", i)
		case seen[c]:
			return fmt.Errorf("model: ExtendRows row %d: a cache given twice", i)
		case c.n+1 > cfg.Ctx:
			return fmt.Errorf("model: ExtendRows row %d after %d cached: %w (Ctx %d)", i, c.n, ErrContextFull, cfg.Ctx)
		case tokens[i] < 0 || int(tokens[i]) >= V:
			return fmt.Errorf("model: ExtendRows token %d of row %d is outside the vocabulary [0, %d)", tokens[i], i, V)
		}
		seen[c] = true
	}
	copy(logits, m.forward(a, past{rows: caches}, tokens, B, 1, false)[:B*V])
	for i, c := range caches {
		for l := range cfg.Layers {
			qkv := a.layers[l].qkv[i*3*C:]
			copy(c.k[l][c.n*C:(c.n+1)*C], qkv[C:2*C])
			copy(c.v[l][c.n*C:(c.n+1)*C], qkv[2*C:3*C])
		}
		c.n++
	}
	return nil
}
