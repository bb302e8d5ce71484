package model

// Checkpoint format, version 1. All integers are little-endian.
//
//	magic      8 bytes  "COPSDCKP"
//	version    uint32   1
//	config     5×uint32 Vocab, Ctx, Dim, Layers, Heads
//	meta       uint32 length, then that many opaque bytes (the caller's)
//	tensors    uint32 count, then per tensor, in layout order:
//	             uint16 name length, name (ASCII)
//	             uint8 rank, rank×uint32 dims
//	             float32 data, row-major, prod(dims)×4 bytes
//	checksum   uint32   CRC-32C (Castagnoli) of every byte before it
//
// Load reads the whole file (at most maxCheckpointBytes) before trusting
// any size in it, so a hostile header cannot make it allocate more than
// the file holds, and it never panics: every defect is an error that says
// what is wrong.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
)

const (
	checkpointMagic   = "COPSDCKP"
	checkpointVersion = 1

	// maxCheckpointParams is the largest model Load accepts: 64 Mi
	// parameters, 256 MiB of float32. Far above any model meant to run
	// in a browser, far below what a corrupted header could ask for.
	maxCheckpointParams = 1 << 26
	// maxCheckpointMeta bounds the caller's metadata.
	maxCheckpointMeta = 16 << 20
	// maxCheckpointBytes bounds the file: parameters, metadata and room
	// for the header and tensor table.
	maxCheckpointBytes = 4*maxCheckpointParams + maxCheckpointMeta + 1<<20
	maxTensorName      = 256
	maxTensorRank      = 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	// ErrNotCheckpoint is returned by Load for data without the magic.
	ErrNotCheckpoint = errors.New("not a COPSD checkpoint (bad magic)")
	// ErrTruncated is wrapped by Load's errors for data that ends early.
	ErrTruncated = errors.New("truncated")
	// ErrChecksum is returned by Load when the data does not match its
	// checksum.
	ErrChecksum = errors.New("checksum mismatch: file is corrupted")
)

