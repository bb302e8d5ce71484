package distill

import (
	"slices"
	"testing"
)

// Works go to the worker with the least cost so far, the costliest first;
// works of equal cost go round-robin.
func TestBalance(t *testing.T) {
	for _, c := range []struct {
		costs []int
		bins  int
		want  []int
	}{
		{[]int{1, 1, 1, 1, 1}, 2, []int{0, 1, 0, 1, 0}},
		{[]int{1, 1, 1}, 3, []int{0, 1, 2}},
		{[]int{10, 40, 30, 20}, 2, []int{0, 0, 1, 1}}, // 40+10 against 30+20
		{[]int{5, 9, 2}, 1, []int{0, 0, 0}},
		{[]int{3, 3}, 0, []int{0, 0}},
		{nil, 2, []int{}},
	} {
		if got := Balance(c.costs, c.bins); !slices.Equal(got, c.want) {
			t.Errorf("Balance(%v, %d) = %v, want %v", c.costs, c.bins, got, c.want)
		}
	}
}
