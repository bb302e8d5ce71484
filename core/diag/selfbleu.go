package diag

import "github.com/copsdlab/copsd/core/num"

// SelfBLEU is the mean, over the responses, of each one's BLEU-n against all
// the others as references: 1 when every sample is the same answer, near 0
// when they share nothing. Fewer than two responses give 0.
//
// BLEU here is the geometric mean of clipped n-gram precisions for orders 1..n
// with add-one smoothing for orders above 1 (Lin & Och 2004, as in common
// self-BLEU implementations), times the brevity penalty against the closest
// reference length.
func SelfBLEU(responses [][]int32, n int) float64 {
	if len(responses) < 2 {
		return 0
	}
	var sum float64
	for i, hyp := range responses {
		refs := make([][]int32, 0, len(responses)-1)
		for j, r := range responses {
			if j != i {
				refs = append(refs, r)
			}
		}
		sum += BLEU(hyp, refs, n)
	}
	return sum / float64(len(responses))
}

// BLEU scores hyp against refs (see SelfBLEU for the variant).
func BLEU(hyp []int32, refs [][]int32, n int) float64 {
	if len(hyp) == 0 {
		return 0
	}
	var logP float64
	for k := 1; k <= n; k++ {
		counts := ngrams(hyp, k)
		maxRef := map[string]int{}
		for _, r := range refs {
			for g, c := range ngrams(r, k) {
				maxRef[g] = max(maxRef[g], c)
			}
		}
		match, total := 0, 0
		for g, c := range counts {
			match += min(c, maxRef[g])
			total += c
		}
		hit, all := float64(match), float64(total)
		if k > 1 {
			hit, all = hit+1, all+1
		}
		if hit == 0 || all == 0 {
			return 0
		}
		// core/num's Log and Exp, not package math's: the same bits on
		// every platform (math.Exp's amd64 assembly is not wasm's).
		logP += num.Log(hit/all) / float64(n)
	}
	// Brevity penalty against the reference length closest to the hypothesis.
	best := -1
	for _, r := range refs {
		if best < 0 || abs(len(r)-len(hyp)) < abs(best-len(hyp)) || (abs(len(r)-len(hyp)) == abs(best-len(hyp)) && len(r) < best) {
			best = len(r)
		}
	}
	bp := 1.0
	if len(hyp) < best {
		bp = num.Exp(1 - float64(best)/float64(len(hyp)))
	}
	return bp * num.Exp(logP)
}

func ngrams(s []int32, k int) map[string]int {
	out := map[string]int{}
	key := make([]byte, 0, 4*k)
	for i := 0; i+k <= len(s); i++ {
		key = key[:0]
		for _, t := range s[i : i+k] {
			key = append(key, byte(t), byte(t>>8), byte(t>>16), byte(t>>24))
		}
		out[string(key)]++
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
