package distill

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

// TestTopMatchesASortedVocabulary checks the one-pass selection against a
// stable sort, on distributions with many ties.
func TestTopMatchesASortedVocabulary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(i int32) string { return strconv.Itoa(int(i)) }
	for trial := range 500 {
		n := 1 + rng.IntN(40)
		p := make([]float64, n)
		for i := range p {
			p[i] = float64(rng.IntN(6)) / 8 // few distinct values: ties everywhere
		}
		k := 1 + rng.IntN(7)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
		got := top(p, k, word)
		if len(got) != min(k, n) {
			t.Fatalf("trial %d: %d candidates, want %d", trial, len(got), min(k, n))
		}
		for j, c := range got {
			if c.Token != word(int32(idx[j])) || c.P != p[idx[j]] {
				t.Fatalf("trial %d (p=%v, k=%d): candidate %d is %v, want token %d", trial, p, k, j, c, idx[j])
			}
		}
	}
}
