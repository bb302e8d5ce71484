package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/report"
)

// job is one run of the suite with its base model opened.
type job struct {
	report.Job
	path string
	base *pretrain.Base
	rho  float64
}

func runReproduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reproduce", stderr)
	seeds := intFlag(fs, "seeds", 3, 1, 20, "seeds per recipe (1..N)")
	out := fs.String("out", "", "output directory (required): report.md, figures, runs/*.json")
	models := fs.String("models", "assets/models", "directory holding base-rho50.ckpt and base-rho0.ckpt")
	steps := intFlag(fs, "steps", 0, 1, int(distill.StepsRange.Hi), "steps per run (default: each recipe's)")
	jobs := intFlag(fs, "jobs", min(runtime.NumCPU(), 64), 1, 64, "runs in parallel (default: the number of CPUs)")
	workers := intFlag(fs, "workers", 0, 0, 256, "workers per run for its shards (default: the CPUs shared among the runs in parallel, at least one); the runs are the same for any number")
	only := fs.String("recipes", "", "comma-separated recipes to run (default: the whole suite)")
	force := fs.Bool("force", false, "rerun runs whose JSON already exists")
	quiet := fs.Bool("q", false, "no progress lines")
	shardFlag := fs.String("shard", "", "i/n: run only the i-th of n disjoint slices of the job list (1 ≤ i ≤ n) and write no report; merge the slices' runs with copsd report")
	if err := parse(fs, args); err != nil {
		return err
	}
	sh, err := parseShard(*shardFlag)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	filter := map[string]bool{}
	for _, r := range strings.Split(*only, ",") {
		if r = strings.TrimSpace(r); r != "" {
			if _, err := distill.Recipe(r); err != nil {
				return err
			}
			filter[r] = true
		}
	}
	if err := os.MkdirAll(filepath.Join(*out, "runs"), 0o755); err != nil {
		return fmt.Errorf("-out %s: %v", *out, pathless(err))
	}
	for _, p := range []string{filepath.Join(*out, "report.md"), filepath.Join(*out, "runs", "run.json")} {
		if err := checkOutput("out", p); err != nil {
			return err
		}
	}
	todo, err := suiteJobs(*models, *out, *seeds, filter)
	if err != nil {
		return err
	}
	todo = sh.slice(todo)
	perRun := *workers
	if perRun == 0 {
		perRun = perRunWorkers(runtime.NumCPU(), min(*jobs, len(todo)))
	}
	for _, j := range todo {
		j.base.Model.Workers = perRun
	}
	suite := &report.Suite{}
	suite.Runs, err = runJobs(todo, *jobs, *steps, *force, *quiet, stderr)
	if err != nil {
		return err
	}
	if sh.n > 1 {
		fmt.Fprintf(stdout, "shard %d/%d: %d runs in %s; merge the shards with copsd report -runs DIR... -out DIR\n", sh.i, sh.n, len(suite.Runs), filepath.Join(*out, "runs"))
		return nil
	}
	return writeSuite(suite, *out, stdout)
}

// perRunWorkers shares cpus among jobs runs in parallel: each run shards
// its steps over its share, at least one. Whole runs side by side scale
// better than one run's shards (no gradients to exchange), so the default
// -jobs is the number of CPUs and a run gets one each; with fewer runs at
// once than CPUs (-jobs 1, or a suite of fewer runs) the spare CPUs shard.
func perRunWorkers(cpus, jobs int) int { return max(1, cpus/max(jobs, 1)) }

// suiteJobs opens the base models of the suite's job list (report.FullJobs:
// model by model, recipe by recipe, seed by seed; only the filter's recipes
// when it is not empty), the list that -shard slices. Jobs of one base
// model share it; the caller sets its Workers.
func suiteJobs(models, out string, seeds int, filter map[string]bool) ([]job, error) {
	var todo []job
	bases := map[string]*pretrain.Base{}
	for _, j := range report.FullJobs(seeds, filter) {
		base := bases[j.Model]
		if base == nil {
			var err error
			if base, err = pretrain.Open(filepath.Join(models, j.Model+".ckpt")); err != nil {
				return nil, err
			}
			bases[j.Model] = base
		}
		todo = append(todo, job{j, filepath.Join(out, "runs", j.Name()+".json"), base, base.Meta.Config.World.Rho})
	}
	return todo, nil
}

// runJobs runs (or loads, when its JSON is there and force is off) every
// job, n at a time, and returns the finished runs in the order they ended.
func runJobs(todo []job, n, steps int, force, quiet bool, stderr io.Writer) ([]report.Run, error) {
	var (
		mu       sync.Mutex
		firstErr error
		runs     []report.Run
		wg       sync.WaitGroup
	)
	next := make(chan job)
	start := time.Now()
	for range n {
		wg.Go(func() {
			for j := range next {
				cfg, err := j.Config(steps)
				var rep *distill.Report
				if err == nil {
					rep, err = loadOrRun(j.path, force, cfg, func() (*distill.Report, error) {
						return execute(j.base, j.Model, cfg, true, false, io.Discard, traceOptions{})
					})
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s %s seed %d: %w", j.Model, j.Recipe, j.Seed, err)
				}
				if err == nil {
					runs = append(runs, report.Run{Model: j.Model, Rho: j.rho, Report: rep})
					if !quiet {
						fmt.Fprintf(stderr, "[%d/%d %4.0fs] %s %s seed %d: collapse %s\n", len(runs), len(todo), time.Since(start).Seconds(), j.Model, j.Recipe, j.Seed, collapseString(rep))
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, j := range todo {
		next <- j
	}
	close(next)
	wg.Wait()
	return runs, firstErr
}

// loadOrRun reads a finished run's JSON when it was made with the same config
// (unless force), or runs it and writes the JSON.
func loadOrRun(path string, force bool, cfg distill.Config, run func() (*distill.Report, error)) (*distill.Report, error) {
	if !force {
		if b, err := readRunJSON(path); err == nil {
			var rep distill.Report
			want, _ := json.Marshal(cfg)
			if err := json.Unmarshal(b, &rep); err == nil {
				if got, _ := json.Marshal(rep.Config); string(got) == string(want) {
					return &rep, nil
				}
			}
		}
	}
	rep, err := run()
	if err != nil {
		return nil, err
	}
	return rep, writeJSONFile(path, rep)
}

func collapseString(r *distill.Report) string {
	if r.CollapseStep == nil {
		return "none"
	}
	return fmt.Sprintf("at step %d", *r.CollapseStep)
}
