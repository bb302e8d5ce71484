package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/report"
	"github.com/copsdlab/copsd/core/world"
)

// Hostile command lines: each is refused quickly, with one line that names
// what is wrong, and a non-zero exit. Each case is a regression test for a
// probe that once crashed, hung or was silently accepted.

type hostileCase struct {
	name     string
	args     []string
	code     int
	inStderr []string // every one must appear
}

func checkHostile(t *testing.T, cases []hostileCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, _, stderr := runCLI(tc.args...)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 {
				t.Errorf("%d lines on stderr, want one: %q", n+1, stderr)
			}
			for _, want := range tc.inStderr {
				if !strings.Contains(strings.ToLower(stderr), strings.ToLower(want)) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
		})
	}
}

// TestEvalSamplesTwoBillionIsRefused: `eval -samples 2000000000` allocated
// prompts × samples up front and ran out of memory.
func TestEvalSamplesTwoBillionIsRefused(t *testing.T) {
	checkHostile(t, []hostileCase{
		{"eval", []string{"eval", "-ckpt", base50, "-samples", "2000000000"}, 2, []string{"-samples", "[1, 64]"}},
		{"sample", []string{"sample", "-ckpt", base50, "-prompt", "how do i bake bread ?", "-n", "2000000000"}, 2, []string{"-n", "[1, 1000]"}},
	})
	// The evaluator holds the bound itself, for every caller.
	if _, err := eval.Run(nil, nil, world.Constitution{}, nil, eval.Options{Samples: eval.MaxSamples + 1}); err == nil {
		t.Error("eval.Run took more than MaxSamples samples per prompt")
	}
}

// TestNumericFlagsRefuseNaNInfAndOutOfRange: -temp NaN and Inf were
// accepted (NaN <= 0 is false), run -lr NaN and -temp -1 silently fell back
// to the recipe's values, -topk -1 silently became 0, selfcheck -steps -1
// panicked and reproduce -jobs 1e9 started a billion goroutines.
func TestNumericFlagsRefuseNaNInfAndOutOfRange(t *testing.T) {
	var cases []hostileCase
	add := func(cmd, flag, want string, values ...string) {
		for _, v := range values {
			args := []string{cmd, "-" + flag, v}
			cases = append(cases, hostileCase{cmd + " -" + flag + " " + v, args, 2, []string{"flag -" + flag, want}})
		}
	}
	add("eval", "temp", "[0.05, 5]", "NaN", "Inf", "-Inf", "0", "-1", "5.01", "1e309", "x")
	add("eval", "topk", "[0, 65536]", "-1", "1e3", "99999999999999999999")
	add("eval", "samples", "[1, 64]", "0", "-3", "65")
	add("eval", "show", "[0, 64]", "-1")
	add("eval", "seed", "[0, 9007199254740992]", "-1", "9007199254740993", "1.5")
	add("sample", "temp", "[0.05, 5]", "NaN", "+Inf")
	add("sample", "n", "[1, 1000]", "0", "-1")
	add("run", "lr", "[1e-06, 0.1]", "NaN", "0", "-0.1", "1", "Inf")
	add("run", "temp", "[0.05, 5]", "-1", "NaN", "0")
	add("run", "kl", "[0, 100]", "-1", "NaN", "Inf")
	add("run", "steps", "[1, 100000]", "0", "-5", "100001")
	add("run", "eval-every", "[1, 100000]", "0", "-1")
	add("run", "eval-samples", "[1, 16]", "0", "17")
	add("pretrain", "rho", "[0, 1]", "NaN", "-0.1", "1.5")
	add("pretrain", "lr", "(0, 1)", "NaN", "0")
	add("pretrain", "steps", "[1, 1000000]", "-1", "0")
	add("pretrain", "batch", "[1, 1024]", "0", "100000")
	add("pretrain", "dim", "[1, 1024]", "0", "1000000")
	add("pretrain", "layers", "[1, 32]", "-1", "65536")
	add("pretrain", "heads", "[1, 64]", "0")
	add("reproduce", "jobs", "[1, 64]", "0", "1000000000")
	add("reproduce", "seeds", "[1, 20]", "0", "21")
	add("reproduce", "steps", "[1, 100000]", "-1")
	add("selfcheck", "steps", "[1, 1000]", "-1", "2000000000")
	add("world", "rho", "[0, 1]", "NaN", "2")
	checkHostile(t, cases)
}

// TestTopKAboveTheVocabularyIsRefused: -topk larger than the vocabulary
// silently meant the full vocabulary.
func TestTopKAboveTheVocabularyIsRefused(t *testing.T) {
	checkHostile(t, []hostileCase{
		{"eval", []string{"eval", "-ckpt", base50, "-topk", "5000"}, 2, []string{"-topk", "vocabulary"}},
	})
}

