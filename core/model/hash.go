package model

import (
	"math"
)

// HashFloats is an FNV-1a hash of the bits of xs, each value little-endian:
// the same number natively and in wasm exactly when the values are the same
// bits. Checks of bit-identical weights (make samebits, the benchmarks'
// replicas) compare these.
func HashFloats(xs []float32) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037) // FNV-1a offset basis, as hash/fnv
	for _, x := range xs {
		b := math.Float32bits(x)
		h = (h ^ uint64(b&0xff)) * prime
		h = (h ^ uint64(b>>8&0xff)) * prime
		h = (h ^ uint64(b>>16&0xff)) * prime
		h = (h ^ uint64(b>>24)) * prime
	}
	return h
}
