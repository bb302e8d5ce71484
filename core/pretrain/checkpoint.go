package pretrain

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

// Base is a loaded base model with the world it was trained in.
type Base struct {
	Model *model.Model
	Meta  Meta
	World *world.World
}

// Decode reads a base checkpoint: the model, its metadata, and the world
// rebuilt from the recorded world config. Every failure says what is wrong.
func Decode(r io.Reader) (*Base, error) {
	m, metaBytes, err := model.Load(r)
	if err != nil {
		return nil, err
	}
	meta, err := DecodeMeta(metaBytes)
	if err != nil {
		return nil, err
	}
	w, err := world.New(meta.Config.World)
	if err != nil {
		return nil, fmt.Errorf("checkpoint world config: %w", err)
	}
	if m.Config().Vocab != w.Vocab.Size() {
		return nil, fmt.Errorf("checkpoint vocabulary has %d tokens, the world has %d", m.Config().Vocab, w.Vocab.Size())
	}
	return &Base{Model: m, Meta: meta, World: w}, nil
}

// DecodeBytes is Decode over an in-memory checkpoint (the browser fetches one).
func DecodeBytes(b []byte) (*Base, error) { return Decode(bytes.NewReader(b)) }

// Open reads a base checkpoint file.
func Open(path string) (*Base, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Save writes the trainer's model and metadata to path atomically: a
// temporary file in the same directory, synced, then renamed, so a crash never
// leaves a half-written checkpoint under the final name.
func (t *Trainer) Save(path string) error {
	tmp, err := os.CreateTemp(dirOf(path), ".ckpt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := t.Model.Save(tmp, t.EncodeMeta()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}
