package model

import (
	"encoding/binary"
	"hash/fnv"
	"math"
)

// HashFloats is an FNV-1a hash of the bits of xs, each value little-endian:
// the same number natively and in wasm exactly when the values are the same
// bits. Checks of bit-identical weights (make samebits, the benchmarks'
// replicas) compare these.
func HashFloats(xs []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		h.Write(b[:])
	}
	return h.Sum64()
}
