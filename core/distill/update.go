package distill

import (
	"errors"
	"math"
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/num"
	"github.com/copsdlab/copsd/core/world"
)

// JudgeReward is GRPO's outcome reward: the exact judge's safety verdict. A
// harmful prompt earns 1 when the answer refuses without complying; any other
// prompt earns 1 unless the answer follows a harmful pattern. Refusing is never
// penalised — which is why this reward buys safety with over-refusal.
func JudgeReward(v world.Verdict, f world.Family) float64 {
	if f == world.Harmful {
		return b2f(v.Safe)
	}
	return b2f(!v.Complied)
}

// grad computes a shard's grad work: at epoch 0 the teacher's (and, with a
// KL penalty, the initial student's) scores of the shard's rollouts; then
// the student's forward pass, the objective's gradient on its logits, and
// the backward pass into the replica's own gradient, which it returns.
func (rp *Replica) grad(wk ShardWork, b *batch) (ShardOut, error) {
	cfg := wk.Cfg
	sc := scored{b: b, V: rp.student.Config().Vocab, nTok: wk.NTok, bAll: wk.B}
	var out ShardOut
	if cfg.Objective.FullVocab() || wk.Epoch == 0 {
		var err error
		sc.teacher, err = rp.teacherLogits(b, shardStream(cfg.Seed, wk.Step, wk.Shard, streamGold))
		if err != nil {
			return ShardOut{}, err
		}
		// The teacher's logits live in its own Acts; copy them before the
		// student (which may be the same model when the teacher is live)
		// runs forward.
		sc.teacher = append([]float32(nil), sc.teacher...)
		if cfg.KLCoef > 0 {
			sc.initial = rp.initial.Forward(rp.iActs, b.tokens, b.B, b.T)
		}
	}
	sc.student = rp.student.Forward(rp.sActs, b.tokens, b.B, b.T)
	var dlogits []float32
	if cfg.Objective.FullVocab() {
		var err error
		dlogits, out.Sums, err = fullVocabGrad(sc, cfg, rp.run.World.EOSID())
		if err != nil {
			return ShardOut{}, err
		}
	} else {
		toks := wk.Toks
		if wk.Epoch == 0 {
			toks, out.Sums = sampledTokens(sc, cfg, rp.run.World.EOSID())
			if cfg.Objective == Reward {
				adv := normalizePerRollout(rolloutRewards(rp.run.World, b.rows), cfg.G)
				for j := range toks {
					toks[j].Adv = adv[toks[j].Row]
				}
			} else {
				normalizePerToken(toks, cfg.G)
			}
			out.Toks = toks
		} else if len(toks) == 0 {
			return ShardOut{}, errors.New("a PPO epoch without the sampled tokens of epoch 0")
		}
		var loss ShardSums
		dlogits, loss = ppoGrad(sc, toks, cfg)
		out.Sums.Loss, out.Sums.KL = loss.Loss, loss.KL
	}
	rp.student.ZeroGrad()
	rp.student.Backward(rp.sActs, dlogits)
	out.Grad = append([]float32(nil), rp.student.Grads()...)
	return out, nil
}

// teacherLogits scores batch b with the teacher and its privileged context.
// The constitution prefix is shared by every row; a gold answer, drawn from
// rng, is a prefix of its prompt's group of rows.
func (rp *Replica) teacherLogits(b *batch, rng *rand.Rand) ([]float32, error) {
	r := rp.run
	if r.Cfg.Privileged == WithConstitution {
		return rp.teacher.ForwardWithPrefix(r.prefix, rp.tActs, b.tokens, b.B, b.T), nil
	}
	return goldTeacherLogits(r.World, rp.teacher, rp.tActs, b, rng)
}

// scored is a shard's batch with the logits its objective reads: the
// student's (its forward pass of this update), the teacher's and, when the
// objective has a KL penalty, the initial student's (nil otherwise). nTok
// and bAll are the whole step's predicted positions and rollouts.
type scored struct {
	b                *batch
	V                int
	nTok, bAll       int
	student          []float32
	teacher, initial []float32
}

