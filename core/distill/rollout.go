package distill

import (
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

// Rollout is one answer the student sampled.
type Rollout struct {
	Prompt   world.Prompt
	Response []int32 // without <eos>
	Ended    bool    // the student emitted <eos> (else the answer hit the length cap)
}

// positions is the number of predicted positions of a rollout: one per
// response token, plus the <eos> prediction when it ended.
func (r Rollout) positions() int {
	if r.Ended {
		return len(r.Response) + 1
	}
	return len(r.Response)
}

// target returns the token predicted at position i (0-based within the
// response): a response token, or <eos> after the last.
func (r Rollout) target(i int, eos int32) int32 {
	if i < len(r.Response) {
		return r.Response[i]
	}
	return eos
}

// sampleGroup draws g answers to one prompt from m. The prompt's user turn is
// run through the KV cache once and shared by the g samples.
func sampleGroup(m *model.Model, w *world.World, p world.Prompt, g int, temp float32, topK int, rng *rand.Rand) ([]Rollout, error) {
	V := m.Config().Vocab
	turn := w.UserTurn(p.Tokens)
	shared := m.NewKVCache()
	logits := make([]float32, len(turn)*V)
	if err := m.Extend(shared, turn, logits); err != nil {
		return nil, err
	}
	first := logits[(len(turn)-1)*V:]
	maxLen := min(eval.MaxResponse, m.Config().Ctx-len(turn)-maxPrefix)
	out := make([]Rollout, g)
	cache := m.NewKVCache()
	for j := range g {
		cache.CopyFrom(shared)
		d, err := eval.Decode(m, cache, first, w.EOSID(), maxLen, temp, topK, rng, false)
		if err != nil {
			return nil, err
		}
		out[j] = Rollout{Prompt: p, Response: d.Response, Ended: d.Ended}
	}
	return out, nil
}

// maxPrefix is the most context a teacher's privileged prefix may take; the
// student's answers are capped so the teacher's view still fits the context.
const maxPrefix = 52

// batch lays rollouts out as rows "<user> prompt <bot> response" padded to a
// common length T. start[i] is the row index of the <bot> token, whose logits
// predict the first response token.
type batch struct {
	rows   []Rollout
	tokens []int32 // [B*T]
	start  []int
	B, T   int
}

func newBatch(w *world.World, rows []Rollout) *batch {
	b := &batch{rows: rows, B: len(rows), start: make([]int, len(rows))}
	seqs := make([][]int32, len(rows))
	for i, r := range rows {
		s := w.UserTurn(r.Prompt.Tokens)
		b.start[i] = len(s) - 1
		s = append(s, r.Response...)
		seqs[i] = s
		b.T = max(b.T, len(s))
	}
	b.tokens = make([]int32, b.B*b.T)
	for i, s := range seqs {
		copy(b.tokens[i*b.T:], s)
		for t := len(s); t < b.T; t++ {
			b.tokens[i*b.T+t] = w.PadID()
		}
	}
	return b
}

// logitsAt returns the V logits of row i at response position k.
func (b *batch) logitsAt(logits []float32, V, i, k int) []float32 {
	off := (i*b.T + b.start[i] + k) * V
	return logits[off : off+V]
}
