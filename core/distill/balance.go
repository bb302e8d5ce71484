package distill

import "slices"

// Which worker computes which shard changes the speed of a stage, never its
// bits: the outputs are added in shard order whoever made them. A stage
// waits for its slowest worker, so the shards go to the workers by their
// cost, as evenly as it can be known beforehand.

// WorkCosts estimates each work's compute, in padded token positions: a
// grad work runs the student forward and backward, and the teacher and the
// initial model forward, over its rows padded to the longest, so its cost is
// its rows times its longest sequence. A sample work's answers are not
// known before it runs: each costs the same.
func (r *Run) WorkCosts(works []ShardWork) []int {
	costs := make([]int, len(works))
	for i, w := range works {
		costs[i] = 1
		if w.Stage != StageGrad || len(w.Rows) == 0 {
			continue
		}
		longest := 0
		for _, ro := range w.Rows {
			n := len(ro.Response)
			if p, err := r.trainPrompt(ro.Family, ro.Index); err == nil {
				n += len(r.World.UserTurn(p.Tokens))
			}
			longest = max(longest, n)
		}
		costs[i] = len(w.Rows) * longest
	}
	return costs
}

// Balance assigns works of the given costs to bins workers: the costliest
// first, each to the worker with the least cost so far (the lower index on
// a tie). Works of equal cost go round-robin, 0, 1, …, bins−1, 0, …
func Balance(costs []int, bins int) []int {
	bins = max(bins, 1)
	order := make([]int, len(costs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return costs[b] - costs[a] })
	load := make([]int, bins)
	out := make([]int, len(costs))
	for _, i := range order {
		bin := 0
		for b := range load {
			if load[b] < load[bin] {
				bin = b
			}
		}
		out[i] = bin
		load[bin] += costs[i]
	}
	return out
}
