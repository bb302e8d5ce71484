package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"

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

// DecodeRows is Decode for several sequences at once: row i continues
// caches[i], whose last position's logits are lasts[i], for at most
// maxLens[i] tokens, sampling from its own stream rngs[i]. Each step feeds
// the rows still going through the model together (Model.ExtendRows), and
// row i's decoding is, bit for bit, what Decode gives it alone: the same
// logits, the same draws from its stream in the same order. yield is called
// after each step (Options.Yield).
func DecodeRows(m *model.Model, caches []*model.KVCache, lasts [][]float32, eos int32, maxLens []int, temp float32, topK int, rngs []*rand.Rand, withEntropy bool, yield func()) ([]Decoding, error) {
	V, n := m.Config().Vocab, len(caches)
	if len(lasts) != n || len(maxLens) != n || len(rngs) != n {
		return nil, fmt.Errorf("eval: DecodeRows with %d caches, %d logits, %d lengths, %d streams", n, len(lasts), len(maxLens), len(rngs))
	}
	out := make([]Decoding, n)
	last := slices.Clone(lasts)
	store := make([]float32, n*V) // each row's latest logits, once it has been extended
	buf := make([]float32, n*V)
	probs := make([]float32, V)
	var a model.Acts
	active := make([]int, n)
	for i := range active {
		active[i] = i
	}
	for len(active) > 0 {
		var next []int
		var cs []*model.KVCache
		var toks []int32
		for _, i := range active {
			d := &out[i]
			if len(d.Response) >= maxLens[i] {
				continue
			}
			num.Softmax(probs, last[i], temp)
			if withEntropy {
				d.Entropy = append(d.Entropy, float32(num.Entropy(probs)))
			}
			tok := int32(model.Sample(probs, topK, rngs[i].Float64()))
			if tok == eos {
				d.Ended = true
				continue
			}
			d.Response = append(d.Response, tok)
			// The last token is not fed back: nothing reads its logits.
			if len(d.Response) == maxLens[i] || caches[i].Len() >= m.Config().Ctx {
				continue
			}
			next, cs, toks = append(next, i), append(cs, caches[i]), append(toks, tok)
		}
		if len(next) == 0 {
			break
		}
		if err := m.ExtendRows(&a, cs, toks, buf[:len(next)*V]); err != nil {
			return out, err
		}
		yield()
		for k, i := range next {
			last[i] = store[i*V : (i+1)*V]
			copy(last[i], buf[k*V:(k+1)*V])
		}
		active = next
	}
	return out, nil
}
