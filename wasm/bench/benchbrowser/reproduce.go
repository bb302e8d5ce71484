//go:build !js

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Reproduce is `copsd reproduce`'s wall time at -jobs 1 and -jobs 2: with
// -jobs 1 each run's shards go on every core (the default), and, for the
// runs' parallelism alone, on one (-workers 1); with -jobs 2, two runs at
// once, one core each.
type Reproduce struct {
	Args     string             `json:"args"`      // the suite (without -jobs and -out)
	Seconds  map[string]float64 `json:"seconds"`   // "jobs=1", "jobs=1 workers=1", "jobs=2"
	Ratio    float64            `json:"ratio"`     // jobs=2 over jobs=1
	Ratio1   float64            `json:"ratio_w1"`  // jobs=2 over jobs=1 workers=1
	SameRuns bool               `json:"same_runs"` // every run's JSON and the report byte for byte the same
}

// suites: the reduced suite make bench times by default (about 5 minutes
// here), and the whole one (-seeds 3: about 18 min at -jobs 2 here).
var suites = map[string][]string{
	"reduced": {"-seeds", "1", "-steps", "30", "-recipes", "opsd-rkl,opsd-fkl,copsd,grpo"},
	"full":    {"-seeds", "3"},
}

// reproduce times `copsd reproduce` on the suite at -jobs 1 and 2, each
// into a fresh directory, and compares their outputs.
func reproduce(dir, suite string) (*Reproduce, error) {
	args, ok := suites[suite]
	if !ok {
		return nil, fmt.Errorf("-reproduce %q: want reduced, full or off", suite)
	}
	exe := filepath.Join(dir, "copsd")
	if b, err := exec.Command("go", "build", "-o", exe, "./core/cmd/copsd").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building copsd: %v\n%s", err, b)
	}
	r := &Reproduce{Args: "copsd reproduce " + strings.Join(args, " "), Seconds: map[string]float64{}, SameRuns: true}
	var outs []string
	for _, run := range []struct{ name, jobs, workers string }{{"jobs=1", "1", "0"}, {"jobs=1 workers=1", "1", "1"}, {"jobs=2", "2", "0"}} {
		out := filepath.Join(dir, "reproduce-"+strings.ReplaceAll(run.name, " ", "-"))
		logf("copsd reproduce %s -jobs %s -workers %s (load %s)", strings.Join(args, " "), run.jobs, run.workers, loadavg())
		c := exec.Command(exe, append([]string{"reproduce", "-q", "-jobs", run.jobs, "-workers", run.workers, "-out", out}, args...)...)
		t0 := time.Now()
		if b, err := c.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copsd reproduce -jobs %s -workers %s: %v\n%s", run.jobs, run.workers, err, b)
		}
		r.Seconds[run.name] = time.Since(t0).Seconds()
		outs = append(outs, out)
	}
	r.Ratio = r.Seconds["jobs=2"] / r.Seconds["jobs=1"]
	r.Ratio1 = r.Seconds["jobs=2"] / r.Seconds["jobs=1 workers=1"]
	for _, o := range outs[1:] {
		same, err := sameTree(outs[0], o)
		if err != nil {
			return nil, err
		}
		r.SameRuns = r.SameRuns && same
	}
	return r, nil
}

// sameTree says whether two directories hold the same files, byte for
// byte once each directory's own path (report.md names its -out) reads DIR.
func sameTree(a, b string) (bool, error) {
	same := true
	err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		x, y = bytes.ReplaceAll(x, []byte(a), []byte("DIR")), bytes.ReplaceAll(y, []byte(b), []byte("DIR"))
		if err != nil || !bytes.Equal(x, y) {
			logf("reproduce: %s differs between %s and %s", rel, a, b)
			same = false
		}
		return nil
	})
	return same, err
}

func printReproduce(r *Reproduce) {
	if r == nil {
		return
	}
	fmt.Printf("\n%s: -jobs 1 %.0f s (each run's shards on every core), -jobs 1 -workers 1 %.0f s, -jobs 2 %.0f s: %.2fx and %.2fx; the same runs and report: %v\n",
		r.Args, r.Seconds["jobs=1"], r.Seconds["jobs=1 workers=1"], r.Seconds["jobs=2"], r.Ratio, r.Ratio1, r.SameRuns)
}