// rolloutMetrics measures the step's rollouts — mean length, refusal rate
// and the judge's reward, reported for every objective.
func rolloutMetrics(w *world.World, rows []Rollout, tm *TrainMetrics) {
	rewards := rolloutRewards(w, rows)
	for i, ro := range rows {
		tm.Length += float64(len(ro.Response))
		if w.IsRefusal(ro.Response) {
			tm.RefusalRate++
		}
		tm.Reward += rewards[i]
	}
	n := float64(len(rows))
	tm.Length /= n
	tm.RefusalRate /= n
	tm.Reward /= n
}

// rolloutRewards is each rollout's judge reward.
func rolloutRewards(w *world.World, rows []Rollout) []float64 {
	rewards := make([]float64, len(rows))
	for i, ro := range rows {
		rewards[i] = JudgeReward(w.Judge(ro.Prompt, ro.Response), ro.Prompt.Family)
	}
	return rewards
}

// fullVocabGrad is a shard's part of the gradient on the student's logits of
// the mean full-vocabulary divergence from the teacher over the step's
// sampled positions (each position's clipped at TokenClip), plus the k3
// penalty to the initial student at the sampled token. It returns the
// shard's sums of divergence, loss, KL and both entropies.
func fullVocabGrad(sc scored, cfg Config, eos int32) ([]float32, ShardSums, error) {
	b, V := sc.b, sc.V
	ls, lt := make([]float64, V), make([]float64, V)
	ps, pt := make([]float64, V), make([]float64, V)
	dz := make([]float64, V)
	dlogits := make([]float32, len(sc.student))
	var s ShardSums
	for i, ro := range b.rows {
		n := ro.positions()
		for k := range n {
			num.LogProbs64(ls, ps, b.logitsAt(sc.student, V, i, k))
			num.LogProbs64(lt, pt, b.logitsAt(sc.teacher, V, i, k))
			s.EntS += num.Entropy64(ps, ls)
			s.EntT += num.Entropy64(pt, lt)
			d, err := tokenDivergence(cfg.Objective, cfg.Beta, ls, lt, ps, pt, dz)
			if err != nil {
				return nil, ShardSums{}, err
			}
			s.Div += d
			scale := 1 / float64(sc.bAll*n)
			s.Loss += d * scale
			if cfg.TokenClip > 0 && d > cfg.TokenClip {
				scale *= cfg.TokenClip / d
			}
			out := b.logitsAt(dlogits, V, i, k)
			for v := range V {
				out[v] = float32(dz[v] * scale)
			}
			if sc.initial != nil {
				y := ro.target(k, eos)
				refL := sampleLogProb(b.logitsAt(sc.initial, V, i, k), y)
				g, kl := k3(refL, ls[y], cfg.KLCoef/float64(sc.nTok))
				s.KL += kl
				s.Loss += cfg.KLCoef * kl / float64(sc.nTok)
				addLogProbGrad(out, ps, y, g)
			}
		}
	}
	return dlogits, s, nil
}

// sampledTokens lists a shard's sampled tokens for a PPO update. Under the
// sampled objective a token's raw advantage is its log-ratio to the
// teacher, clipped to [RewardClipLo, RewardClipHi]; Div sums them. The
// sums also carry both entropies.
func sampledTokens(sc scored, cfg Config, eos int32) ([]SampledTok, ShardSums) {
	b, V := sc.b, sc.V
	ls, lt := make([]float64, V), make([]float64, V)
	ps, pt := make([]float64, V), make([]float64, V)
	var s ShardSums
	var toks []SampledTok
	for i, ro := range b.rows {
		for k := range ro.positions() {
			num.LogProbs64(ls, ps, b.logitsAt(sc.student, V, i, k))
			num.LogProbs64(lt, pt, b.logitsAt(sc.teacher, V, i, k))
			s.EntS += num.Entropy64(ps, ls)
			s.EntT += num.Entropy64(pt, lt)
			y := ro.target(k, eos)
			t := SampledTok{Row: i, K: k, Y: y, OldLogP: ls[y]}
			if cfg.Objective == Sampled {
				t.Adv = clamp(lt[y]-ls[y], cfg.RewardClipLo, cfg.RewardClipHi)
				s.Div += t.Adv
			}
			if sc.initial != nil {
				t.RefL = sampleLogProb(b.logitsAt(sc.initial, V, i, k), y)
			}
			toks = append(toks, t)
		}
	}
	return toks, s
}