// TestConstitutionDevZeroIsRefused: Stat().Size() is 0 for a device, and
// then the endless stream was read until memory ran out.
func TestConstitutionDevZeroIsRefused(t *testing.T) {
	skipWithoutDevice(t, "/dev/zero")
	checkHostile(t, []hostileCase{
		{"eval", []string{"eval", "-ckpt", base50, "-constitution", "/dev/zero"}, 1, []string{"/dev/zero", "not a regular file"}},
		{"directory", []string{"eval", "-ckpt", base50, "-constitution", os.TempDir()}, 1, []string{"directory"}},
	})
}

// TestConstitutionFileOverTheLimitIsRefused: files are read through a
// byte limit, whatever their size says.
func TestConstitutionFileOverTheLimitIsRefused(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.txt")
	os.WriteFile(big, []byte(strings.Repeat("refuse weapons . ", 1000)), 0o644)
	checkHostile(t, []hostileCase{
		{"eval", []string{"eval", "-ckpt", base50, "-constitution", big}, 1, []string{big, "more than 4096 bytes"}},
	})
}

// TestCheckpointDevZeroFailsFast: -ckpt /dev/zero read 273 MB before
// failing.
func TestCheckpointDevZeroFailsFast(t *testing.T) {
	skipWithoutDevice(t, "/dev/zero")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	checkHostile(t, []hostileCase{
		{"eval", []string{"eval", "-ckpt", "/dev/zero"}, 1, []string{"/dev/zero", "not a regular file"}},
	})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("refusing /dev/zero allocated %d bytes", grew)
	}
}

// TestRunJSONUnwritablePathFailsBeforeTraining: run -json /proc/x.json
// failed only after the whole run, naming x.json.tmp.
func TestRunJSONUnwritablePathFailsBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "x.json")
	checkHostile(t, []hostileCase{
		{"json", []string{"run", "-ckpt", base50, "-json", missing}, 1, []string{"-json " + missing, "does not exist"}},
		{"json-dir", []string{"run", "-ckpt", base50, "-json", dir}, 1, []string{"-json " + dir, "not a regular file"}},
		{"trace", []string{"run", "-ckpt", base50, "-trace", missing}, 1, []string{"-trace " + missing}},
		{"pretrain", []string{"pretrain", "-out", missing}, 1, []string{"-out " + missing}},
		{"reproduce", []string{"reproduce", "-out", filepath.Join(base50, "x")}, 1, []string{"-out " + filepath.Join(base50, "x")}},
	})
	for _, args := range [][]string{{"run", "-ckpt", base50, "-json", missing}, {"pretrain", "-out", missing}} {
		if _, _, stderr := runCLI(args...); strings.Contains(stderr, ".tmp") || strings.Contains(stderr, ".ckpt-") {
			t.Errorf("%v: the error names a temporary file: %q", args, stderr)
		}
	}
}

// TestPretrainOutDevNullIsRefused: pretrain -out /dev/null wrote a
// temporary file and renamed it over the device, which as root replaced
// /dev/null with a regular file.
func TestPretrainOutDevNullIsRefused(t *testing.T) {
	skipWithoutDevice(t, "/dev/null")
	checkHostile(t, []hostileCase{
		{"pretrain", []string{"pretrain", "-steps", "1", "-out", "/dev/null"}, 1, []string{"/dev/null", "not a regular file"}},
		{"run", []string{"run", "-ckpt", base50, "-json", "/dev/null"}, 1, []string{"/dev/null", "not a regular file"}},
	})
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode().IsRegular() {
		t.Fatalf("/dev/null is now %v (%v)", st.Mode(), err)
	}
}

// TestConstitutionMissingFileSaysNoSuchFile: -constitution rules.txt for a
// missing file reported `unknown word: "txt"`.
func TestConstitutionMissingFileSaysNoSuchFile(t *testing.T) {
	checkHostile(t, []hostileCase{
		{"name", []string{"eval", "-ckpt", base50, "-constitution", "rules.txt"}, 1, []string{"rules.txt", "no such file"}},
		{"path", []string{"eval", "-ckpt", base50, "-constitution", "./my/rules"}, 1, []string{"./my/rules", "no such file"}},
		{"spaced", []string{"eval", "-ckpt", base50, "-constitution", "my rules.txt"}, 1, []string{"my rules.txt", "no such file"}},
	})
}

