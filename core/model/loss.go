package model

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/copsdlab/copsd/core/num"
)

// CrossEntropy returns the mean negative log-likelihood of targets
// [B,T] under softmax(logits) [B,T,V], over the positions whose mask
// [B,T] is positive, each weighted by its mask value:
//
//	loss = Σ_i mask_i·(logsumexp(logits_i) - logits_i[target_i]) / Σ_i mask_i
//
// mask == nil weighs every position 1. Positions with mask <= 0 are
// ignored and their target may be anything (e.g. -1). When dlogits
// [B,T,V] is not nil it is overwritten with the gradient of that loss:
// mask_i/Σmask·(softmax(logits_i) - onehot(target_i)), and 0 on ignored
// positions. If no position counts the loss is 0 and dlogits is zero.
//
// Each row's softmax subtracts the row maximum, uses num.Exp32 and sums
// in float64 over v in order; rows run in parallel (GOMAXPROCS) and the
// loss sums them in order in float64, so the result never depends on it.
// CrossEntropy panics on mismatched lengths or a counted target outside
// [0, V).
func CrossEntropy(logits []float32, targets []int32, mask []float32, B, T, V int, dlogits []float32) float64 {
	N := B * T
	if len(logits) != N*V || len(targets) != N || (mask != nil && len(mask) != N) || (dlogits != nil && len(dlogits) != N*V) {
		panic(fmt.Sprintf("model: CrossEntropy lengths logits=%d targets=%d mask=%d dlogits=%d for B=%d T=%d V=%d",
			len(logits), len(targets), len(mask), len(dlogits), B, T, V))
	}
	weight := func(i int) float64 {
		if mask == nil {
			return 1
		}
		if mask[i] > 0 {
			return float64(mask[i])
		}
		return 0
	}
	var total float64
	for i := range N {
		total += weight(i)
	}
	if dlogits != nil {
		clear(dlogits)
	}
	if total == 0 {
		return 0
	}
	// Rows are independent: they run in parallel into rowLoss, which is
	// then summed in order, so the result does not depend on the split.
	rowLoss := make([]float64, N)
	workers := runtime.GOMAXPROCS(0)
	if N*V < 1<<15 {
		workers = 1
	}
	var bad error
	var badOnce sync.Once
	parallelFor(workers, N, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			w := weight(i)
			if w == 0 {
				continue
			}
			tgt := targets[i]
			if tgt < 0 || int(tgt) >= V {
				badOnce.Do(func() {
					bad = fmt.Errorf("model: CrossEntropy target %d at position %d is outside [0, %d)", tgt, i, V)
				})
				return
			}
			var d []float32
			if dlogits != nil {
				d = dlogits[i*V : (i+1)*V]
			}
			rowLoss[i] = w * crossEntropyRow(logits[i*V:(i+1)*V], int(tgt), d, w/total)
		}
	})
	if bad != nil {
		panic(bad.Error())
	}
	var loss float64
	for _, l := range rowLoss {
		loss += l
	}
	return loss / total
}

// crossEntropyRow returns -log softmax(row)[tgt] and, when d is not nil,
// writes scale·(softmax(row) - onehot(tgt)) into it. The softmax subtracts
// the row maximum and sums num.Exp32 terms in float64 over v in order.
func crossEntropyRow(row []float32, tgt int, d []float32, scale float64) float64 {
	mx, _ := num.Max(row)
	var sum float64
	for v, x := range row {
		e := num.Exp32(x - mx)
		if d != nil {
			d[v] = e
		}
		sum += float64(e)
	}
	logZ := float64(mx) + num.Log(sum)
	if d != nil {
		for v, e := range d {
			p := float64(e) / sum
			if v == tgt {
				p--
			}
			d[v] = float32(scale * p)
		}
	}
	return logZ - float64(row[tgt])
}
