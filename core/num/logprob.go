package num

// LogProbs64 writes the log-probabilities (dst) and probabilities (p) of the
// softmax of logits in float64: the distributions the divergences, the
// entropies and the KLs of the distillation and its diagnostics are computed
// from. dst and p must have len(logits) elements.
func LogProbs64(dst, p []float64, logits []float32) {
	// The maximum by comparison, not the max builtin: in wasm that is a
	// runtime call per element. A NaN logit makes every output NaN either way.
	mz := logits[0]
	for _, z := range logits[1:] {
		if z > mz {
			mz = z
		}
	}
	m := float64(mz)
	var s float64
	for i, z := range logits {
		e := Exp(float64(z) - m)
		p[i] = e
		s += e
	}
	ls := Log(s)
	for i, z := range logits {
		dst[i] = float64(z) - m - ls
		p[i] /= s
	}
}

// Entropy64 is the entropy, in nats, of a distribution given its
// probabilities p and log-probabilities lp (LogProbs64).
func Entropy64(p, lp []float64) float64 {
	var h float64
	for v := range p {
		if p[v] > 0 {
			h -= p[v] * lp[v]
		}
	}
	return h
}

// KL64 is KL(p ‖ q) from p's probabilities and both log-probabilities.
func KL64(p, lp, lq []float64) float64 {
	var d float64
	for v := range p {
		if p[v] > 0 {
			d += p[v] * (lp[v] - lq[v])
		}
	}
	return d
}
