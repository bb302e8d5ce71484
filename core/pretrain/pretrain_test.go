package pretrain

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

var shipped = []string{"../../assets/models/base-rho0.ckpt", "../../assets/models/base-rho50.ckpt"}

// The shipped base models are reproducible: retraining from the recorded
// config gives bit-identical losses for the recorded first steps.
func TestShippedCheckpointsReproduce(t *testing.T) {
	for _, path := range shipped {
		base, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v (regenerate with `make checkpoints`)", path, err)
		}
		steps := TraceLen
		if testing.Short() {
			steps = 3
		}
		tr, err := New(base.Meta.Config)
		if err != nil {
			t.Fatal(err)
		}
		for i := range steps {
			got := float32(tr.Step().Loss)
			if want := base.Meta.LossTrace[i]; math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("%s: step %d loss %v, checkpoint records %v: the recipe no longer reproduces the shipped model; run `make checkpoints`", path, i+1, got, want)
			}
		}
	}
}

func TestSameSeedSameRunDifferentSeedDifferent(t *testing.T) {
	small := Config{Seed: 7, Steps: 50, Batch: 4, World: world.Config{Rho: 0.5}}
	small.Model.Dim, small.Model.Layers, small.Model.Heads = 16, 1, 2
	trace := func(c Config) []float64 {
		tr, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for range 5 {
			out = append(out, tr.Step().Loss)
		}
		return out
	}
	a, b := trace(small), trace(small)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same config, step %d: %v vs %v", i+1, a[i], b[i])
		}
	}
	other := small
	other.Seed = 8
	if c := trace(other); c[0] == a[0] && c[4] == a[4] {
		t.Fatal("different seeds gave the same losses")
	}
}

// Bad checkpoints are errors that say what is wrong.
func TestDecodeRejectsBadCheckpoints(t *testing.T) {
	good, err := os.ReadFile(shipped[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"not a checkpoint", []byte("hello world, this is not a model file at all......"), "magic"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"flipped byte", flip(good, len(good)/3), "checksum"},
	} {
		_, err := DecodeBytes(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.ckpt")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestSaveIsAtomicAndLoadable(t *testing.T) {
	c := Config{Seed: 3, Steps: 2, Batch: 2}
	c.Model.Dim, c.Model.Layers, c.Model.Heads = 16, 1, 2
	tr, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	tr.Step()
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f32bytes(b.Model.Params()), f32bytes(tr.Model.Params())) {
		t.Fatal("loaded weights differ from saved")
	}
	if len(b.Meta.LossTrace) != 1 || b.Meta.Config.Seed != 3 {
		t.Fatalf("meta %+v", b.Meta)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

func f32bytes(xs []float32) []byte {
	out := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		u := math.Float32bits(x)
		out = append(out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return out
}

// TestCheckpointMetaContradictingHeaderIsRejected: a checkpoint whose
// metadata records another model than its header holds was accepted.
func TestCheckpointMetaContradictingHeaderIsRejected(t *testing.T) {
	good, err := os.ReadFile(shipped[1])
	if err != nil {
		t.Fatal(err)
	}
	m, metaBytes, err := model.Load(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Meta){
		"dim":    func(mt *Meta) { mt.Config.Model.Dim = 128 },
		"layers": func(mt *Meta) { mt.Config.Model.Layers = 7 },
		"vocab":  func(mt *Meta) { mt.Config.Model.Vocab++ },
		"kind":   func(mt *Meta) { mt.Kind = "student" },
		"trace":  func(mt *Meta) { mt.LossTrace = make([]float32, TraceLen+1) },
	} {
		meta, err := DecodeMeta(metaBytes)
		if err != nil {
			t.Fatal(err)
		}
		edit(&meta)
		b, _ := json.Marshal(meta)
		var buf bytes.Buffer
		if err := m.Save(&buf, b); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeBytes(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "metadata") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeBytes(good); err != nil {
		t.Fatalf("the shipped checkpoint: %v", err)
	}
}
