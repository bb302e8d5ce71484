package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// sameBits reports the first index where got and want differ in bits, or -1.
func sameBits(got, want []float32) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}

// TestInferencePathsAgreeBitForBit runs the same sequences through Forward,
// token-by-token Extend, chunked Extend and ForwardWithPrefix, and requires
// identical logits everywhere.
func TestInferencePathsAgreeBitForBit(t *testing.T) {
	cfg := Config{Vocab: 23, Ctx: 20, Dim: 24, Layers: 2, Heads: 3}
	m, _ := New(cfg, 5)
	randomizeParams(m, 2)
	V := cfg.Vocab
	const B, P, T = 3, 7, 11 // 3 sequences sharing a 7-token prefix, then 11 own tokens
	prefix, own, full := sharedPrefixTokens(V, B, P, T)
	for _, workers := range []int{1, 3} {
		m.Workers = workers
		ref := append([]float32(nil), m.Forward(new(Acts), full, B, P+T)...) // [B, P+T, V]
		refRow := func(b, t int) []float32 { return ref[(b*(P+T)+t)*V:][:V] }

		// Extend one token at a time.
		for b := range B {
			c := m.NewKVCache()
			logits := make([]float32, V)
			for pos := range P + T {
				if err := m.Extend(c, full[b*(P+T)+pos:][:1], logits); err != nil {
					t.Fatal(err)
				}
				if i := sameBits(logits, refRow(b, pos)); i >= 0 {
					t.Fatalf("workers=%d: Extend(1) seq %d pos %d logit %d = %g, Forward %g", workers, b, pos, i, logits[i], refRow(b, pos)[i])
				}
			}
		}
		// Extend in uneven chunks (the gemm path for several rows).
		c := m.NewKVCache()
		chunks := []int{5, 1, 9, 3}
		logits := make([]float32, 9*V)
		pos := 0
		for _, n := range chunks {
			if err := m.Extend(c, full[pos:pos+n], logits); err != nil {
				t.Fatal(err)
			}
			for j := range n {
				if i := sameBits(logits[j*V:(j+1)*V], refRow(0, pos+j)); i >= 0 {
					t.Fatalf("workers=%d: Extend(%d) pos %d differs from Forward at logit %d", workers, n, pos+j, i)
				}
			}
			pos += n
		}
		// A shared prefix, then all sequences in one batch.
		pc := m.NewKVCache()
		if err := m.Extend(pc, prefix, make([]float32, P*V)); err != nil {
			t.Fatal(err)
		}
		a := new(Acts)
		got := m.ForwardWithPrefix(pc, a, own, B, T)
		for b := range B {
			for t2 := range T {
				if i := sameBits(got[(b*T+t2)*V:][:V], refRow(b, P+t2)); i >= 0 {
					t.Fatalf("workers=%d: ForwardWithPrefix seq %d pos %d logit %d differs from Forward", workers, b, P+t2, i)
				}
			}
		}
		if pc.Len() != P {
			t.Errorf("ForwardWithPrefix changed the prefix length to %d", pc.Len())
		}
		if h := a.Hidden(); len(h) != B*T*cfg.Dim {
			t.Errorf("Hidden() has %d values, want %d", len(h), B*T*cfg.Dim)
		}
		// No prefix: the same as Forward.
		if i := sameBits(m.ForwardWithPrefix(nil, new(Acts), full, B, P+T), ref); i >= 0 {
			t.Fatalf("ForwardWithPrefix(nil) differs from Forward at %d", i)
		}
	}
}

// sharedPrefixTokens draws B sequences of a shared P-token prefix followed
// by T tokens of their own: the prefix, the own tokens [B, T] and the whole
// sequences [B, P+T].
func sharedPrefixTokens(V, B, P, T int) (prefix, own, full []int32) {
	r := rand.New(rand.NewPCG(1, 1))
	prefix = make([]int32, P)
	for i := range prefix {
		prefix[i] = int32(r.IntN(V))
	}
	own = make([]int32, B*T)
	for i := range own {
		own[i] = int32(r.IntN(V))
	}
	full = make([]int32, 0, B*(P+T))
	for b := range B {
		full = append(full, prefix...)
		full = append(full, own[b*T:(b+1)*T]...)
	}
	return prefix, own, full
}

