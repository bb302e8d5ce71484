package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
)

// -trace-full adds both models' whole distributions to every probe token of
// the trace (core/distill's TestFullTraceRecomputes checks their numbers).
func TestRunTraceFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "probes.jsonl")
	code, _, stderr := runCLI("run", "-recipe", "opsd-rkl", "-ckpt", base50, "-steps", "1", "-leakage=false", "-q", "-trace", path, "-trace-full")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	n := 0
	for sc.Scan() {
		var p distill.ProbeTrace
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		for _, rec := range p.Tokens {
			if rec.Full == nil || len(rec.Full.LogPStudent) == 0 || len(rec.Full.LogPTeacher) == 0 {
				t.Fatalf("probe %q token %q has no full distributions", p.Prompt, rec.Token)
			}
			n++
		}
	}
	if err := sc.Err(); err != nil || n == 0 {
		t.Fatalf("%d records, %v", n, err)
	}
	code, _, stderr = runCLI("run", "-ckpt", base50, "-trace-full")
	if code == 0 || !strings.Contains(stderr, "-trace") {
		t.Errorf("-trace-full without -trace: exit %d, %q", code, stderr)
	}
}
