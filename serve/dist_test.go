package serve

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/serve/manifest"
)

// TestDistVariantsFresh guards against the classic precompression bug: a .br or .gz left over
// from an earlier build keeps serving old code while the plain file is new. It checks the tree
// on disk, which is what the next `go build` embeds.
func TestDistVariantsFresh(t *testing.T) {
	dist := os.DirFS("dist")
	var files []string
	err := fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 1 && files[0] == manifest.Placeholder {
		t.Skip("dist holds only README.txt: the app is not built")
	}

	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	checked := 0
	for _, variant := range files {
		var source, encoding string
		for _, v := range precompressed {
			if base, ok := strings.CutSuffix(variant, v.suffix); ok {
				source, encoding = base, v.encoding
			}
		}
		if source == "" {
			continue
		}
		if !have[source] {
			t.Errorf("dist/%s: no dist/%s next to it; rebuild with the bundler", variant, source)
			continue
		}
		vi, err := fs.Stat(dist, variant)
		if err != nil {
			t.Fatal(err)
		}
		si, err := fs.Stat(dist, source)
		if err != nil {
			t.Fatal(err)
		}
		if vi.ModTime().Before(si.ModTime()) {
			t.Errorf("dist/%s (%v) is older than dist/%s (%v): stale variant, rebuild with the bundler",
				variant, vi.ModTime(), source, si.ModTime())
		}
		compressed, err := fs.ReadFile(dist, variant)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := fs.ReadFile(dist, source)
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, encoding, compressed); !bytes.Equal(got, plain) {
			t.Errorf("dist/%s does not decode to dist/%s: stale variant, rebuild with the bundler", variant, source)
		}
		checked++
	}
	t.Logf("checked %d variants in dist/", checked)

	// And the tree as a whole must load: manifest valid, hashes matching names.
	if _, err := New(Config{App: dist, Logger: quietLogger()}); err != nil {
		t.Errorf("serving dist/: %v", err)
	}
}