// Save writes m's config, meta (opaque bytes chosen by the caller, e.g.
// JSON of the run's settings and loss trace) and parameters to w in the
// checkpoint format. Gradients and Workers are not saved.
func (m *Model) Save(w io.Writer, meta []byte) error {
	if len(meta) > maxCheckpointMeta {
		return fmt.Errorf("model: checkpoint metadata is %d bytes, more than the %d allowed", len(meta), maxCheckpointMeta)
	}
	crc := crc32.New(crcTable)
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	var b []byte
	b = append(b, checkpointMagic...)
	b = binary.LittleEndian.AppendUint32(b, checkpointVersion)
	c := m.cfg
	for _, v := range []int{c.Vocab, c.Ctx, c.Dim, c.Layers, c.Heads} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(meta)))
	b = append(b, meta...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.specs)))
	if _, err := bw.Write(b); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, s := range m.specs {
		buf = buf[:0]
		buf = binary.LittleEndian.AppendUint16(buf, uint16(len(s.name)))
		buf = append(buf, s.name...)
		buf = append(buf, byte(len(s.shape)))
		for _, d := range s.shape {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d))
		}
		for _, v := range m.params[s.off : s.off+s.size] {
			if len(buf)+4 > cap(buf) {
				if _, err := bw.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// Load reads a checkpoint written by Save and returns the model (Workers
// set as by New) and the metadata. Errors name the defect: ErrNotCheckpoint,
// a format version newer than this build reads, ErrTruncated wrapped with
// the part that is cut short, ErrChecksum, an unreasonable size, or a
// tensor table that does not fit the config.
func Load(r io.Reader) (*Model, []byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCheckpointBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("model: reading checkpoint: %w", err)
	}
	if len(data) > maxCheckpointBytes {
		return nil, nil, fmt.Errorf("checkpoint is larger than %d bytes, the most this build loads", maxCheckpointBytes)
	}
	// An intact file's last four bytes are the checksum of the rest.
	intact := len(data) >= 4 &&
		crc32.Checksum(data[:len(data)-4], crcTable) == binary.LittleEndian.Uint32(data[len(data)-4:])
	m, meta, err := parseCheckpoint(data)
	var fe *formatError
	switch {
	case err == nil && !intact:
		return nil, nil, ErrChecksum
	case err != nil && !intact && errors.As(err, &fe) && fe.corruptible:
		// A damaged table is best explained by the damage itself.
		return nil, nil, ErrChecksum
	case err != nil:
		return nil, nil, err
	}
	return m, meta, nil
}

// formatError is a defect in the checkpoint's content. corruptible marks
// the defects that random damage produces (a wrong name or shape); when
// the checksum also fails, Load reports the checksum instead.
type formatError struct {
	msg         string
	corruptible bool
}

func (e *formatError) Error() string { return e.msg }

// ckptReader walks the bytes of a checkpoint.
type ckptReader struct {
	data []byte
	off  int
}

func (r *ckptReader) left() int { return len(r.data) - r.off }

// take returns the next n bytes, or an ErrTruncated error naming what.
func (r *ckptReader) take(n uint64, what string) ([]byte, error) {
	if n > uint64(r.left()) {
		return nil, fmt.Errorf("%w: %s needs %d bytes, file has %d", ErrTruncated, what, n, r.left())
	}
	b := r.data[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *ckptReader) u32(what string) (uint32, error) {
	b, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func parseCheckpoint(data []byte) (*Model, []byte, error) {
	r := &ckptReader{data: data}
	n := min(len(data), len(checkpointMagic))
	if string(data[:n]) != checkpointMagic[:n] {
		return nil, nil, ErrNotCheckpoint
	}
	if _, err := r.take(uint64(len(checkpointMagic)), "magic"); err != nil {
		return nil, nil, err
	}
	version, err := r.u32("format version")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case version > checkpointVersion:
		return nil, nil, fmt.Errorf("checkpoint format version %d is newer than this build reads (%d)", version, checkpointVersion)
	case version == 0:
		return nil, nil, fmt.Errorf("checkpoint format version 0 is invalid")
	}

	var dims [5]uint32
	for i, what := range []string{"config vocab", "config ctx", "config dim", "config layers", "config heads"} {
		if dims[i], err = r.u32(what); err != nil {
			return nil, nil, err
		}
	}
	for _, d := range dims {
		if d > math.MaxInt32 {
			return nil, nil, fmt.Errorf("checkpoint config %v has an unreasonable size", dims)
		}
	}
	cfg := Config{Vocab: int(dims[0]), Ctx: int(dims[1]), Dim: int(dims[2]), Layers: int(dims[3]), Heads: int(dims[4])}
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("checkpoint has an invalid config: %w", err)
	}
	if np := cfg.numParams(); np > maxCheckpointParams {
		return nil, nil, fmt.Errorf("checkpoint config %+v declares %d parameters, more than the %d this build loads", cfg, np, maxCheckpointParams)
	}

	metaLen, err := r.u32("metadata length")
	if err != nil {
		return nil, nil, err
	}
	if metaLen > maxCheckpointMeta {
		return nil, nil, fmt.Errorf("checkpoint metadata length %d is unreasonable (limit %d)", metaLen, maxCheckpointMeta)
	}
	meta, err := r.take(uint64(metaLen), "metadata")
	if err != nil {
		return nil, nil, err
	}

	count, err := r.u32("tensor count")
	if err != nil {
		return nil, nil, err
	}
	// Compare counts before building the table: a header may claim
	// thousands of layers, but a file holding them must be that long.
	if want := 2 + 12*int64(cfg.Layers) + 2; int64(count) != want {
		return nil, nil, &formatError{fmt.Sprintf("checkpoint has %d tensors, config %+v needs %d", count, cfg, want), true}
	}
	if minTable := 7 * uint64(count); minTable > uint64(r.left()) {
		return nil, nil, fmt.Errorf("%w: tensor table needs at least %d bytes, file has %d", ErrTruncated, minTable, r.left())
	}
	specs := layout(cfg, nil, nil)
	// Check the whole table against the config before allocating.
	raws := make([][]byte, len(specs))
	for i, s := range specs {
		b, err := r.take(2, "tensor "+s.name+" name length")
		if err != nil {
			return nil, nil, err
		}
		nameLen := binary.LittleEndian.Uint16(b)
		if nameLen > maxTensorName {
			return nil, nil, &formatError{fmt.Sprintf("tensor %d name length %d is unreasonable (limit %d)", i, nameLen, maxTensorName), true}
		}
		name, err := r.take(uint64(nameLen), "tensor "+s.name+" name")
		if err != nil {
			return nil, nil, err
		}
		if string(name) != s.name {
			return nil, nil, &formatError{fmt.Sprintf("tensor %d is named %q, config needs %q", i, name, s.name), true}
		}
		b, err = r.take(1, "tensor "+s.name+" rank")
		if err != nil {
			return nil, nil, err
		}
		rank := int(b[0])
		if rank > maxTensorRank {
			return nil, nil, &formatError{fmt.Sprintf("tensor %s has rank %d, more than %d", s.name, rank, maxTensorRank), true}
		}
		shape := make([]int, rank)
		for j := range shape {
			d, err := r.u32("tensor " + s.name + " shape")
			if err != nil {
				return nil, nil, err
			}
			shape[j] = int(d)
		}
		if !slices.Equal(shape, s.shape) {
			return nil, nil, &formatError{fmt.Sprintf("tensor %s has shape %v, config needs %v", s.name, shape, s.shape), true}
		}
		if raws[i], err = r.take(4*uint64(s.size), "tensor "+s.name); err != nil {
			return nil, nil, err
		}
	}
	if _, err := r.take(4, "checksum"); err != nil {
		return nil, nil, err
	}
	if r.left() > 0 {
		return nil, nil, &formatError{fmt.Sprintf("checkpoint has %d unexpected bytes after the checksum", r.left()), true}
	}

	m := newModel(cfg)
	for i, s := range specs {
		dst := m.params[s.off : s.off+s.size]
		raw := raws[i]
		for j := range dst {
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
	}
	return m, slices.Clone(meta), nil
}
