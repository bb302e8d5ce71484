package pretrain

import (
	"bytes"
	"testing"
)

// FuzzDecodeMeta: a base checkpoint's metadata is foreign input (a file
// given to the CLI, a download in the browser). The binary container has
// its own fuzz target (model.FuzzLoad); here any metadata, sealed into an
// intact checkpoint, gives a base or an error, never a panic, and what is
// accepted agrees with the header it came with.
func FuzzDecodeMeta(f *testing.F) {
	c := Config{Seed: 1, Steps: 1, Batch: 1}
	c.Model.Dim, c.Model.Layers, c.Model.Heads, c.Model.Ctx = 4, 1, 1, 8
	tr, err := New(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tr.EncodeMeta())
	f.Add([]byte(`{"kind":"base","world_version":1,"config":{"model":{"dim":8}}}`))
	f.Add([]byte(`{"kind":"base","world_version":1,"config":{"world":{"rho":2}}}`))
	f.Add([]byte(`{"kind":"base","loss_trace":[1,2,3]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, meta []byte) {
		var file bytes.Buffer
		if err := tr.Model.Save(&file, meta); err != nil {
			return // more metadata than a checkpoint holds
		}
		b, err := DecodeBytes(file.Bytes())
		if err != nil {
			if b != nil || err.Error() == "" {
				t.Fatalf("a base and an error %q", err)
			}
			return
		}
		if b.Meta.Config.Model != b.Model.Config() || b.Model.Config().Vocab != b.World.Vocab.Size() || b.Meta.Kind != "base" {
			t.Fatalf("accepted metadata %+v for header %+v", b.Meta.Config.Model, b.Model.Config())
		}
	})
}
