package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/report"
)

// repoPath is a path in the repository, absolute, for tests that change
// directory.
func repoPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sameOutputs fails unless dir holds report.md and figures byte-identical
// to want's.
func sameOutputs(t *testing.T, dir, want string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(want, "*.svg"))
	files = append(files, filepath.Join(want, "report.md"))
	for _, w := range files {
		name := filepath.Base(w)
		a, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		b, _ := os.ReadFile(w)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s's", name, want)
		}
	}
	got, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	if len(got) != len(files)-1 {
		t.Errorf("%d figures, want %d", len(got), len(files)-1)
	}
}

// The committed report is what copsd report makes of the committed runs:
// a report left stale by a change to the report's code or the runs fails
// here (regenerate it with go run ./core/cmd/copsd report -runs
// assets/report/runs -out assets/report).
func TestReportRebuildsTheCommittedReport(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("the figures are drawn natively only")
	}
	runs, models, committed := repoPath(t, "assets/report/runs"), repoPath(t, "assets/models"), repoPath(t, "assets/report")
	t.Chdir(t.TempDir())
	// The report names its directory; rebuild it under the same name.
	code, stdout, stderr := runCLI("report", "-runs", runs, "-models", models, "-out", "assets/report")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "33 runs") {
		t.Errorf("stdout %q", stdout)
	}
	sameOutputs(t, "assets/report", committed)
	copied, _ := filepath.Glob("assets/report/runs/*.json")
	if len(copied) != 33 {
		t.Errorf("%d runs gathered in runs/, want 33", len(copied))
	}
}

func TestReportRefusesWhatIsNotARunDirectory(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	bad := filepath.Join(dir, "bad")
	os.Mkdir(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "x.json"), []byte(`{"recipe":"opsd-rkl","bogus":1}`), 0o644)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		os.Mkdir(d, 0o755)
	}
	one := repoPath(t, "assets/report/runs/base-rho0-copsd-s1.json")
	other := repoPath(t, "assets/report/runs/base-rho0-copsd-s2.json")
	copyFile(t, one, filepath.Join(a, "r.json"))
	copyFile(t, other, filepath.Join(b, "r.json"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "-runs", empty}, "-out is required"},
		{[]string{"report", "-runs", empty, "-out", dir}, "no run JSON"},
		{[]string{"report", "-runs", filepath.Join(dir, "missing"), "-out", dir}, "not a directory"},
		{[]string{"report", "-runs", bad, "-out", dir}, "not a run report"},
		{[]string{"report", "-runs", a + "," + b, "-out", dir}, "different runs under one name"},
		{[]string{"reproduce", "-out", dir, "-shard", "4/3"}, "want i/n"},
		{[]string{"reproduce", "-out", dir, "-shard", "x"}, "want i/n"},
	} {
		code, _, stderr := runCLI(tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("copsd %s: exit %d, %q; want %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A sweep split in three shards and merged by copsd report gives the
// report of the unsharded sweep byte for byte; the shards are disjoint and
// together hold every run.
func TestShardsMergeIntoTheUnshardedReport(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six short runs")
	}
	models := repoPath(t, "assets/models")
	t.Chdir(t.TempDir())
	suite := []string{"reproduce", "-seeds", "1", "-recipes", "opsd-rkl,opsd-fkl", "-steps", "1", "-models", models, "-q"}
	// Unsharded, two runs at a time, finishing in either order; the shards
	// one by one.
	if code, _, stderr := runCLI(append(suite, "-out", "r", "-jobs", "2")...); code != 0 {
		t.Fatalf("unsharded: %s", stderr)
	}
	if err := os.Rename("r", "unsharded"); err != nil {
		t.Fatal(err)
	}
	var dirs, names []string
	for _, sh := range []string{"1/3", "2/3", "3/3"} {
		out := "shard" + sh[:1]
		code, stdout, stderr := runCLI(append(suite, "-out", out, "-shard", sh, "-jobs", "1")...)
		if code != 0 {
			t.Fatalf("shard %s: %s", sh, stderr)
		}
		if !strings.Contains(stdout, "shard "+sh+": 1 runs") {
			t.Errorf("shard %s: %q", sh, stdout)
		}
		if _, err := os.Stat(filepath.Join(out, "report.md")); err == nil {
			t.Errorf("shard %s wrote a report", sh)
		}
		files, _ := filepath.Glob(filepath.Join(out, "runs", "*.json"))
		for _, f := range files {
			names = append(names, filepath.Base(f))
		}
		dirs = append(dirs, filepath.Join(out, "runs"))
	}
	all, _ := filepath.Glob(filepath.Join("unsharded", "runs", "*.json"))
	for i := range all {
		all[i] = filepath.Base(all[i])
	}
	sort.Strings(names)
	if strings.Join(names, " ") != strings.Join(all, " ") {
		t.Errorf("the shards hold %v, the unsharded sweep %v", names, all)
	}
	if code, _, stderr := runCLI("report", "-runs", strings.Join(dirs, ","), "-models", models, "-out", "r"); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	sameOutputs(t, "r", "unsharded")
}

// The n shards of a job list are disjoint, hold every job, and differ in
// size by at most one.
func TestShardsPartitionTheJobList(t *testing.T) {
	for _, total := range []int{0, 1, 7, 33} {
		jobs := make([]job, total)
		for i := range jobs {
			jobs[i].Seed = uint64(i)
		}
		for n := 1; n <= 5; n++ {
			seen := make([]int, total)
			for i := 1; i <= n; i++ {
				sh, err := parseShard(fmt.Sprintf("%d/%d", i, n))
				if err != nil {
					t.Fatal(err)
				}
				part := sh.slice(jobs)
				if len(part) < total/n || len(part) > total/n+1 {
					t.Errorf("%d jobs, shard %d/%d: %d jobs", total, i, n, len(part))
				}
				for _, j := range part {
					seen[j.Seed]++
				}
			}
			for k, c := range seen {
				if c != 1 {
					t.Errorf("%d jobs in %d shards: job %d in %d shards", total, n, k, c)
				}
			}
		}
	}
}

// The CLI's job list is the suite's (report.FullJobs, which the page's
// Reproduce view runs), job for job and in order, each written under the
// job's name.
func TestReproduceRunsTheSuitesJobList(t *testing.T) {
	models := repoPath(t, "assets/models")
	for _, seeds := range []int{1, 3, 5} {
		jobs, err := suiteJobs(models, "out", seeds, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := report.FullJobs(seeds, nil)
		if len(jobs) != len(want) {
			t.Fatalf("%d seeds: the CLI lists %d jobs, the suite %d", seeds, len(jobs), len(want))
		}
		for i, j := range jobs {
			if j.Job != want[i] || j.path != filepath.Join("out", "runs", want[i].Name()+".json") || j.base == nil {
				t.Errorf("%d seeds, job %d: the CLI has %+v at %s, the suite %+v", seeds, i, j.Job, j.path, want[i])
			}
		}
	}
}

// The CPUs are shared among the runs in parallel: a run shards over its
// share, and never gets less than one worker.
func TestPerRunWorkersShareTheCPUs(t *testing.T) {
	for _, c := range []struct{ cpus, jobs, want int }{
		{2, 1, 2}, {2, 2, 1}, {2, 6, 1}, {8, 1, 8}, {8, 2, 4}, {8, 3, 2}, {8, 8, 1}, {1, 1, 1}, {4, 0, 4},
	} {
		if got := perRunWorkers(c.cpus, c.jobs); got != c.want {
			t.Errorf("%d CPUs, %d runs at once: %d workers per run, want %d", c.cpus, c.jobs, got, c.want)
		}
	}
}
