package ui

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The committed *_gen.go files are what `go generate` makes of the .vugu
// files: the components are regenerated into a temporary directory, with
// the same commands, and compared.
func TestGeneratedFilesAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generators")
	}
	tmp := t.TempDir()
	srcs, _ := filepath.Glob("*")
	for _, f := range srcs {
		if strings.HasSuffix(f, "_gen.go") || !(strings.HasSuffix(f, ".vugu") || strings.HasSuffix(f, ".go")) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"tool", "vugugen", tmp}, {"run", "../wasm/tidygen", tmp}} {
		cmd := exec.Command("go", args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	want, _ := filepath.Glob(filepath.Join(tmp, "*_gen.go"))
	have, _ := filepath.Glob("*_gen.go")
	if len(want) != len(have) {
		t.Errorf("%d generated files committed, the generators make %d: run `make generate`", len(have), len(want))
	}
	for _, w := range want {
		name := filepath.Base(w)
		fresh, _ := os.ReadFile(w)
		old, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s is missing: run `make generate`", name)
			continue
		}
		if !bytes.Equal(fresh, old) {
			t.Errorf("%s is stale: run `make generate`", name)
		}
	}
}
