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
// Load checks the magic first, then reads at most the size the header
// declares, and trusts no size in the table before the bytes are there, so
// neither an endless stream nor a hostile header can make it read or
// allocate more than the file (or a real checkpoint of that config) holds;
// and it never panics: every defect is an error that says what is wrong.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
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
	maxTensorName     = 256
	maxTensorRank     = 4
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

// FitsCheckpoint reports whether a model of config c can be saved and
// loaded again: Load refuses more than maxCheckpointParams parameters.
func (c Config) FitsCheckpoint() error {
	if np := c.numParams(); np > maxCheckpointParams {
		return fmt.Errorf("model: config %+v has %d parameters, more than the %d a checkpoint holds", c, np, maxCheckpointParams)
	}
	return nil
}

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
// the part that is cut short, ErrChecksum, an unreasonable size, a tensor
// table that does not fit the config, or a weight that is not finite.
//
// Load looks at the magic before reading on, and then reads no more than
// the size the header declares (and one byte, to notice trailing data):
// neither an endless stream such as /dev/zero nor a hostile header makes
// it read or allocate more than a real checkpoint of that config.
func Load(r io.Reader) (*Model, []byte, error) {
	data, err := readDeclared(r)
	if err != nil {
		return nil, nil, err
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

// headerLen is the fixed part before the metadata: magic, version, config
// and metadata length.
const headerLen = len(checkpointMagic) + 4 + 5*4 + 4

// readDeclared reads the magic, then the header, then as many bytes as the
// header declares plus one. A defective header is returned as read, for
// parseCheckpoint to name the defect.
func readDeclared(r io.Reader) ([]byte, error) {
	head := make([]byte, headerLen)
	n, err := io.ReadFull(r, head[:len(checkpointMagic)])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("model: reading checkpoint: %w", err)
	}
	if string(head[:n]) != checkpointMagic[:n] {
		return nil, ErrNotCheckpoint
	}
	if n < len(checkpointMagic) {
		return head[:n], nil
	}
	n, err = io.ReadFull(r, head[len(checkpointMagic):])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("model: reading checkpoint: %w", err)
	}
	head = head[:len(checkpointMagic)+n]
	cfg, metaLen, err := readHeader(&ckptReader{data: head})
	if err != nil {
		return head, nil
	}
	rest, err := io.ReadAll(io.LimitReader(r, checkpointSize(cfg, metaLen)-int64(headerLen)+1))
	if err != nil {
		return nil, fmt.Errorf("model: reading checkpoint: %w", err)
	}
	return append(head, rest...), nil
}

