package main

import (
	"fmt"
	"strconv"
	"strings"
)

// shard is the i-th of n disjoint slices of a job list (1-based), for a
// batch engine that starts n copies of a sweep: a Kubernetes Indexed Job, a
// Slurm job array, a CI matrix.
type shard struct{ i, n int }

// parseShard reads "i/n"; "" is the whole list (1/1).
func parseShard(v string) (shard, error) {
	if v == "" {
		return shard{1, 1}, nil
	}
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return shard{}, fmt.Errorf("-shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/3", v)
	}
	return shard{i, n}, nil
}

// slice keeps every n-th job starting at the i-th. Dealt round-robin, each
// shard gets a mix of the suite's long and short recipes; together the n
// shards hold every job exactly once.
func (s shard) slice(jobs []job) []job {
	var out []job
	for k, j := range jobs {
		if k%s.n == s.i-1 {
			out = append(out, j)
		}
	}
	return out
}
