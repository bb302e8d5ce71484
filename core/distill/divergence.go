package distill

import (
	"fmt"

	"github.com/copsdlab/copsd/core/num"
)

// Objective names what the student is trained on: a full-vocabulary
// divergence from the teacher (rkl, fkl, jsd), the sampled token's log-ratio
// to the teacher (sampled), or the judge's outcome reward, which ignores the
// teacher (reward).
type Objective string

const (
	// ReverseKL is KL(p_S || p_T) over the full vocabulary: mode-seeking.
	ReverseKL Objective = "rkl"
	// ForwardKL is KL(p_T || p_S) over the full vocabulary: mode-covering.
	ForwardKL Objective = "fkl"
	// JSD is the generalised Jensen-Shannon divergence with weight Beta, in
	// TRL's convention: beta = 0 is forward KL, beta = 1 is reverse KL.
	JSD Objective = "jsd"
	// Sampled is COPSD's estimator: the per-token reward
	// clip(log p_T(y) - log p_S(y), -3, 5) on the sampled token only,
	// normalised over the prompt's rollouts, with a PPO-clip update.
	Sampled Objective = "sampled"
	// Reward ignores the teacher: group-normalised outcome reward from the
	// exact judge, PPO-clip update (GRPO).
	Reward Objective = "reward"
)

// FullVocab reports whether d is a full-vocabulary divergence from the
// teacher (rkl, fkl, jsd), whose gradient reaches every logit of every
// position; the others train on the sampled tokens with PPO-clip.
func (d Objective) FullVocab() bool { return d == ReverseKL || d == ForwardKL || d == JSD }

// Valid reports whether d is a known objective.
func (d Objective) Valid() bool {
	switch d {
	case ReverseKL, ForwardKL, JSD, Sampled, Reward:
		return true
	}
	return false
}

// tokenDivergence computes the full-vocabulary divergence of one position
// from the student's and teacher's log-probabilities and writes its gradient
// with respect to the student's logits into dz. ps holds the student's
// probabilities, pt the teacher's.
//
//	reverse KL  D = Σ p_S (log p_S − log p_T)       dD/dz_v = p_S,v (log p_S,v − log p_T,v − D)
//	forward KL  D = Σ p_T (log p_T − log p_S)       dD/dz_v = p_S,v − p_T,v
//	JSD(β)      M = (1−β) p_S + β p_T
//	            D = β KL(p_T‖M) + (1−β) KL(p_S‖M)   dD/dz_v = p_S,v (g_v − Σ_u p_S,u g_u), g = (1−β)(log p_S − log M)
func tokenDivergence(div Objective, beta float64, ls, lt, ps, pt []float64, dz []float64) (float64, error) {
	switch {
	case div == ReverseKL || (div == JSD && beta == 1):
		var d float64
		for v := range ls {
			d += float64(ps[v] * (ls[v] - lt[v]))
		}
		for v := range ls {
			dz[v] = ps[v] * (ls[v] - lt[v] - d)
		}
		return d, nil
	case div == ForwardKL || (div == JSD && beta == 0):
		var d float64
		for v := range ls {
			d += float64(pt[v] * (lt[v] - ls[v]))
		}
		for v := range ls {
			dz[v] = ps[v] - pt[v]
		}
		return d, nil
	case div == JSD:
		if !(beta > 0 && beta < 1) {
			return 0, fmt.Errorf("jsd beta = %v, want [0, 1]", beta)
		}
		var d, mean float64
		for v := range ls {
			mv := (1-beta)*ps[v] + beta*pt[v]
			lm := num.Log(mv)
			if mv == 0 {
				lm = 0 // both probabilities are zero: the term vanishes
			}
			if pt[v] > 0 {
				d += float64(beta * pt[v] * (lt[v] - lm))
			}
			if ps[v] > 0 {
				d += float64((1 - beta) * ps[v] * (ls[v] - lm))
			}
			g := (1 - beta) * (ls[v] - lm)
			dz[v] = g
			mean += float64(ps[v] * g)
		}
		for v := range ls {
			dz[v] = ps[v] * (dz[v] - mean)
		}
		return d, nil
	}
	return 0, fmt.Errorf("divergence %q has no full-vocabulary form", div)
}
