package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"strings"
	"testing"
)

// checkpointBytes saves a small model (C = 64, so h0.attn.w is 64×192
// floats = 49152 bytes) and returns the file.
func checkpointBytes(t testing.TB) (*Model, []byte) {
	t.Helper()
	m, err := New(Config{Vocab: 10, Ctx: 4, Dim: 64, Layers: 1, Heads: 4}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf, []byte(`{"seed":3}`)); err != nil {
		t.Fatal(err)
	}
	return m, buf.Bytes()
}

// offsetOf returns where tensor name's data starts in a checkpoint file.
func offsetOf(t testing.TB, file []byte, m *Model, name string) int {
	t.Helper()
	i := bytes.Index(file, []byte(name))
	for _, s := range m.specs {
		if s.name == name {
			return i + len(name) + 1 + 4*len(s.shape)
		}
	}
	t.Fatalf("no tensor %s", name)
	return 0
}

// reseal recomputes the trailing checksum after a deliberate edit.
func reseal(file []byte) []byte {
	binary.LittleEndian.PutUint32(file[len(file)-4:], crc32.Checksum(file[:len(file)-4], crcTable))
	return file
}

func TestCheckpointRoundTrip(t *testing.T) {
	m, file := checkpointBytes(t)
	m.Workers = 3
	got, meta, err := Load(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if string(meta) != `{"seed":3}` {
		t.Errorf("meta = %q", meta)
	}
	if got.Config() != m.Config() {
		t.Errorf("config %+v, want %+v", got.Config(), m.Config())
	}
	if i := sameBits(got.Params(), m.Params()); i >= 0 {
		t.Fatalf("parameter %d differs after the round trip", i)
	}
	// Same bits in, same bits out: saving the loaded model reproduces the file.
	var again bytes.Buffer
	if err := got.Save(&again, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), file) {
		t.Error("re-saved checkpoint differs from the original file")
	}
	// Empty metadata is fine too.
	var buf bytes.Buffer
	if err := m.Save(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if _, meta, err := Load(&buf); err != nil || len(meta) != 0 {
		t.Errorf("Load of a checkpoint without meta: %q, %v", meta, err)
	}
}

func TestCheckpointErrors(t *testing.T) {
	m, file := checkpointBytes(t)
	attnOff := offsetOf(t, file, m, "h0.attn.w")
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(file)) }
	cases := []struct {
		name string
		data []byte
		want string // the whole error message
		is   error  // and a sentinel it wraps, if any
	}{
		{"empty", nil, "truncated: magic needs 8 bytes, file has 0", ErrTruncated},
		{"wrongMagic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "not a COPSD checkpoint (bad magic)", ErrNotCheckpoint},
		{"text", []byte("hello, world\n"), "not a COPSD checkpoint (bad magic)", ErrNotCheckpoint},
		{"futureVersion", edit(func(b []byte) []byte { b[8] = 7; return reseal(b) }),
			"checkpoint format version 7 is newer than this build reads (1)", nil},
		{"versionZero", edit(func(b []byte) []byte { b[8] = 0; return reseal(b) }), "checkpoint format version 0 is invalid", nil},
		{"truncatedTensor", file[:attnOff+1200], "truncated: tensor h0.attn.w needs 49152 bytes, file has 1200", ErrTruncated},
		{"truncatedChecksum", file[:len(file)-3], "truncated: checksum needs 4 bytes, file has 1", ErrTruncated},
		{"truncatedHeader", file[:14], "truncated: config vocab needs 4 bytes, file has 2", ErrTruncated},
		{"flippedDataByte", edit(func(b []byte) []byte { b[attnOff+100] ^= 0x10; return b }), "checksum mismatch: file is corrupted", ErrChecksum},
		{"flippedChecksum", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "checksum mismatch: file is corrupted", ErrChecksum},
		{"flippedName", edit(func(b []byte) []byte { b[attnOff-10] ^= 1; return b }), "checksum mismatch: file is corrupted", ErrChecksum},
		{"trailingGarbage", append(bytes.Clone(file), 0, 0), "checksum mismatch: file is corrupted", ErrChecksum},
		{"hugeVocab", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<30); return reseal(b) }),
			"checkpoint has an invalid config: model: config {Vocab:1073741824 Ctx:4 Dim:64 Layers:1 Heads:4} has 68719527104 parameters, more than the 1073741824 this package supports", nil},
		{"tooManyParams", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<21); return reseal(b) }),
			"checkpoint config {Vocab:2097152 Ctx:4 Dim:64 Layers:1 Heads:4} declares 134268096 parameters, more than the 67108864 this build loads", nil},
		{"hugeMeta", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[32:], 1<<31); return reseal(b) }),
			"checkpoint metadata length 2147483648 is unreasonable (limit 16777216)", nil},
		{"wrongShape", edit(func(b []byte) []byte { b[attnOff-4] ^= 1; return reseal(b) }),
			"tensor h0.attn.w has shape [64 193], config needs [64 192]", nil},
		{"badConfig", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], 5); return reseal(b) }),
			"checkpoint has an invalid config: model: config {Vocab:10 Ctx:4 Dim:64 Layers:1 Heads:5}: Dim 64 is not a multiple of Heads 5", nil},
	}
	for _, c := range cases {
		_, _, err := Load(bytes.NewReader(c.data))
		if err == nil {
			t.Errorf("%s: Load succeeded", c.name)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%s: error %q\n\twant %q", c.name, err, c.want)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q does not wrap %v", c.name, err, c.is)
		}
	}
}

