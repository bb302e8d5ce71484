package distill

import (
	"math"

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

// scoreBatch runs the teacher (with its privileged context) and, when the
// objective has a KL penalty, the initial student over batch b.
func (r *Run) scoreBatch(b *batch, cfg Config) (tLogits, iLogits []float32, err error) {
	tLogits, err = r.teacherLogitsWith(b, r.rng)
	if err != nil {
		return nil, nil, err
	}
	// The teacher's logits live in its own Acts; copy them before the student
	// (which may be the same model when the teacher is live) runs forward.
	tLogits = append([]float32(nil), tLogits...)
	if cfg.KLCoef > 0 {
		iLogits = append([]float32(nil), r.Initial.Forward(r.iActs, b.tokens, b.B, b.T)...)
	}
	return tLogits, iLogits, nil
}

// scored is a batch with the logits the update reads: the student's (its
// forward pass of this update), the teacher's and, when the objective has a
// KL penalty, the initial student's (nil otherwise).
type scored struct {
	b                *batch
	V                int
	nTok             int // sampled positions of the batch
	student          []float32
	teacher, initial []float32
}

// update trains the student on batch b under cfg's objective, given the
// teacher's and the initial student's logits (scoreBatch). A full-vocabulary
// divergence returns its gradient on the student's logits for backward to
// apply (a phase of its own). The sampled-token and reward objectives run
// their whole PPO update here and return no gradient. A non-finite loss
// returns no gradient either: the update is skipped.
func (r *Run) update(b *batch, cfg Config, tLogits, iLogits []float32) (TrainMetrics, []float32, error) {
	r.opt.LR = cfg.LR
	var tm TrainMetrics
	rewards := r.rolloutMetrics(b, &tm)
	sc := scored{b: b, V: r.Student.Config().Vocab, teacher: tLogits, initial: iLogits}
	for _, ro := range b.rows {
		sc.nTok += ro.positions()
	}
	sc.student = r.Student.Forward(r.sActs, b.tokens, b.B, b.T)
	if cfg.Objective.FullVocab() {
		dlogits, err := r.fullVocabGrad(sc, cfg, &tm)
		return tm, dlogits, err
	}
	toks, divSum := r.sampledTokens(sc, cfg, &tm)
	if !finite(divSum) {
		tm.Loss, tm.Divergence = 0, divSum
		return tm, nil, nil // the caller reports it; no update is applied
	}
	if cfg.Objective == Reward {
		adv := normalizePerRollout(rewards, cfg.G)
		for j := range toks {
			toks[j].adv = adv[toks[j].row]
		}
	} else {
		normalizePerToken(toks, cfg.G)
	}
	r.ppoUpdate(sc, toks, cfg, &tm)
	return tm, nil, nil
}

// rolloutMetrics measures the batch's rollouts — mean length, refusal rate
// and the judge's reward, reported for every objective — and returns each
// rollout's reward.
func (r *Run) rolloutMetrics(b *batch, tm *TrainMetrics) []float64 {
	w := r.World
	rewards := make([]float64, b.B)
	for i, ro := range b.rows {
		tm.Length += float64(len(ro.Response))
		if w.IsRefusal(ro.Response) {
			tm.RefusalRate++
		}
		rewards[i] = JudgeReward(w.Judge(ro.Prompt, ro.Response), ro.Prompt.Family)
		tm.Reward += rewards[i]
	}
	tm.Length /= float64(b.B)
	tm.RefusalRate /= float64(b.B)
	tm.Reward /= float64(b.B)
	return rewards
}

// fullVocabGrad is the gradient on the student's logits of the mean
// full-vocabulary divergence from the teacher over the sampled positions
// (each position's clipped at TokenClip), plus the k3 penalty to the initial
// student at the sampled token. It fills in tm's loss, divergence, entropies
// and KL to the initial student; a non-finite loss returns no gradient.
func (r *Run) fullVocabGrad(sc scored, cfg Config, tm *TrainMetrics) ([]float32, error) {
	b, V, nTok := sc.b, sc.V, sc.nTok
	eos := r.World.EOSID()
	ls, lt := make([]float64, V), make([]float64, V)
	ps, pt := make([]float64, V), make([]float64, V)
	dz := make([]float64, V)
	dlogits := make([]float32, len(sc.student))
	var divSum, lossSum, klSum, entS, entT float64
	for i, ro := range b.rows {
		n := ro.positions()
		for k := range n {
			num.LogProbs64(ls, ps, b.logitsAt(sc.student, V, i, k))
			num.LogProbs64(lt, pt, b.logitsAt(sc.teacher, V, i, k))
			entS += num.Entropy64(ps, ls)
			entT += num.Entropy64(pt, lt)
			d, err := tokenDivergence(cfg.Objective, cfg.Beta, ls, lt, ps, pt, dz)
			if err != nil {
				return nil, err
			}
			divSum += d
			scale := 1 / float64(b.B*n)
			lossSum += d * scale
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
				g, kl := k3(refL, ls[y], cfg.KLCoef/float64(nTok))
				klSum += kl
				lossSum += cfg.KLCoef * kl / float64(nTok)
				addLogProbGrad(out, ps, y, g)
			}
		}
	}
	tm.StudentEntropy = entS / float64(nTok)
	tm.TeacherEntropy = entT / float64(nTok)
	tm.Divergence = divSum / float64(max(nTok, 1))
	if !finite(divSum) || !finite(lossSum) {
		tm.Loss, tm.Divergence = lossSum, divSum
		return nil, nil // the caller reports it; no update is applied
	}
	tm.Loss = lossSum
	tm.KLInitial = klSum / float64(nTok)
	return dlogits, nil
}

