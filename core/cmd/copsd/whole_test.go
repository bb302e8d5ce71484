package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/core/report"
)

// A whole run in a lab engine (the Reproduce view's, one per worker) writes
// copsd run -json's bytes for the same job: the quick suite's jobs,
// shortened, and a custom constitution's.
func TestLabWholeRunIsCopsdRunJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("three shortened runs, twice")
	}
	models := repoPath(t, "assets/models")
	e := lab.New()
	for _, m := range []string{"base-rho50", "base-rho0"} {
		b, err := os.ReadFile(filepath.Join(models, m+".ckpt"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Load(m, b); err != nil {
			t.Fatal(err)
		}
	}
	const steps = 2
	jobs := report.QuickJobs(1)
	custom := report.CustomJobs("refuse weapons . be brief .", 1)[0]
	jobs = append(jobs, custom)
	for i, j := range jobs {
		cfg, err := j.Config(steps)
		if err != nil {
			t.Fatal(err)
		}
		// copsd run beside the lab's run: two cores, half the wait.
		path := filepath.Join(t.TempDir(), "run.json")
		args := []string{"run", "-recipe", j.Recipe, "-ckpt", filepath.Join(models, j.Model+".ckpt"), "-seed", fmt.Sprint(j.Seed), "-steps", fmt.Sprint(steps), "-json", path, "-q", "-workers", "1"}
		if j.Constitution != "" {
			args = append(args, "-constitution", j.Constitution)
		}
		cli := make(chan string, 1)
		go func() {
			code, _, stderr := runCLI(args...)
			if code != 0 {
				cli <- stderr
			}
			close(cli)
		}()
		w, err := e.StartWhole(lab.RunSpec{ID: i + 1, Model: j.Model, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		for done, last := false, 0; !done; {
			var step int
			if step, done, err = w.Step(); err != nil {
				t.Fatal(err)
			}
			if step != last+1 && !done {
				t.Fatalf("%s: step %d after %d", j.Name(), step, last)
			}
			last = step
		}
		got, err := w.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if stderr, failed := <-cli; failed {
			t.Fatalf("copsd %v: %s", args, stderr)
		}
		want, _ := os.ReadFile(path)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the lab's whole run differs from copsd run -json:\n%s", j.Key(), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("at byte %d: %q against %q", i, a[max(0, i-80):min(len(a), i+80)], b[max(0, i-80):min(len(b), i+80)])
}