// TestCheckpointEveryTruncationAndFlip: cutting the file anywhere, or
// flipping any single bit, gives an error, never a model or a panic.
func TestCheckpointEveryTruncationAndFlip(t *testing.T) {
	small, _ := New(Config{Vocab: 3, Ctx: 2, Dim: 4, Layers: 1, Heads: 2}, 1)
	var buf bytes.Buffer
	if err := small.Save(&buf, []byte("meta")); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	for n := range len(file) {
		if _, _, err := Load(bytes.NewReader(file[:n])); err == nil {
			t.Fatalf("Load of the first %d of %d bytes succeeded", n, len(file))
		}
	}
	b := bytes.Clone(file)
	for i := range b {
		for bit := range 8 {
			b[i] ^= 1 << bit
			_, _, err := Load(bytes.NewReader(b))
			if err == nil {
				t.Fatalf("Load with byte %d bit %d flipped succeeded", i, bit)
			}
			// Past the magic and version, damage shows as a checksum
			// mismatch, a table cut short, or an unreasonable size.
			if i >= 12 && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrTruncated) &&
				!strings.Contains(err.Error(), "unreasonable") && !strings.Contains(err.Error(), "config") {
				t.Fatalf("byte %d bit %d flipped: %v", i, bit, err)
			}
			b[i] ^= 1 << bit
		}
	}
}

// TestLoadManyLayersHeaderIsCheap is the regression test for a fuzzer
// find: a 48-byte header claiming 65536 layers made Load build a
// 786k-entry tensor table (0.3 s) before noticing the file was empty.
// The count is now checked against the bytes present first.
func TestLoadManyLayersHeaderIsCheap(t *testing.T) {
	var b []byte
	b = append(b, checkpointMagic...)
	b = binary.LittleEndian.AppendUint32(b, checkpointVersion)
	for _, v := range []uint32{1, 1, 1, 65536, 1} { // Vocab, Ctx, Dim, Layers, Heads
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint32(b, 0)            // meta length
	b = binary.LittleEndian.AppendUint32(b, 2+12*65536+2) // tensor count
	b = reseal(append(b, 0, 0, 0, 0))
	_, _, err := Load(bytes.NewReader(b))
	const want = "truncated: tensor table needs at least 5505052 bytes, file has 4"
	if err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %q", err, want)
	}
}

func TestSaveRejectsHugeMeta(t *testing.T) {
	m, _ := New(tinyConfig, 1)
	if err := m.Save(new(bytes.Buffer), make([]byte, maxCheckpointMeta+1)); err == nil {
		t.Error("Save with oversized metadata succeeded")
	}
}

