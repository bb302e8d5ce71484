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

// update computes the gradient of the objective of cfg on the student's
// logits for batch b, given the teacher's and the initial student's logits
// (scoreBatch). For the full-vocabulary divergences it returns that
// gradient for backward to apply (a phase of its own); the sampled-token and
// reward objectives backpropagate and step here, once per PPO epoch, and
// return no gradient. A non-finite loss returns no gradient either: the
// update is skipped.
func (r *Run) update(b *batch, cfg Config, tLogits, iLogits []float32) (TrainMetrics, []float32, error) {
	w := r.World
	V := r.Student.Config().Vocab
	eos := w.EOSID()
	var tm TrainMetrics
	r.opt.LR = cfg.LR

	ls, lt := make([]float64, V), make([]float64, V)
	ps, pt := make([]float64, V), make([]float64, V)
	dz := make([]float64, V)

	// Per-token quantities of the sampled tokens, reused across PPO epochs.
	type tok struct {
		row, k        int
		y             int32
		oldLogP, refL float64
		adv           float64
	}
	var toks []tok
	nTok := 0
	for _, ro := range b.rows {
		nTok += ro.positions()
		tm.Length += float64(len(ro.Response))
		if w.IsRefusal(ro.Response) {
			tm.RefusalRate++
		}
	}
	tm.Length /= float64(b.B)
	tm.RefusalRate /= float64(b.B)

	sLogits := r.Student.Forward(r.sActs, b.tokens, b.B, b.T)
	dlogits := make([]float32, len(sLogits))
	var divSum, lossSum, klSum float64
	var entS, entT float64

	for i, ro := range b.rows {
		n := ro.positions()
		for k := range n {
			num.LogProbs64(ls, ps, b.logitsAt(sLogits, V, i, k))
			num.LogProbs64(lt, pt, b.logitsAt(tLogits, V, i, k))
			entS += num.Entropy64(ps, ls)
			entT += num.Entropy64(pt, lt)
			y := ro.target(k, eos)
			switch cfg.Divergence {
			case Sampled, Reward:
				t := tok{row: i, k: k, y: y, oldLogP: ls[y]}
				if cfg.Divergence == Sampled {
					t.adv = clamp(lt[y]-ls[y], cfg.RewardClipLo, cfg.RewardClipHi)
					divSum += t.adv
				}
				if iLogits != nil {
					t.refL = sampleLogProb(b.logitsAt(iLogits, V, i, k), y)
				}
				toks = append(toks, t)
			default:
				d, err := tokenDivergence(cfg.Divergence, cfg.Beta, ls, lt, ps, pt, dz)
				if err != nil {
					return tm, nil, err
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
				if iLogits != nil {
					refL := sampleLogProb(b.logitsAt(iLogits, V, i, k), y)
					g, kl := k3(refL, ls[y], cfg.KLCoef/float64(nTok))
					klSum += kl
					lossSum += cfg.KLCoef * kl / float64(nTok)
					addLogProbGrad(out, ps, y, g)
				}
			}
		}
	}
	tm.StudentEntropy = entS / float64(nTok)
	tm.TeacherEntropy = entT / float64(nTok)
	tm.Divergence = divSum / float64(max(nTok, 1))

	// Judge rewards of the rollouts (reported for every recipe).
	rewards := make([]float64, b.B)
	for i, ro := range b.rows {
		rewards[i] = JudgeReward(w.Judge(ro.Prompt, ro.Response), ro.Prompt.Family)
		tm.Reward += rewards[i]
	}
	tm.Reward /= float64(b.B)

	if !finite(divSum) || !finite(lossSum) {
		tm.Loss, tm.Divergence = lossSum, divSum
		return tm, nil, nil // the caller reports it; no update is applied
	}
	if cfg.Divergence != Sampled && cfg.Divergence != Reward {
		tm.Loss = lossSum
		tm.KLInitial = klSum / float64(nTok)
		return tm, dlogits, nil
	}

	// Advantages. Sampled: each token's clipped reward, normalised over all
	// tokens of its prompt's G rollouts. Reward: each rollout's judge reward,
	// normalised over its group, given to all its tokens.
	G := cfg.G
	for g0 := 0; g0 < len(toks); {
		grp := toks[g0].row / G
		g1 := g0
		for g1 < len(toks) && toks[g1].row/G == grp {
			g1++
		}
		var mean, sq float64
		cnt := 0
		for j := g0; j < g1; j++ {
			v := toks[j].adv
			if cfg.Divergence == Reward {
				v = rewards[toks[j].row]
			}
			mean += v
			cnt++
		}
		if cfg.Divergence == Reward {
			// Group statistics over rollouts, not tokens.
			mean, cnt = 0, 0
			for i := grp * G; i < min((grp+1)*G, b.B); i++ {
				mean += rewards[i]
				cnt++
			}
		}
		mean /= float64(cnt)
		if cfg.Divergence == Reward {
			for i := grp * G; i < min((grp+1)*G, b.B); i++ {
				sq += (rewards[i] - mean) * (rewards[i] - mean)
			}
		} else {
			for j := g0; j < g1; j++ {
				sq += (toks[j].adv - mean) * (toks[j].adv - mean)
			}
		}
		std := math.Sqrt(sq / float64(cnt))
		for j := g0; j < g1; j++ {
			v := toks[j].adv
			if cfg.Divergence == Reward {
				v = rewards[toks[j].row]
			}
			toks[j].adv = (v - mean) / (std + 1e-6)
		}
		g0 = g1
	}

	eps := cfg.PPOClip
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
			if iLogits != nil {
				gk, kl := k3(t.refL, ls[t.y], cfg.KLCoef/float64(nTok))
				g += gk
				klSum += kl
				lossSum += cfg.KLCoef * kl
			}
			addLogProbGrad(b.logitsAt(dlogits, V, t.row, t.k), ps, t.y, g)
		}
		if !finite(lossSum) {
			tm.Loss = lossSum
			return tm, nil, nil
		}
		r.Student.ZeroGrad()
		r.Student.Backward(r.sActs, dlogits)
		tm.GradNorm = float64(r.opt.Step(r.Student))
	}
	tm.Loss = lossSum / float64(nTok)
	tm.KLInitial = klSum / float64(nTok)
	return tm, nil, nil
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
