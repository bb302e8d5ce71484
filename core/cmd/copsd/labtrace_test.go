package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/core/report"
)

// The lab's trace export (OpTrace: the latest step's probe records with
// both models' full distributions) is, line for line, what `copsd run
// -trace F -trace-full` writes for that step; the step's event carries the
// same records without the full distributions.
func TestLabTraceIsCopsdRunTrace(t *testing.T) {
	const steps = 3
	models := repoPath(t, "assets/models")
	j := report.QuickJobs(1)[0]
	cfg, err := j.Config(steps)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	args := []string{"run", "-recipe", j.Recipe, "-ckpt", filepath.Join(models, j.Model+".ckpt"), "-seed", fmt.Sprint(j.Seed),
		"-steps", fmt.Sprint(steps), "-trace", path, "-trace-full", "-q", "-workers", "1"}
	if code, _, stderr := runCLI(args...); code != 0 {
		t.Fatalf("copsd %v: %s", args, stderr)
	}
	want := traceLines(t, path, steps)
	e := lab.New()
	b, err := os.ReadFile(filepath.Join(models, j.Model+".ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(j.Model, b); err != nil {
		t.Fatal(err)
	}
	if r := e.Handle(lab.Request{Op: lab.OpTrace}); r.Error == "" {
		t.Error("a trace before any run: no error")
	}
	if r := e.Handle(lab.Request{Op: lab.OpStart, Run: &lab.RunSpec{ID: 1, Model: j.Model, Config: cfg}}); r.Error != "" {
		t.Fatal(r.Error)
	}
	if r := e.Handle(lab.Request{Op: lab.OpTrace}); r.Error == "" {
		t.Error("a trace before the first step: no error")
	}
	r := e.Handle(lab.Request{Op: lab.OpStep, N: steps})
	if r.Error != "" || r.Step == nil || r.Step.Step != steps {
		t.Fatalf("step: %+v", r)
	}
	for _, p := range r.Step.Probes {
		for _, tok := range p.Tokens {
			if tok.Full != nil {
				t.Fatal("the step's event carries the full distributions")
			}
		}
	}
	tr := e.Handle(lab.Request{Op: lab.OpTrace})
	if tr.Error != "" || tr.Trace == nil || tr.Trace.Step != steps || len(tr.Trace.Records) != len(want) {
		t.Fatalf("trace: %+v", tr)
	}
	for i, p := range tr.Trace.Records {
		var got bytes.Buffer
		json.NewEncoder(&got).Encode(p)
		if !bytes.Equal(got.Bytes(), want[i]) {
			t.Errorf("record %d differs from copsd run -trace -trace-full: %s", i, firstDiff(got.Bytes(), want[i]))
		}
		// Without the full distributions it is the step event's record.
		bare := r.Step.Probes[i]
		for k := range p.Tokens {
			p.Tokens[k].Full = nil
		}
		x, _ := json.Marshal(p)
		y, _ := json.Marshal(bare)
		if !bytes.Equal(x, y) {
			t.Errorf("record %d: the step event's copy differs: %s", i, firstDiff(x, y))
		}
	}
}

// traceLines are the lines of a `copsd run -trace` file for step.
func traceLines(t *testing.T, path string, step int) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var p distill.ProbeTrace
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if p.Step == step {
			out = append(out, append(bytes.Clone(sc.Bytes()), '\n'))
		}
	}
	if len(out) == 0 {
		t.Fatalf("the CLI's trace has no record of step %d", step)
	}
	return out
}