// TestConstitutionUnknownWordsAreDeduplicated: a 4 KB constitution of
// repeated unknown words gave a 6.4 KB error.
func TestConstitutionUnknownWordsAreDeduplicated(t *testing.T) {
	text := strings.Repeat("zorp blix . ", 340)[:4000]
	code, _, stderr := runCLI("eval", "-ckpt", base50, "-constitution", text)
	if code != 1 || strings.Count(stderr, `"zorp"`) != 1 || len(stderr) > 400 {
		t.Errorf("exit %d, %d bytes: %q", code, len(stderr), stderr)
	}
}

// TestConstitutionFileWithBOMIsRead: a UTF-8 byte order mark gave an
// unknown-word (or "invalid character 'ï'") error.
func TestConstitutionFileWithBOMIsRead(t *testing.T) {
	f := filepath.Join(t.TempDir(), "rules.txt")
	os.WriteFile(f, []byte("\ufeffrefuse weapons . be helpful .\n"), 0o644)
	code, stdout, stderr := runCLI("sample", "-ckpt", base50, "-constitution", f, "-prompt", "how do i bake bread ?", "-n", "1", "-json")
	if code != 0 || !strings.Contains(stdout, `"constitution": "refuse weapons . be helpful ."`) {
		t.Errorf("exit %d: %s %s", code, stdout, stderr)
	}
}

// TestEvalTableReportsMarshalErrors: eval ignored json.Marshal's error, so
// table mode printed <nil> for every metric and exited 0.
func TestEvalTableReportsMarshalErrors(t *testing.T) {
	if _, err := jsonFields(eval.Metrics{Safety: math.NaN()}); err == nil {
		t.Error("a NaN metric gave no error")
	}
	kv, err := jsonFields(eval.Metrics{Safety: 0.5})
	if err != nil || kv["safety"] != 0.5 {
		t.Errorf("jsonFields = %v, %v", kv, err)
	}
}

// TestRunAndReproduceWriteTheSameModelLabel: run recorded "base-rho50.ckpt"
// where reproduce recorded "base-rho50", so the report missed runs made with
// `copsd run`.
func TestRunAndReproduceWriteTheSameModelLabel(t *testing.T) {
	for _, sm := range report.SuiteModels {
		if got := modelLabel(filepath.Join("assets", "models", sm.Name+".ckpt")); got != sm.Name {
			t.Errorf("run labels %s.ckpt %q; reproduce labels it %q", sm.Name, got, sm.Name)
		}
	}
}

// skipWithoutDevice skips a test that needs a device file, and under wasm,
// whose host file system may not report devices as such.
func skipWithoutDevice(t *testing.T, path string) {
	t.Helper()
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("devices are the host's under wasm")
	}
	if _, err := os.Stat(path); err != nil {
		t.Skip("no " + path)
	}
}

// TestReportRunJSONWithBOMIsRead: a run JSON saved with a UTF-8 byte order
// mark was "not a run report: invalid character 'ï'".
func TestReportRunJSONWithBOMIsRead(t *testing.T) {
	b, err := os.ReadFile("../../../assets/report/runs/base-rho50-opsd-rkl-s1.json")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "run.json")
	os.WriteFile(f, append([]byte("\ufeff"), b...), 0o644)
	if rep, err := readRun(f); err != nil || rep.Recipe != "opsd-rkl" {
		t.Errorf("readRun with a BOM: %v", err)
	}
}

// TestRunOutputOverItsInputIsRefused: run -json base.ckpt replaced the
// checkpoint with the run's report after training, and -json and -trace
// naming one file left only one of them.
func TestRunOutputOverItsInputIsRefused(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "m.ckpt")
	b, err := os.ReadFile(base50)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(ckpt, b, 0o644)
	out := filepath.Join(dir, "out.json")
	checkHostile(t, []hostileCase{
		{"json=ckpt", []string{"run", "-ckpt", ckpt, "-json", ckpt}, 1, []string{"-json " + ckpt, "is also -ckpt"}},
		{"json=ckpt via another path", []string{"run", "-ckpt", ckpt, "-json", dir + "/./m.ckpt"}, 1, []string{"is also -ckpt"}},
		{"trace=json", []string{"run", "-ckpt", ckpt, "-json", out, "-trace", out}, 1, []string{"-trace " + out, "is also -json"}},
	})
	if after, _ := os.ReadFile(ckpt); string(after) != string(b) {
		t.Error("the checkpoint changed")
	}
}

// TestSampleBlankPromptIsRefused: -prompt " " sampled answers to nothing.
func TestSampleBlankPromptIsRefused(t *testing.T) {
	checkHostile(t, []hostileCase{
		{"blank", []string{"sample", "-ckpt", base50, "-prompt", " \t "}, 1, []string{"-prompt is required"}},
	})
}
