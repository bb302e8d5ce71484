package model_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/num"
)

// A training loop: data, forward, zero-grad, backward, update, one line.
// Results are bit-identical on every platform, so the printed losses are
// too.
func Example() {
	cfg := model.Config{Vocab: 8, Ctx: 8, Dim: 16, Layers: 1, Heads: 2}
	m, err := model.New(cfg, 1)
	if err != nil {
		panic(err)
	}
	opt := model.NewAdam(model.AdamConfig{LR: 1e-2}, m)
	const B, T = 2, 8
	inputs := []int32{0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0}
	targets := []int32{1, 2, 3, 4, 5, 6, 7, 0, 6, 5, 4, 3, 2, 1, 0, 7}
	acts := new(model.Acts)
	dlogits := make([]float32, B*T*cfg.Vocab)
	for step := range 60 {
		logits := m.Forward(acts, inputs, B, T)
		loss := model.CrossEntropy(logits, targets, nil, B, T, cfg.Vocab, dlogits)
		m.ZeroGrad()
		m.Backward(acts, dlogits)
		opt.Step(m)
		if step%20 == 0 {
			fmt.Printf("step %2d loss %.4f\n", step, loss)
		}
	}
	// Output:
	// step  0 loss 2.0934
	// step 20 loss 0.6009
	// step 40 loss 0.0636
}

// Generation with a KV cache: each Extend appends one token and returns
// its logits, which are sampled with the caller's random generator.
func ExampleModel_Extend() {
	cfg := model.Config{Vocab: 8, Ctx: 16, Dim: 16, Layers: 1, Heads: 2}
	m, _ := model.New(cfg, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	kv := m.NewKVCache()
	logits := make([]float32, cfg.Vocab)
	probs := make([]float32, cfg.Vocab)
	tok := int32(0)
	var out []int32
	for kv.Len() < 10 {
		if err := m.Extend(kv, []int32{tok}, logits); err != nil {
			panic(err)
		}
		num.Softmax(probs, logits, 0.8)
		tok = int32(model.Sample(probs, 4, rng.Float64()))
		out = append(out, tok)
	}
	fmt.Println(len(out), kv.Len())
	// Output: 10 10
}
