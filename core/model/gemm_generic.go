//go:build !amd64 || purego

package model

// asmKernel reports whether panel4 uses an assembly kernel.
const asmKernel = false

// panel4 computes output rows [i, i+4) with the portable Go kernel.
func (g *gemm) panel4(i int) {
	g.goRect(i, i+4, 0, g.N)
}

// useAVX is always false without the amd64 assembly.
var useAVX = false