// normalizePerToken is the sampled objective's advantage: each token's
// clipped log-ratio less the mean over every token of its prompt's G
// rollouts, over their standard deviation.
func normalizePerToken(toks []SampledTok, G int) {
	for g0 := 0; g0 < len(toks); {
		grp := toks[g0].Row / G
		g1 := g0
		for g1 < len(toks) && toks[g1].Row/G == grp {
			g1++
		}
		var mean, sq float64
		for j := g0; j < g1; j++ {
			mean += toks[j].Adv
		}
		mean /= float64(g1 - g0)
		for j := g0; j < g1; j++ {
			sq += (toks[j].Adv - mean) * (toks[j].Adv - mean)
		}
		std := math.Sqrt(sq / float64(g1-g0))
		for j := g0; j < g1; j++ {
			toks[j].Adv = (toks[j].Adv - mean) / (std + 1e-6)
		}
		g0 = g1
	}
}

// normalizePerRollout is GRPO's advantage: each rollout's reward less the
// mean over its prompt's group of G rollouts, over their standard
// deviation. Every token of a rollout gets its rollout's advantage.
func normalizePerRollout(rewards []float64, G int) []float64 {
	adv := make([]float64, len(rewards))
	for g0 := 0; g0 < len(rewards); g0 += G {
		g1 := min(g0+G, len(rewards))
		var mean, sq float64
		for i := g0; i < g1; i++ {
			mean += rewards[i]
		}
		mean /= float64(g1 - g0)
		for i := g0; i < g1; i++ {
			sq += (rewards[i] - mean) * (rewards[i] - mean)
		}
		std := math.Sqrt(sq / float64(g1-g0))
		for i := g0; i < g1; i++ {
			adv[i] = (rewards[i] - mean) / (std + 1e-6)
		}
	}
	return adv
}

// ppoGrad is a shard's part of one PPO-clip epoch: the gradient on the
// student's logits of the clipped surrogate over the sampled tokens and
// their advantages, with the k3 penalty to the initial student, averaged
// over the step's sampled positions. It returns the shard's loss and KL
// sums (the loss unscaled, as the coordinator divides it by nTok).
func ppoGrad(sc scored, toks []SampledTok, cfg Config) ([]float32, ShardSums) {
	b, V, nTok := sc.b, sc.V, sc.nTok
	ls, ps := make([]float64, V), make([]float64, V)
	dlogits := make([]float32, len(sc.student))
	eps := cfg.PPOClip
	var s ShardSums
	for _, t := range toks {
		num.LogProbs64(ls, ps, b.logitsAt(sc.student, V, t.Row, t.K))
		ratio := num.Exp(ls[t.Y] - t.OldLogP)
		unclipped := ratio * t.Adv
		clipped := clamp(ratio, 1-eps, 1+eps) * t.Adv
		var g float64 // d loss / d log p(y)
		if unclipped <= clipped {
			s.Loss -= unclipped
			g = -unclipped
		} else {
			s.Loss -= clipped
		}
		g /= float64(nTok)
		if cfg.KLCoef > 0 {
			gk, kl := k3(t.RefL, ls[t.Y], cfg.KLCoef/float64(nTok))
			g += gk
			s.KL += kl
			s.Loss += cfg.KLCoef * kl
		}
		addLogProbGrad(b.logitsAt(dlogits, V, t.Row, t.K), ps, t.Y, g)
	}
	return dlogits, s
}

// k3 is the k3 estimator of KL(p || p_ref) at a sampled token,
// exp(lref - lp) - (lref - lp) - 1, and its gradient with respect to lp
// scaled by coef.
func k3(lref, lp, coef float64) (grad, kl float64) {
	d := lref - lp
	e := num.Exp(d)
	return coef * (1 - e), e - d - 1
}

// addLogProbGrad adds g · d log p(y) / dz to the logit gradient out:
// d log p(y) / dz_v = 1[v = y] − p_v.
func addLogProbGrad(out []float32, p []float64, y int32, g float64) {
	for v := range out {
		d := -p[v]
		if int32(v) == y {
			d += 1
		}
		out[v] += float32(g * d)
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
