package simd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCompiledKernelsAreFresh fails when kernels.wasm is stale: kernels.wat
// changed without `make generate`, or kernels.wasm changed by hand. With
// wat2wasm installed it also reassembles the source and compares the bytes.
func TestCompiledKernelsAreFresh(t *testing.T) {
	src, err := os.ReadFile("kernels.wasm.src")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"kernels.wat", "kernels.wasm"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		want := "sha256 " + hex.EncodeToString(sum[:]) + " " + f
		if !strings.Contains(string(src), want+"\n") {
			t.Errorf("%s does not match kernels.wasm.src (want a line %q): run `make generate`", f, want)
		}
	}
	if !bytes.Equal(Wasm, mustRead(t, "kernels.wasm")) {
		t.Error("the embedded kernels differ from kernels.wasm")
	}
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm not installed (apt-get install wabt): checked the recorded hashes only")
	}
	out := filepath.Join(t.TempDir(), "k.wasm")
	if b, err := exec.Command(tool, "kernels.wat", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	if !bytes.Equal(mustRead(t, out), Wasm) {
		t.Error("kernels.wasm is not kernels.wat assembled by this wat2wasm: run `make generate`")
	}
}

// TestABIVersionsAgree: kernels.wat, copsdsimd.js and core/model agree on
// the kernels' version, so that a host never binds kernels the Go side
// does not expect (it would fall back to the Go kernels).
func TestABIVersionsAgree(t *testing.T) {
	want := strconv.Itoa(ABI)
	checks := []struct{ file, re string }{
		{"kernels.wat", `\(func \(export "version"\) \(result i32\) \(i32\.const (\d+)\)\)`},
		{"copsdsimd.js", `const ABI = (\d+);`},
		{"../gemm_simd.go", `const simdABI = (\d+)`},
		{"../../num/softmax_simd.go", `const simdABI = (\d+)`},
		{"simd.go", `const ABI = (\d+)`},
	}
	for _, c := range checks {
		m := regexp.MustCompile(c.re).FindSubmatch(mustRead(t, c.file))
		if m == nil {
			t.Errorf("%s: no version matching %s", c.file, c.re)
			continue
		}
		if string(m[1]) != want {
			t.Errorf("%s: version %s, want %s", c.file, m[1], want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
