//go:build amd64 && !purego

#include "textflag.h"

// func gemm4x8(out, a, b, bias *float32, ldo, aRow, aK, ldb, k, ntiles, mode int)
//
// Register use:
//   DI out tile   SI a panel   DX b tile   R8 bias tile
//   R9 aRow bytes R13 3*aRow   R14 aK bytes R10 ldb bytes R11 ldo bytes
//   R12 tiles left   AX a cursor   BX b cursor   CX k left   R15 3*ldo
//   X0..X7 accumulators: row r, columns 0-3 in X(2r), 4-7 in X(2r+1)
//   X8, X9 the b row; X10..X13 broadcast a and products
//
// Per lane this is acc = acc + float32(a*b) for k = 0, 1, …: MULPS rounds
// the product, ADDPS adds it, exactly as the Go kernel does.
TEXT ·gemm4x8(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ bias+24(FP), R8
	MOVQ ldo+32(FP), R11
	SHLQ $2, R11
	MOVQ aRow+40(FP), R9
	SHLQ $2, R9
	MOVQ aK+48(FP), R14
	SHLQ $2, R14
	MOVQ ldb+56(FP), R10
	SHLQ $2, R10
	MOVQ ntiles+72(FP), R12
	LEAQ (R9)(R9*2), R13
	LEAQ (R11)(R11*2), R15

tile:
	TESTQ R12, R12
	JZ    done
	MOVQ  mode+80(FP), AX
	CMPQ  AX, $1
	JNE   zero
	MOVUPS (R8), X0
	MOVUPS 16(R8), X1
	MOVAPS X0, X2
	MOVAPS X1, X3
	MOVAPS X0, X4
	MOVAPS X1, X5
	MOVAPS X0, X6
	MOVAPS X1, X7
	JMP    start

zero:
	XORPS X0, X0
	XORPS X1, X1
	XORPS X2, X2
	XORPS X3, X3
	XORPS X4, X4
	XORPS X5, X5
	XORPS X6, X6
	XORPS X7, X7

start:
	MOVQ  SI, AX
	MOVQ  DX, BX
	MOVQ  k+64(FP), CX
	TESTQ CX, CX
	JZ    store

loop:
	MOVUPS (BX), X8
	MOVUPS 16(BX), X9

	MOVSS  (AX), X10
	SHUFPS $0x00, X10, X10
	MOVAPS X10, X11
	MULPS  X8, X10
	MULPS  X9, X11
	ADDPS  X10, X0
	ADDPS  X11, X1

	MOVSS  (AX)(R9*1), X12
	SHUFPS $0x00, X12, X12
	MOVAPS X12, X13
	MULPS  X8, X12
	MULPS  X9, X13
	ADDPS  X12, X2
	ADDPS  X13, X3

	MOVSS  (AX)(R9*2), X10
	SHUFPS $0x00, X10, X10
	MOVAPS X10, X11
	MULPS  X8, X10
	MULPS  X9, X11
	ADDPS  X10, X4
	ADDPS  X11, X5

	MOVSS  (AX)(R13*1), X12
	SHUFPS $0x00, X12, X12
	MOVAPS X12, X13
	MULPS  X8, X12
	MULPS  X9, X13
	ADDPS  X12, X6
	ADDPS  X13, X7

	ADDQ R14, AX
	ADDQ R10, BX
	DECQ CX
	JNZ  loop

store:
	MOVQ mode+80(FP), AX
	CMPQ AX, $2
	JNE  write
	MOVUPS (DI), X8
	MOVUPS 16(DI), X9
	ADDPS  X8, X0
	ADDPS  X9, X1
	MOVUPS (DI)(R11*1), X8
	MOVUPS 16(DI)(R11*1), X9
	ADDPS  X8, X2
	ADDPS  X9, X3
	MOVUPS (DI)(R11*2), X8
	MOVUPS 16(DI)(R11*2), X9
	ADDPS  X8, X4
	ADDPS  X9, X5
	MOVUPS (DI)(R15*1), X8
	MOVUPS 16(DI)(R15*1), X9
	ADDPS  X8, X6
	ADDPS  X9, X7

write:
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, (DI)(R11*1)
	MOVUPS X3, 16(DI)(R11*1)
	MOVUPS X4, (DI)(R11*2)
	MOVUPS X5, 16(DI)(R11*2)
	MOVUPS X6, (DI)(R15*1)
	MOVUPS X7, 16(DI)(R15*1)

	ADDQ $32, DI
	ADDQ $32, DX
	ADDQ $32, R8
	DECQ R12
	JMP  tile

done:
	RET

// func gemm4x16avx(out, a, b, bias *float32, ldo, aRow, aK, ldb, k, ntiles, mode int)
//
// The AVX twin of gemm4x8: 4 rows × 16 columns per tile, eight lanes per
// register, Y0..Y7 accumulators (row r in Y(2r), Y(2r+1)). VMULPS then
// VADDPS, never a fused multiply-add, so each lane follows the same
// recipe as the scalar kernel. Callers check for AVX first.
TEXT ·gemm4x16avx(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ bias+24(FP), R8
	MOVQ ldo+32(FP), R11
	SHLQ $2, R11
	MOVQ aRow+40(FP), R9
	SHLQ $2, R9
	MOVQ aK+48(FP), R14
	SHLQ $2, R14
	MOVQ ldb+56(FP), R10
	SHLQ $2, R10
	MOVQ ntiles+72(FP), R12
	LEAQ (R9)(R9*2), R13
	LEAQ (R11)(R11*2), R15

avxtile:
	TESTQ R12, R12
	JZ    avxdone
	MOVQ  mode+80(FP), AX
	CMPQ  AX, $1
	JNE   avxzero
	VMOVUPS (R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	JMP     avxstart

avxzero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

avxstart:
	MOVQ  SI, AX
	MOVQ  DX, BX
	MOVQ  k+64(FP), CX
	TESTQ CX, CX
	JZ    avxstore

avxloop:
	VMOVUPS (BX), Y8
	VMOVUPS 32(BX), Y9

	VBROADCASTSS (AX), Y10
	VMULPS       Y8, Y10, Y11
	VMULPS       Y9, Y10, Y12
	VADDPS       Y11, Y0, Y0
	VADDPS       Y12, Y1, Y1

	VBROADCASTSS (AX)(R9*1), Y13
	VMULPS       Y8, Y13, Y14
	VMULPS       Y9, Y13, Y15
	VADDPS       Y14, Y2, Y2
	VADDPS       Y15, Y3, Y3

	VBROADCASTSS (AX)(R9*2), Y10
	VMULPS       Y8, Y10, Y11
	VMULPS       Y9, Y10, Y12
	VADDPS       Y11, Y4, Y4
	VADDPS       Y12, Y5, Y5

	VBROADCASTSS (AX)(R13*1), Y13
	VMULPS       Y8, Y13, Y14
	VMULPS       Y9, Y13, Y15
	VADDPS       Y14, Y6, Y6
	VADDPS       Y15, Y7, Y7

	ADDQ R14, AX
	ADDQ R10, BX
	DECQ CX
	JNZ  avxloop

avxstore:
	MOVQ mode+80(FP), AX
	CMPQ AX, $2
	JNE  avxwrite
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VADDPS (DI)(R11*1), Y2, Y2
	VADDPS 32(DI)(R11*1), Y3, Y3
	VADDPS (DI)(R11*2), Y4, Y4
	VADDPS 32(DI)(R11*2), Y5, Y5
	VADDPS (DI)(R15*1), Y6, Y6
	VADDPS 32(DI)(R15*1), Y7, Y7

avxwrite:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R11*1)
	VMOVUPS Y3, 32(DI)(R11*1)
	VMOVUPS Y4, (DI)(R11*2)
	VMOVUPS Y5, 32(DI)(R11*2)
	VMOVUPS Y6, (DI)(R15*1)
	VMOVUPS Y7, 32(DI)(R15*1)

	ADDQ $64, DI
	ADDQ $64, DX
	ADDQ $64, R8
	DECQ R12
	JMP  avxtile

avxdone:
	VZEROUPPER
	RET

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