// tok is a sampled token of the batch, kept across PPO epochs.
type tok struct {
	row, k  int
	y       int32
	oldLogP float64 // the student's log p(y) before the update
	refL    float64 // the initial student's log p(y), when there is a KL penalty
	adv     float64 // the advantage
}

// sampledTokens lists the batch's sampled tokens for a PPO update. Under
// the sampled objective a token's raw advantage is its log-ratio to the
// teacher, clipped to [RewardClipLo, RewardClipHi]; divSum is their sum.
// It fills in tm's entropies and mean divergence.
func (r *Run) sampledTokens(sc scored, cfg Config, tm *TrainMetrics) (toks []tok, divSum float64) {
	b, V := sc.b, sc.V
	eos := r.World.EOSID()
	ls, lt := make([]float64, V), make([]float64, V)
	ps, pt := make([]float64, V), make([]float64, V)
	var entS, entT float64
	toks = make([]tok, 0, sc.nTok)
	for i, ro := range b.rows {
		for k := range ro.positions() {
			num.LogProbs64(ls, ps, b.logitsAt(sc.student, V, i, k))
			num.LogProbs64(lt, pt, b.logitsAt(sc.teacher, V, i, k))
			entS += num.Entropy64(ps, ls)
			entT += num.Entropy64(pt, lt)
			y := ro.target(k, eos)
			t := tok{row: i, k: k, y: y, oldLogP: ls[y]}
			if cfg.Objective == Sampled {
				t.adv = clamp(lt[y]-ls[y], cfg.RewardClipLo, cfg.RewardClipHi)
				divSum += t.adv
			}
			if sc.initial != nil {
				t.refL = sampleLogProb(b.logitsAt(sc.initial, V, i, k), y)
			}
			toks = append(toks, t)
		}
	}
	tm.StudentEntropy = entS / float64(sc.nTok)
	tm.TeacherEntropy = entT / float64(sc.nTok)
	tm.Divergence = divSum / float64(max(sc.nTok, 1))
	return toks, divSum
}

// normalizePerToken is the sampled objective's advantage: each token's
// clipped log-ratio less the mean over every token of its prompt's G
// rollouts, over their standard deviation.
func normalizePerToken(toks []tok, G int) {
	for g0 := 0; g0 < len(toks); {
		grp := toks[g0].row / G
		g1 := g0
		for g1 < len(toks) && toks[g1].row/G == grp {
			g1++
		}
		var mean, sq float64
		for j := g0; j < g1; j++ {
			mean += toks[j].adv
		}
		mean /= float64(g1 - g0)
		for j := g0; j < g1; j++ {
			sq += (toks[j].adv - mean) * (toks[j].adv - mean)
		}
		std := math.Sqrt(sq / float64(g1-g0))
		for j := g0; j < g1; j++ {
			toks[j].adv = (toks[j].adv - mean) / (std + 1e-6)
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

// ppoUpdate takes PPOEpochs PPO-clip steps of the student on the sampled
// tokens and their advantages, with the k3 penalty to the initial student;
// each epoch backpropagates and steps the optimizer. It fills in tm's loss,
// gradient norm and KL to the initial student. A non-finite loss stops it
// before that epoch's step.
func (r *Run) ppoUpdate(sc scored, toks []tok, cfg Config, tm *TrainMetrics) {
	b, V, nTok := sc.b, sc.V, sc.nTok
	ls, ps := make([]float64, V), make([]float64, V)
	sLogits := sc.student
	dlogits := make([]float32, len(sLogits))
	eps := cfg.PPOClip
	var lossSum, klSum float64
	for epoch := range cfg.PPOEpochs {
		if epoch > 0 {
			sLogits = r.Student.Forward(r.sActs, b.tokens, b.B, b.T)
			clear(dlogits)
		}
		lossSum, klSum = 0, 0
		for _, t := range toks {
			num.LogProbs64(ls, ps, b.logitsAt(sLogits, V, t.row, t.k))
			ratio := num.Exp(ls[t.y] - t.oldLogP)
			unclipped := ratio * t.adv
			clipped := clamp(ratio, 1-eps, 1+eps) * t.adv
			var g float64 // d loss / d log p(y)
			if unclipped <= clipped {
				lossSum -= unclipped
				g = -unclipped
			} else {
				lossSum -= clipped
			}
			g /= float64(nTok)
			if sc.initial != nil {
				gk, kl := k3(t.refL, ls[t.y], cfg.KLCoef/float64(nTok))
				g += gk
				klSum += kl
				lossSum += cfg.KLCoef * kl
			}
			addLogProbGrad(b.logitsAt(dlogits, V, t.row, t.k), ps, t.y, g)
		}
		if !finite(lossSum) {
			tm.Loss = lossSum
			return
		}
		tm.GradNorm = r.backward(dlogits)
	}
	tm.Loss = lossSum / float64(nTok)
	tm.KLInitial = klSum / float64(nTok)
}

// backward backpropagates the logit gradient update returned and applies
// one optimizer step; it returns the gradient norm.
func (r *Run) backward(dlogits []float32) float64 {
	r.Student.ZeroGrad()
	r.Student.Backward(r.sActs, dlogits)
	return float64(r.opt.Step(r.Student))
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
