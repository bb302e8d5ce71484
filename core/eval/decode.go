package eval

import (
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/num"
)

// Decoding is one sampled response.
type Decoding struct {
	Response []int32   // without <eos>
	Ended    bool      // the model emitted <eos> (else the response hit maxLen or the context)
	Entropy  []float32 // the sampling distribution's entropy at each position, when asked for
}

// Decode is the one decoding loop of the lab: evaluations (Generate) and the
// distillation's rollouts both sample with it. It continues cache, whose last
// position's logits are last, sampling at temperature temp from the topK
// most likely tokens (0: all) until eos, maxLen tokens or a full context.
// withEntropy records each sampling distribution's entropy.
func Decode(m *model.Model, cache *model.KVCache, last []float32, eos int32, maxLen int, temp float32, topK int, rng *rand.Rand, withEntropy bool) (Decoding, error) {
	V := m.Config().Vocab
	probs := make([]float32, V)
	step := make([]float32, V)
	var d Decoding
	for len(d.Response) < maxLen {
		num.Softmax(probs, last, temp)
		if withEntropy {
			d.Entropy = append(d.Entropy, float32(num.Entropy(probs)))
		}
		tok := int32(model.Sample(probs, topK, rng.Float64()))
		if tok == eos {
			d.Ended = true
			break
		}
		d.Response = append(d.Response, tok)
		// The last token is not fed back: nothing reads its logits.
		if len(d.Response) == maxLen || cache.Len() >= m.Config().Ctx {
			break
		}
		if err := m.Extend(cache, []int32{tok}, step); err != nil {
			return d, err
		}
		last = step
	}
	return d, nil
}
