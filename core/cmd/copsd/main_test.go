package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/world"
)

const base50 = "../../../assets/models/base-rho50.ckpt"

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// Errors go to stderr with a non-zero exit and say what is wrong.
func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	badCons := filepath.Join(dir, "bad.txt")
	os.WriteFile(badCons, []byte("refuse bananas ."), 0o644)
	corrupt := filepath.Join(dir, "corrupt.ckpt")
	os.WriteFile(corrupt, []byte("COPSDCKP garbage"), 0o644)
	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"eval", "-nope"}, 2, "flag provided but not defined"},
		{[]string{"eval"}, 1, "-ckpt is required"},
		{[]string{"eval", "-ckpt", filepath.Join(dir, "missing.ckpt")}, 1, "no such file"},
		{[]string{"eval", "-ckpt", corrupt}, 1, "corrupt.ckpt"},
		{[]string{"eval", "-ckpt", base50, "-constitution", "no-such-preset"}, 1, "not a preset"},
		{[]string{"eval", "-ckpt", base50, "-constitution", badCons}, 1, `unknown word: "bananas"`},
		{[]string{"sample", "-ckpt", base50, "-prompt", "how do i bake bred ?"}, 1, `did you mean "bread"`},
		{[]string{"sample", "-ckpt", base50}, 1, "-prompt is required"},
		{[]string{"pretrain", "-rho", "0.5"}, 1, "-out is required"},
		{[]string{"pretrain", "-rho", "2", "-out", filepath.Join(dir, "x.ckpt")}, 2, "flag -rho: want a number in [0, 1]"},
		{[]string{"run", "-recipe", "nope"}, 1, `unknown recipe "nope"`},
		{[]string{"eval", "-ckpt", base50, "extra"}, 2, "unexpected arguments"},
	} {
		code, _, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(strings.ToLower(stderr), strings.ToLower(tc.inStderr)) { // wasm under Node capitalises OS errors
			t.Errorf("copsd %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.inStderr)
		}
	}
}

func TestEvalJSONHasTheDocumentedKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("samples every held-out prompt")
	}
	code, stdout, stderr := runCLI("eval", "-ckpt", base50, "-constitution", "none", "-samples", "1", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	for _, k := range []string{"safety", "helpfulness", "borderline_helpfulness", "over_refusal", "reasoning", "length_benign", "entropy", "distinct2", "n_prompts"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
}

func TestSampleGradesKnownPrompts(t *testing.T) {
	code, stdout, stderr := runCLI("sample", "-ckpt", base50, "-constitution", "safety", "-prompt", "how do i build a bomb ?", "-n", "2", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Samples []struct {
			Response string          `json:"response"`
			Verdict  json.RawMessage `json:"verdict"`
		} `json:"samples"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Samples) != 2 || out.Samples[0].Verdict == nil {
		t.Fatalf("output %s (%v)", stdout, err)
	}
}

// -constitution none must mean no constitution, not the recipe's default.
func TestRunConstitutionNoneStaysNone(t *testing.T) {
	w, err := world.New(world.Config{Rho: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for arg, want := range map[string]string{"none": "none", "safety": world.Presets[0].Text} {
		c, err := lookupConstitution(w, arg)
		got := c.Spec()
		if err != nil || got != want {
			t.Errorf("lookupConstitution(%q).Spec() = %q, %v; want %q", arg, got, err, want)
		}
		cfg := distill.Config{Constitution: got}.Defaults()
		c, err = w.ParseConstitution(cfg.Constitution)
		if err != nil {
			t.Fatal(err)
		}
		if c.IsNone() != (arg == "none") {
			t.Errorf("-constitution %s: the run's constitution is %q", arg, cfg.Constitution)
		}
	}
	if _, err := lookupConstitution(w, "refuse dragons ."); err == nil {
		t.Error("an unknown word was accepted")
	}
}

// The CLI, not the world, reads constitution files; a single word that is
// neither a preset nor a file is named as such.
func TestConstitutionFromFileOrName(t *testing.T) {
	w, err := world.New(world.Config{Rho: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.txt")
	if err := os.WriteFile(path, []byte("refuse weapons .\nbe brief .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := constitutionText(w, path); err != nil || got != "refuse weapons . be brief ." {
		t.Errorf("file: %q, %v", got, err)
	}
	if _, err := constitutionText(w, "no-such-preset"); err == nil || !strings.Contains(err.Error(), "not a preset") {
		t.Errorf("unknown preset: %v", err)
	}
}

// TestCLIHelpListsEveryRecipe checks the CLI against core/distill's recipe
// list: `copsd run -h` names every recipe, in order, and `copsd run` accepts
// each (its config is checked before the checkpoint is read).
func TestCLIHelpListsEveryRecipe(t *testing.T) {
	_, out, errOut := runCLI("run", "-h")
	if want := strings.Join(distill.RecipeNames(), ", "); !strings.Contains(out+errOut, want) {
		t.Errorf("copsd run -h does not list the recipes %q:\n%s%s", want, out, errOut)
	}
	for _, r := range distill.RecipeNames() {
		code, _, errOut := runCLI("run", "-recipe", r, "-ckpt", filepath.Join(t.TempDir(), "missing.ckpt"))
		if code == 0 || strings.Contains(errOut, "recipe") {
			t.Errorf("copsd run -recipe %s: exit %d, %s; want only the missing checkpoint refused", r, code, errOut)
		}
	}
}
