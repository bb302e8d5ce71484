//go:build amd64 && !purego

package model

// asmKernel reports whether panel4 uses the assembly kernels.
const asmKernel = true

// gemm4x8 computes ntiles consecutive 4×8 output tiles with SSE: four
// rows starting at out, eight columns per tile, reduction over k in
// increasing order, one accumulator per output lane. Strides are in
// elements. mode: 0 out = Σ; 1 out = bias + Σ; 2 out += Σ.
// gemm4x16avx is the same with 4×16 tiles in AVX registers.
// Both are implemented in gemm_amd64.s.
//
//go:noescape
func gemm4x8(out, a, b, bias *float32, ldo, aRow, aK, ldb, k, ntiles, mode int)

//go:noescape
func gemm4x16avx(out, a, b, bias *float32, ldo, aRow, aK, ldb, k, ntiles, mode int)

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func xgetbv0() (eax, edx uint32)

// useAVX reports whether the CPU and OS support AVX (CPUID.1:ECX bits 27
// OSXSAVE and 28 AVX; XCR0 saves XMM and YMM state). It only selects the
// faster kernel: both produce the same bits.
var useAVX = func() bool {
	_, _, ecx, _ := cpuid(1, 0)
	if ecx&(1<<27) == 0 || ecx&(1<<28) == 0 {
		return false
	}
	xcr0, _ := xgetbv0()
	return xcr0&6 == 6
}()

// panel4 computes output rows [i, i+4): full 16-column tiles with AVX
// (when available), then full 8-column tiles with SSE, then the remaining
// columns with the Go kernel. Every path gives the same bits.
func (g *gemm) panel4(i int) {
	j := 0
	if g.K > 0 {
		mode := 0
		var bias *float32
		switch {
		case g.add:
			mode = 2
		case g.bias != nil:
			mode = 1
			bias = &g.bias[0]
		}
		out, a := &g.out[i*g.ldo], &g.a[i*g.aRow]
		if t := g.N / 16; useAVX && t > 0 {
			gemm4x16avx(out, a, &g.b[0], bias, g.ldo, g.aRow, g.aK, g.ldb, g.K, t, mode)
			j = 16 * t
		}
		if t := (g.N - j) / 8; t > 0 {
			if bias != nil {
				bias = &g.bias[j]
			}
			gemm4x8(&g.out[i*g.ldo+j], a, &g.b[j], bias, g.ldo, g.aRow, g.aK, g.ldb, g.K, t, mode)
			j += 8 * t
		}
	}
	if j < g.N {
		g.goRect(i, i+4, j, g.N)
	}
}
