package model

import (
	"fmt"
	"testing"
)

// benchConfigs are the two model sizes the lab trains in the browser.
var benchConfigs = []struct {
	name string
	cfg  Config
}{
	{"d64_L2", Config{Vocab: 320, Ctx: 128, Dim: 64, Layers: 2, Heads: 4}},
	{"d128_L1", Config{Vocab: 320, Ctx: 128, Dim: 128, Layers: 1, Heads: 4}},
}

// BenchmarkTrainStep times one full training step (forward, loss,
// backward, AdamW) on a 16×64 batch and reports tokens per second.
func BenchmarkTrainStep(b *testing.B) {
	const B, T = 16, 64
	for _, c := range benchConfigs {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(b *testing.B) {
				m, _ := New(c.cfg, 1)
				m.Workers = workers
				opt := NewAdam(AdamConfig{}, m)
				a := new(Acts)
				inputs, targets := batch(1, B, T, c.cfg.Vocab)
				dlogits := make([]float32, B*T*c.cfg.Vocab)
				step := func() {
					logits := m.Forward(a, inputs, B, T)
					CrossEntropy(logits, targets, nil, B, T, c.cfg.Vocab, dlogits)
					m.ZeroGrad()
					m.Backward(a, dlogits)
					opt.Step(m)
				}
				step() // allocate buffers outside the timing
				b.ResetTimer()
				for b.Loop() {
					step()
				}
				b.ReportMetric(float64(B*T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

// BenchmarkExtend times token-by-token generation with a KV cache: each
// op appends one token at a growing position and produces its logits.
func BenchmarkExtend(b *testing.B) {
	for _, c := range benchConfigs {
		b.Run(c.name, func(b *testing.B) {
			m, _ := New(c.cfg, 1)
			m.Workers = 1
			kv := m.NewKVCache()
			logits := make([]float32, c.cfg.Vocab)
			tok := []int32{1}
			for b.Loop() {
				if kv.Len() == c.cfg.Ctx {
					kv.Truncate(0)
				}
				if err := m.Extend(kv, tok, logits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