// checkpointSize is the size of the file Save writes for a model of config
// c with metaLen bytes of metadata. The tensor table is counted from the
// layout of one layer, so that a header claiming many layers costs no table.
func checkpointSize(c Config, metaLen uint32) int64 {
	one := c
	one.Layers = 1
	var fixed, layer, perLayer int64
	for _, s := range layout(one, nil, nil) {
		b := int64(2 + len(s.name) + 1 + 4*len(s.shape) + 4*s.size)
		if name, ok := strings.CutPrefix(s.name, "h0."); ok {
			layer += b - int64(len(s.name)-len(name))
			perLayer++
			continue
		}
		fixed += b
	}
	size := int64(headerLen) + int64(metaLen) + 4 + fixed + 4
	for l := range c.Layers {
		size += layer + perLayer*int64(len("h.")+len(strconv.Itoa(l)))
	}
	return size
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

// readHeader reads and checks the magic, version, config and metadata
// length.
func readHeader(r *ckptReader) (Config, uint32, error) {
	n := min(len(r.data), len(checkpointMagic))
	if string(r.data[:n]) != checkpointMagic[:n] {
		return Config{}, 0, ErrNotCheckpoint
	}
	if _, err := r.take(uint64(len(checkpointMagic)), "magic"); err != nil {
		return Config{}, 0, err
	}
	version, err := r.u32("format version")
	if err != nil {
		return Config{}, 0, err
	}
	switch {
	case version > checkpointVersion:
		return Config{}, 0, fmt.Errorf("checkpoint format version %d is newer than this build reads (%d)", version, checkpointVersion)
	case version == 0:
		return Config{}, 0, fmt.Errorf("checkpoint format version 0 is invalid")
	}
	var dims [5]uint32
	for i, what := range []string{"config vocab", "config ctx", "config dim", "config layers", "config heads"} {
		if dims[i], err = r.u32(what); err != nil {
			return Config{}, 0, err
		}
	}
	for _, d := range dims {
		if d > math.MaxInt32 {
			return Config{}, 0, fmt.Errorf("checkpoint config %v has an unreasonable size", dims)
		}
	}
	cfg := Config{Vocab: int(dims[0]), Ctx: int(dims[1]), Dim: int(dims[2]), Layers: int(dims[3]), Heads: int(dims[4])}
	if err := cfg.Validate(); err != nil {
		return Config{}, 0, fmt.Errorf("checkpoint has an invalid config: %w", err)
	}
	if np := cfg.numParams(); np > maxCheckpointParams {
		return Config{}, 0, fmt.Errorf("checkpoint config %+v declares %d parameters, more than the %d this build loads", cfg, np, maxCheckpointParams)
	}
	metaLen, err := r.u32("metadata length")
	if err != nil {
		return Config{}, 0, err
	}
	if metaLen > maxCheckpointMeta {
		return Config{}, 0, fmt.Errorf("checkpoint metadata length %d is unreasonable (limit %d)", metaLen, maxCheckpointMeta)
	}
	return cfg, metaLen, nil
}

func parseCheckpoint(data []byte) (*Model, []byte, error) {
	r := &ckptReader{data: data}
	cfg, metaLen, err := readHeader(r)
	if err != nil {
		return nil, nil, err
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
		if raws[i], err = r.tensor(i, s); err != nil {
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
		if j := slices.IndexFunc(dst, notFinite); j >= 0 {
			// Corruptible: with a failed checksum, the damage explains it.
			return nil, nil, &formatError{fmt.Sprintf("checkpoint tensor %s holds %v at index %d: a model saved after its training diverged", s.name, dst[j], j), true}
		}
	}
	return m, slices.Clone(meta), nil
}

func notFinite(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

// tensor reads the i-th entry of the tensor table, which must be the
// config's tensor s (its name and shape), and returns its raw values.
func (r *ckptReader) tensor(i int, s tensorSpec) ([]byte, error) {
	b, err := r.take(2, "tensor "+s.name+" name length")
	if err != nil {
		return nil, err
	}
	nameLen := binary.LittleEndian.Uint16(b)
	if nameLen > maxTensorName {
		return nil, &formatError{fmt.Sprintf("tensor %d name length %d is unreasonable (limit %d)", i, nameLen, maxTensorName), true}
	}
	name, err := r.take(uint64(nameLen), "tensor "+s.name+" name")
	if err != nil {
		return nil, err
	}
	if string(name) != s.name {
		return nil, &formatError{fmt.Sprintf("tensor %d is named %q, config needs %q", i, name, s.name), true}
	}
	b, err = r.take(1, "tensor "+s.name+" rank")
	if err != nil {
		return nil, err
	}
	rank := int(b[0])
	if rank > maxTensorRank {
		return nil, &formatError{fmt.Sprintf("tensor %s has rank %d, more than %d", s.name, rank, maxTensorRank), true}
	}
	shape := make([]int, rank)
	for j := range shape {
		d, err := r.u32("tensor " + s.name + " shape")
		if err != nil {
			return nil, err
		}
		shape[j] = int(d)
	}
	if !slices.Equal(shape, s.shape) {
		return nil, &formatError{fmt.Sprintf("tensor %s has shape %v, config needs %v", s.name, shape, s.shape), true}
	}
	return r.take(4*uint64(s.size), "tensor "+s.name)
}
