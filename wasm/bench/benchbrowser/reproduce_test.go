//go:build !js

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// sameTree compares two output directories byte for byte, except for each
// one's own path (report.md names its -out), and sees a changed run.
func TestSameTreeIgnoresTheOutputPath(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write := func(dir, name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "report.md", "copsd reproduce -out "+a+"\n")
	write(b, "report.md", "copsd reproduce -out "+b+"\n")
	write(a, "runs/x.json", `{"div":1}`)
	write(b, "runs/x.json", `{"div":1}`)
	if same, err := sameTree(a, b); err != nil || !same {
		t.Fatalf("same outputs in two directories: same %v, err %v", same, err)
	}
	write(b, "runs/x.json", `{"div":2}`)
	if same, _ := sameTree(a, b); same {
		t.Fatal("a changed run went unseen")
	}
}
