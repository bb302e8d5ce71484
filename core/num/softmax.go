package num

import "math"

// Max returns the largest element of x and its first index. It panics if x
// is empty. NaN elements are ignored unless every element is NaN.
func Max(x []float32) (float32, int) {
	if len(x) == 0 {
		panic("num: Max of empty slice")
	}
	best, at := x[0], 0
	for i, v := range x {
		if v > best || (best != best && v == v) {
			best, at = v, i
		}
	}
	return best, at
}

// LogSumExp returns log(Σ_i exp(x[i])) computed stably: the maximum is
// subtracted before exponentiating and the sum accumulates in float64 in
// index order.
//
// Special cases: an empty slice or one whose elements are all -Inf gives
// -Inf; any +Inf element gives +Inf; a NaN element gives NaN.
func LogSumExp(x []float32) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	mx := float64(x[0])
	for _, v := range x {
		if v != v {
			return math.NaN()
		}
		mx = math.Max(mx, float64(v))
	}
	if math.IsInf(mx, 0) {
		return mx
	}
	var sum float64
	for _, v := range x {
		sum += Exp(float64(v) - mx)
	}
	return mx + Log(sum)
}

// Softmax writes into dst the probabilities softmax(logits / temp):
//
//	dst[i] = exp((logits[i]-max)/temp) / Σ_j exp((logits[j]-max)/temp)
//
// The maximum is subtracted first so that no term overflows; the
// normaliser accumulates in float64 in index order. dst may alias logits.
//
// temp <= 0 means greedy decoding: dst becomes one-hot on the first
// maximum. Logits may be -Inf (probability 0) provided at least one is
// finite; otherwise dst holds NaN. Softmax panics if len(dst) !=
// len(logits) or logits is empty.
func Softmax(dst, logits []float32, temp float32) {
	if len(dst) != len(logits) {
		panic("num: Softmax length mismatch")
	}
	mx, at := Max(logits)
	if temp <= 0 {
		clear(dst)
		dst[at] = 1
		return
	}
	invTemp := 1 / temp
	if simdProbs(dst, logits, mx, invTemp) {
		return
	}
	var sum float64
	for i, v := range logits {
		e := Exp32(float32((v - mx) * invTemp))
		dst[i] = e
		sum += float64(e)
	}
	inv := 1 / sum
	for i, e := range dst {
		dst[i] = float32(float64(e) * inv)
	}
}

// Entropy returns the Shannon entropy -Σ p·ln p, in nats, of the
// distribution probs, accumulating in float64 in index order. Zero
// probabilities contribute nothing; probs is not renormalised. Negative
// entries give NaN.
func Entropy(probs []float32) float64 {
	var h float64
	for _, p := range probs {
		if p == 0 {
			continue
		}
		pd := float64(p)
		h -= float64(pd * Log(pd))
	}
	return h
}
