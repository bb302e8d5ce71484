package pretrain

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/copsdlab/copsd/core/internal/atomicfile"
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
	if err := meta.agrees(m.Config()); err != nil {
		return nil, err
	}
	return &Base{Model: m, Meta: meta, World: w}, nil
}

// agrees reports metadata that contradicts the header: a base checkpoint's
// metadata records the config it was trained with, and a file whose two
// accounts differ was edited or assembled by hand, so neither can be trusted.
func (m Meta) agrees(header model.Config) error {
	if m.Kind != "base" {
		return fmt.Errorf("checkpoint metadata says kind %q; a base checkpoint says \"base\"", m.Kind)
	}
	if m.Config.Model != header {
		return fmt.Errorf("checkpoint metadata records model %+v but the header holds %+v", m.Config.Model, header)
	}
	if len(m.LossTrace) > TraceLen || len(m.LossTrace) > m.Config.Steps {
		return fmt.Errorf("checkpoint metadata records %d losses for %d steps (at most %d are kept)", len(m.LossTrace), m.Config.Steps, TraceLen)
	}
	return nil
}

// DecodeBytes is Decode over an in-memory checkpoint (the browser fetches one).
func DecodeBytes(b []byte) (*Base, error) { return Decode(bytes.NewReader(b)) }

// Open reads a base checkpoint file: a regular file only, since opening a
// FIFO waits for a writer and a device never ends.
func Open(path string) (*Base, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (a directory, device or pipe); a checkpoint is a file such as assets/models/base-rho50.ckpt", path)
	}
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

// Save writes the trainer's model and metadata to path atomically
// (atomicfile): a crash never leaves a half-written checkpoint under the
// final name. Errors name path, not the temporary file.
func (t *Trainer) Save(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return t.Model.Save(w, t.EncodeMeta()) })
}
