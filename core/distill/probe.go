package distill

import (
	"slices"

	"github.com/copsdlab/copsd/core/num"
	"github.com/copsdlab/copsd/core/world"
)

// Candidate is one of the top next-token candidates at a position.
type Candidate struct {
	Token string  `json:"token"`
	P     float64 `json:"p"`
}

// TokenRecord is the supervision one generated token received.
type TokenRecord struct {
	Token      string  `json:"token"`
	PStudent   float64 `json:"p_student"` // student probability of this token
	PTeacher   float64 `json:"p_teacher"` // teacher probability of this token (with its privileged context)
	Divergence float64 `json:"divergence"`
	// Advantage is the sampled-token reward clip(log pT − log pS, lo, hi)
	// before normalisation.
	Advantage      float64     `json:"advantage"`
	StudentEntropy float64     `json:"student_entropy"`
	TeacherEntropy float64     `json:"teacher_entropy"`
	TopStudent     []Candidate `json:"top_student"`
	TopTeacher     []Candidate `json:"top_teacher"`
	// Full is the whole next-token distribution of both models at this
	// position, so that a reader can recompute every number above; it is
	// recorded only when the run's FullTrace is set.
	Full *FullDistribution `json:"full,omitempty"`
}

// FullDistribution is the full-vocabulary supervision of one position:
// log-probabilities indexed by token id (the world's vocabulary order).
type FullDistribution struct {
	TokenID     int32     `json:"token_id"`     // the generated token's id
	LogPStudent []float64 `json:"logp_student"` // log p_S(v | x, y<n) for every v
	LogPTeacher []float64 `json:"logp_teacher"` // log p_T(v | C, x, y<n) for every v
}

// ProbeTrace is one probe rollout, token by token. Divergence is the run's
// full-vocabulary divergence; for the sampled-token and reward recipes, which
// have none, it is the reverse KL.
type ProbeTrace struct {
	Step     int           `json:"step"`
	Prompt   string        `json:"prompt"`
	Family   string        `json:"family"`
	Response string        `json:"response"`
	Refused  bool          `json:"refused"`
	Tokens   []TokenRecord `json:"tokens"`
}

// probe computes a probe work: one answer to probe prompt wk.Shard, drawn
// from the probe's own stream of (seed, step, probe), and the supervision
// each of its tokens gets from the weights as the step left them. Probes
// never change the training state; like a step's shards, they may be
// computed by any worker of a pool, and give the same bits.
func (rp *Replica) probe(wk ShardWork) (ShardOut, error) {
	r, cfg := rp.run, wk.Cfg
	rng := shardStream(cfg.Seed, wk.Step, wk.Shard, streamProbe)
	rows, err := sampleGroup(rp.student, r.World, r.probes[wk.Shard], 1, cfg.Temperature, cfg.TopK, rng)
	if err != nil {
		return ShardOut{}, err
	}
	b := newBatch(r.World, rows)
	tl, err := rp.teacherLogits(b, rng)
	if err != nil {
		return ShardOut{}, err
	}
	// The teacher's logits live in its own Acts (see grad).
	tl = append([]float32(nil), tl...)
	sl := rp.student.Forward(rp.sActs, b.tokens, b.B, b.T)
	tr, err := probeTrace(r.World, b, sl, tl, wk)
	if err != nil {
		return ShardOut{}, err
	}
	return ShardOut{Probe: &tr}, nil
}

// probeTrace records the supervision of each token of batch b's one row
// from the student's and the teacher's logits.
func probeTrace(w *world.World, b *batch, sl, tl []float32, wk ShardWork) (ProbeTrace, error) {
	cfg, ro := wk.Cfg, b.rows[0]
	V := w.Vocab.Size()
	div := cfg.Objective
	if div == Sampled || div == Reward {
		div = ReverseKL
	}
	ls, lt := make([]float64, V), make([]float64, V)
	ps, pt := make([]float64, V), make([]float64, V)
	dz := make([]float64, V)
	vocab := w.Vocab
	tr := ProbeTrace{Step: wk.Step, Prompt: ro.Prompt.Text, Family: ro.Prompt.Family.String(),
		Response: vocab.Decode(ro.Response), Refused: w.IsRefusal(ro.Response)}
	for k := range ro.positions() {
		num.LogProbs64(ls, ps, b.logitsAt(sl, V, 0, k))
		num.LogProbs64(lt, pt, b.logitsAt(tl, V, 0, k))
		y := ro.target(k, w.EOSID())
		d, err := tokenDivergence(div, cfg.Beta, ls, lt, ps, pt, dz)
		if err != nil {
			return ProbeTrace{}, err
		}
		rec := TokenRecord{
			Token: vocab.Word(y), PStudent: ps[y], PTeacher: pt[y], Divergence: d,
			Advantage:      clamp(lt[y]-ls[y], cfg.RewardClipLo, cfg.RewardClipHi),
			StudentEntropy: num.Entropy64(ps, ls), TeacherEntropy: num.Entropy64(pt, lt),
			TopStudent: top(ps, 5, vocab.Word), TopTeacher: top(pt, 5, vocab.Word),
		}
		if wk.Full {
			rec.Full = &FullDistribution{TokenID: y, LogPStudent: slices.Clone(ls), LogPTeacher: slices.Clone(lt)}
		}
		tr.Tokens = append(tr.Tokens, rec)
	}
	return tr, nil
}

// top returns the k most probable tokens, most probable first, ties by id.
// It keeps the best k in one pass (insertion into a k-slot list) instead of
// sorting the vocabulary: the probe calls it twice per recorded token.
func top(p []float64, k int, word func(int32) string) []Candidate {
	k = min(k, len(p))
	best := make([]int, 0, k)
	for i, pi := range p {
		if len(best) == k && !(pi > p[best[k-1]]) {
			continue // ties keep the lower id, already in
		}
		j := len(best)
		if j < k {
			best = append(best, i)
		} else {
			j = k - 1
		}
		for j > 0 && pi > p[best[j-1]] {
			best[j] = best[j-1]
			j--
		}
		best[j] = i
	}
	out := make([]Candidate, 0, k)
	for _, i := range best {
		out = append(out, Candidate{Token: word(int32(i)), P: p[i]})
	}
	return out
}