func TestKVCacheCloneTruncateCopyFrom(t *testing.T) {
	m, _ := New(tinyConfig, 4)
	V := tinyConfig.Vocab
	seq := []int32{1, 2, 3, 4, 5, 6}
	c := m.NewKVCache()
	if err := m.Extend(c, seq[:3], make([]float32, 3*V)); err != nil {
		t.Fatal(err)
	}
	snap := c.Clone()
	next := func(c *KVCache, tok int32) []float32 {
		l := make([]float32, V)
		if err := m.Extend(c, []int32{tok}, l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	a := next(c, 9)
	// The clone continues independently and identically.
	if b := next(snap, 9); sameBits(a, b) >= 0 {
		t.Error("a cloned cache continued differently")
	}
	if c.Len() != 4 || snap.Len() != 4 {
		t.Errorf("lengths %d, %d, want 4, 4", c.Len(), snap.Len())
	}
	// Truncate back and take another branch, then return: same logits.
	c.Truncate(3)
	next(c, 2)
	c.Truncate(3)
	if b := next(c, 9); sameBits(a, b) >= 0 {
		t.Error("after Truncate the cache continued differently")
	}
	// CopyFrom resets a working cache to a prefix.
	w := m.NewKVCache()
	next(w, 7)
	next(w, 7)
	w.CopyFrom(snap) // snap holds 1 2 3 9
	c.Truncate(4)
	if b, d := next(w, 5), next(c, 5); sameBits(b, d) >= 0 || w.Len() != 5 {
		t.Error("CopyFrom did not reproduce the source cache")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Truncate past Len did not panic")
			}
		}()
		c.Truncate(c.Len() + 1)
	}()
}

func TestExtendErrors(t *testing.T) {
	m, _ := New(tinyConfig, 4) // Ctx 8
	V := tinyConfig.Vocab
	c := m.NewKVCache()
	logits := make([]float32, 8*V)
	if err := m.Extend(c, make([]int32, 6), logits); err != nil {
		t.Fatal(err)
	}
	err := m.Extend(c, make([]int32, 3), logits)
	if !errors.Is(err, ErrContextFull) {
		t.Errorf("Extend past Ctx: err = %v, want ErrContextFull", err)
	}
	if c.Len() != 6 {
		t.Errorf("failed Extend changed the cache length to %d", c.Len())
	}
	if err := m.Extend(c, make([]int32, 2), logits); err != nil {
		t.Errorf("Extend up to exactly Ctx: %v", err)
	}
	if err := m.Extend(c, []int32{0}, logits); !errors.Is(err, ErrContextFull) {
		t.Errorf("Extend of a full cache: err = %v, want ErrContextFull", err)
	}
	c.Truncate(0)
	if err := m.Extend(c, []int32{int32(V)}, logits); err == nil {
		t.Error("Extend with an out-of-vocabulary token succeeded")
	}
	if err := m.Extend(c, []int32{1, 2}, logits[:V]); err == nil {
		t.Error("Extend with a short logits buffer succeeded")
	}
	other, _ := New(Config{Vocab: 11, Ctx: 8, Dim: 8, Layers: 1, Heads: 2}, 1)
	if err := other.Extend(c, []int32{1}, logits); err == nil {
		t.Error("Extend with another config's cache succeeded")
	}
	if c.Len() != 0 {
		t.Errorf("failed Extends changed the cache length to %d", c.Len())
	}
	// ForwardWithPrefix past Ctx is a programming error: it panics.
	c.Truncate(0)
	m.Extend(c, make([]int32, 5), logits)
	defer func() {
		if recover() == nil {
			t.Error("ForwardWithPrefix past Ctx did not panic")
		}
	}()
	m.ForwardWithPrefix(c, new(Acts), make([]int32, 4), 1, 4)
}

func TestBackwardMisusePanics(t *testing.T) {
	m, _ := New(tinyConfig, 4)
	other := m.Clone()
	cases := []struct {
		name string
		run  func(a *Acts) []float32
	}{
		{"afterForwardWithPrefix", func(a *Acts) []float32 { return m.ForwardWithPrefix(nil, a, []int32{1, 2}, 1, 2) }},
		{"anotherModelsActs", func(a *Acts) []float32 { return other.Forward(a, []int32{1, 2}, 1, 2) }},
	}
	for _, c := range cases {
		func() {
			a := new(Acts)
			logits := c.run(a)
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Backward did not panic", c.name)
				}
			}()
			m.Backward(a, make([]float32, len(logits)))
		}()
	}
}

func TestSample(t *testing.T) {
	probs := []float32{0.1, 0.2, 0.3, 0.4}
	cases := []struct {
		name string
		topK int
		u    float64
		want int
	}{
		{"first", 0, 0, 0},
		{"edge", 0, 0.0999, 0},
		{"second", 0, 0.1001, 1},
		{"last", 0, 0.99999, 3},
		{"top2low", 2, 0, 2}, // only ids 2 and 3, renormalised to 3/7, 4/7
		{"top2mid", 2, 3.0/7 - 1e-6, 2},
		{"top2high", 2, 3.0/7 + 1e-6, 3},
		{"top1", 1, 0.5, 3},
		{"topAll", 4, 0.35, 2},
		{"topMore", 9, 0.35, 2},
	}
	for _, c := range cases {
		if got := Sample(probs, c.topK, c.u); got != c.want {
			t.Errorf("%s: Sample(topK=%d, u=%g) = %d, want %d", c.name, c.topK, c.u, got, c.want)
		}
	}
	// Ties in top-k go to the lower id; zero-probability ids are never drawn.
	if got := Sample([]float32{0.25, 0.25, 0.25, 0.25}, 2, 0.99); got != 1 {
		t.Errorf("top-2 of a tie = %d, want 1", got)
	}
	if got := Sample([]float32{0, 0.5, 0, 0.5, 0}, 0, 0.9999); got != 3 {
		t.Errorf("Sample skipped to %d, want 3", got)
	}
	// Frequencies match probabilities.
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 4)
	const n = 40000
	for range n {
		counts[Sample(probs, 0, r.Float64())]++
	}
	const freqTol = 0.01
	for i, c := range counts {
		if f := float64(c) / n; math.Abs(f-float64(probs[i])) > freqTol {
			t.Errorf("id %d drawn with frequency %.4f, want %.1f", i, f, probs[i])
		}
	}
}

