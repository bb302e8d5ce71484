package distill_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/pretrain"
)

// traceTol is how far a number recomputed here from a full trace may differ
// from the one the engine recorded: both are float64 sums over the same
// vocabulary, in a different order and with the standard library's exp and
// log instead of the engine's own.
const traceTol = 1e-9

// TestFullTraceRecomputes checks that every number of a probe token record
// can be recomputed by a reader from the full distributions alone, with
// textbook formulas written here and nothing of the engine's: the entropies,
// each objective's divergence, the sampled-token advantage and the
// probabilities of the generated token.
func TestFullTraceRecomputes(t *testing.T) {
	base, err := pretrain.Open("../../assets/models/base-rho50.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		div  distill.Objective
		beta float64
	}{{distill.ReverseKL, 0}, {distill.ForwardKL, 0}, {distill.JSD, 0.5}, {distill.JSD, 0.2}, {distill.Sampled, 0}} {
		t.Run(fmt.Sprintf("%s-%v", tc.div, tc.beta), func(t *testing.T) {
			cfg := distill.Config{Objective: tc.div, Beta: tc.beta, Prompts: 2, G: 2, Steps: 2, Probes: 3, Seed: 7}
			r, err := distill.NewRun(base, cfg)
			if err != nil {
				t.Fatal(err)
			}
			r.FullTrace = true
			var n, worst = 0, 0.0
			for !r.Done() {
				res, err := r.Step()
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range res.Probes {
					for _, rec := range p.Tokens {
						worst = math.Max(worst, checkRecord(t, r, rec))
						n++
					}
				}
			}
			if n == 0 {
				t.Fatal("no probe tokens recorded")
			}
			t.Logf("%d tokens recomputed, max difference %.3g", n, worst)
		})
	}
}

// checkRecord recomputes one record and returns the largest difference.
func checkRecord(t *testing.T, r *distill.Run, rec distill.TokenRecord) float64 {
	t.Helper()
	f := rec.Full
	if f == nil {
		t.Fatal("a full trace's record has no distributions")
	}
	V := r.Student.Config().Vocab
	if len(f.LogPStudent) != V || len(f.LogPTeacher) != V {
		t.Fatalf("distributions of %d and %d entries, want the vocabulary's %d", len(f.LogPStudent), len(f.LogPTeacher), V)
	}
	if got := r.World.Vocab.Word(f.TokenID); got != rec.Token {
		t.Fatalf("token id %d is %q, the record says %q", f.TokenID, got, rec.Token)
	}
	ls, lt := f.LogPStudent, f.LogPTeacher
	var hs, ht, rkl, fkl, sumS, sumT float64
	for v := range V {
		ps, pt := math.Exp(ls[v]), math.Exp(lt[v])
		sumS += ps
		sumT += pt
		if ps > 0 {
			hs -= ps * ls[v]
			rkl += ps * (ls[v] - lt[v])
		}
		if pt > 0 {
			ht -= pt * lt[v]
			fkl += pt * (lt[v] - ls[v])
		}
	}
	cfg := r.Cfg
	var div float64
	switch cfg.Objective {
	case distill.ForwardKL:
		div = fkl
	case distill.JSD:
		div = jsd(ls, lt, cfg.Beta)
	default: // reverse KL, and the probes of the sampled-token and reward objectives
		div = rkl
	}
	y := f.TokenID
	adv := math.Min(math.Max(lt[y]-ls[y], cfg.RewardClipLo), cfg.RewardClipHi)
	worst := 0.0
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"sum of p_student", sumS, 1}, {"sum of p_teacher", sumT, 1},
		{"student entropy", rec.StudentEntropy, hs}, {"teacher entropy", rec.TeacherEntropy, ht},
		{"divergence", rec.Divergence, div}, {"advantage", rec.Advantage, adv},
		{"p_student", rec.PStudent, math.Exp(ls[y])}, {"p_teacher", rec.PTeacher, math.Exp(lt[y])},
	} {
		d := math.Abs(c.got - c.want)
		if !(d <= traceTol) {
			t.Errorf("%q: %s recorded %v, recomputed %v (difference %.3g)", rec.Token, c.name, c.got, c.want, d)
		}
		worst = math.Max(worst, d)
	}
	return worst
}

// jsd is the generalised Jensen-Shannon divergence in TRL's convention:
// with M = (1-beta) p_S + beta p_T, beta KL(p_T||M) + (1-beta) KL(p_S||M).
func jsd(ls, lt []float64, beta float64) float64 {
	var d float64
	for v := range ls {
		ps, pt := math.Exp(ls[v]), math.Exp(lt[v])
		m := (1-beta)*ps + beta*pt
		if m == 0 {
			continue
		}
		if pt > 0 {
			d += beta * pt * (lt[v] - math.Log(m))
		}
		if ps > 0 {
			d += (1 - beta) * ps * (ls[v] - math.Log(m))
		}
	}
	return d
}