// FuzzLoad: Load never panics and never returns a model together with an
// error; anything it accepts saves back to the same bytes.
func FuzzLoad(f *testing.F) {
	// Small seeds keep the mutator fast; the table logic is the same at
	// any size.
	small, _ := New(Config{Vocab: 3, Ctx: 2, Dim: 2, Layers: 1, Heads: 1}, 1)
	var buf bytes.Buffer
	small.Save(&buf, []byte("m"))
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:40])
	f.Add([]byte(checkpointMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, meta, err := Load(bytes.NewReader(data))
		if err != nil {
			if m != nil || meta != nil {
				t.Fatal("Load returned a model and an error")
			}
			return
		}
		var out bytes.Buffer
		if err := m.Save(&out, meta); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatal("accepted checkpoint does not save back to the same bytes")
		}
	})
}

// countingReader is an endless stream of one byte (as /dev/zero is of
// zeros) after an optional prefix, counting what is read.
type countingReader struct {
	prefix []byte
	fill   byte
	n      int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	k := copy(p, r.prefix)
	r.prefix = r.prefix[k:]
	for i := k; i < len(p); i++ {
		p[i] = r.fill
	}
	r.n += int64(len(p))
	return len(p), nil
}

// TestLoadDevZeroFailsFast: Load read 273 MB of /dev/zero before failing;
// it now stops at the magic.
func TestLoadDevZeroFailsFast(t *testing.T) {
	zero := &countingReader{}
	if _, _, err := Load(zero); !errors.Is(err, ErrNotCheckpoint) {
		t.Errorf("Load(/dev/zero) = %v, want ErrNotCheckpoint", err)
	}
	if zero.n > 4096 {
		t.Errorf("read %d bytes of an endless stream before seeing the magic", zero.n)
	}
	// A valid header followed by an endless stream: Load reads what the
	// header declares and one byte more, no further.
	_, file := checkpointBytes(t)
	tail := &countingReader{prefix: bytes.Clone(file[:headerLen]), fill: 7}
	if _, _, err := Load(tail); err == nil {
		t.Fatal("Load of a header and an endless stream succeeded")
	}
	if tail.n > int64(len(file))+64<<10 {
		t.Errorf("read %d bytes for a header declaring %d", tail.n, len(file))
	}
}

// TestCheckpointSizeIsTheSavedSize: the size Load reads up to is the size
// Save writes, for one and for more than ten layers (two-digit names).
func TestCheckpointSizeIsTheSavedSize(t *testing.T) {
	for _, c := range []Config{{Vocab: 3, Ctx: 2, Dim: 4, Layers: 1, Heads: 2}, {Vocab: 5, Ctx: 3, Dim: 4, Layers: 12, Heads: 1}} {
		m, _ := New(c, 1)
		var buf bytes.Buffer
		if err := m.Save(&buf, []byte("meta!")); err != nil {
			t.Fatal(err)
		}
		if got := checkpointSize(c, 5); got != int64(buf.Len()) {
			t.Errorf("%+v: checkpointSize %d, Save wrote %d", c, got, buf.Len())
		}
	}
}

// TestLoadRejectsNonFiniteWeights: a checkpoint holding NaN or Inf (with a
// valid checksum) loaded, and failed much later as "json: unsupported value:
// NaN". Load names the tensor.
func TestLoadRejectsNonFiniteWeights(t *testing.T) {
	m, file := checkpointBytes(t)
	off := offsetOf(t, file, m, "h0.mlp.w")
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		b := bytes.Clone(file)
		binary.LittleEndian.PutUint32(b[off+4*5:], math.Float32bits(v))
		_, _, err := Load(bytes.NewReader(reseal(b)))
		if err == nil || !strings.Contains(err.Error(), "tensor h0.mlp.w") || !strings.Contains(err.Error(), "index 5") {
			t.Errorf("weight %v: %v", v, err)
		}
	}
}