// TestSampleWithoutTopKIsTheIDWalk checks Sample's path without top-k (no
// id list) against the general walk over an explicit id list.
func TestSampleWithoutTopKIsTheIDWalk(t *testing.T) {
	walk := func(probs []float32, u float64) int {
		ids := make([]int, len(probs))
		for i := range ids {
			ids[i] = i
		}
		return sampleIDs(probs, ids, u)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for range 2000 {
		probs := make([]float32, 1+r.IntN(40))
		for i := range probs {
			if r.IntN(3) > 0 {
				probs[i] = float32(r.Float64())
			}
		}
		u := r.Float64()
		if got, want := Sample(probs, 0, u), walk(probs, u); got != want {
			t.Fatalf("Sample(%v, 0, %v) = %d, want %d", probs, u, got, want)
		}
	}
}

// ExtendRows continues several caches of different lengths (an empty one
// among them) by one token each, all at once, with the logits and caches
// one Extend per row gives, bit for bit: with a few rows (the LM head's dot
// products) and with many (its gemm), on one worker and on three.
func TestExtendRowsIsExtendPerRow(t *testing.T) {
	cfg := Config{Vocab: 23, Ctx: 20, Dim: 24, Layers: 2, Heads: 3}
	m, _ := New(cfg, 5)
	randomizeParams(m, 3)
	V := cfg.Vocab
	rng := rand.New(rand.NewPCG(7, 8))
	tok := func() int32 { return int32(rng.IntN(V)) }
	for _, workers := range []int{1, 3} {
		m.Workers = workers
		for _, B := range []int{3, 11} {
			caches, solo := make([]*KVCache, B), make([]*KVCache, B)
			for i := range caches {
				caches[i] = m.NewKVCache()
				n := (i * 7) % (cfg.Ctx - 2) // 0, 7, 14, 3, …: row 0 starts empty
				if n > 0 {
					ctx := make([]int32, n)
					for k := range ctx {
						ctx[k] = tok()
					}
					if err := m.Extend(caches[i], ctx, make([]float32, n*V)); err != nil {
						t.Fatal(err)
					}
				}
				solo[i] = caches[i].Clone()
			}
			a := new(Acts)
			for round := range 2 { // the second continues the first
				toks := make([]int32, B)
				for i := range toks {
					toks[i] = tok()
				}
				got := make([]float32, B*V)
				if err := m.ExtendRows(a, caches, toks, got); err != nil {
					t.Fatal(err)
				}
				for i := range caches {
					want := make([]float32, V)
					if err := m.Extend(solo[i], toks[i:i+1], want); err != nil {
						t.Fatal(err)
					}
					if k := sameBits(got[i*V:(i+1)*V], want); k >= 0 {
						t.Fatalf("workers=%d B=%d round %d row %d: logit %d = %g, Extend %g", workers, B, round, i, k, got[i*V+k], want[k])
					}
					if caches[i].Len() != solo[i].Len() {
						t.Fatalf("row %d: %d cached, Extend %d", i, caches[i].Len(), solo[i].Len())
					}
					for l := range cfg.Layers {
						n := caches[i].Len() * cfg.Dim
						if sameBits(caches[i].k[l][:n], solo[i].k[l][:n]) >= 0 || sameBits(caches[i].v[l][:n], solo[i].v[l][:n]) >= 0 {
							t.Fatalf("row %d layer %d: the cache differs from Extend's", i, l)
						}
					}
				}
			}
		}
	}
	// Bad input changes nothing.
	c, full := m.NewKVCache(), m.NewKVCache()
	if err := m.Extend(full, make([]int32, cfg.Ctx), make([]float32, cfg.Ctx*V)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caches []*KVCache
		toks   []int32
	}{
		{[]*KVCache{c, full}, []int32{1, 2}},
		{[]*KVCache{c, c}, []int32{1, 2}},
		{[]*KVCache{c}, []int32{int32(V)}},
		{[]*KVCache{c}, []int32{1, 2}},
	} {
		if err := m.ExtendRows(new(Acts), tc.caches, tc.toks, make([]float32, 2*V)); err == nil || c.Len() != 0 {
			t.Errorf("rows %d, tokens %v: err %v, %d cached", len(tc.caches), tc.toks, err, c.Len())
		}
	}
	if err := m.ExtendRows(new(Acts), []*KVCache{full}, []int32{1}, make([]float32, V)); !errors.Is(err, ErrContextFull) {
		t.Errorf("a full cache: %v", err)
	}
}
