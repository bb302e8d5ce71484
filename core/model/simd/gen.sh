#!/bin/sh
# Assembles kernels.wat into kernels.wasm and records the source's hash in
# kernels.wasm.src, which TestCompiledKernelsAreFresh checks. Run by
# `go generate ./...` (make generate). Needs wat2wasm (Debian's wabt) or,
# failing that, wasm-as (Debian's binaryen).
set -eu
cd "$(dirname "$0")"
if command -v wat2wasm >/dev/null 2>&1; then
	wat2wasm --enable-simd kernels.wat -o kernels.wasm.tmp 2>/dev/null || wat2wasm kernels.wat -o kernels.wasm.tmp
	tool="wat2wasm $(wat2wasm --version)"
elif command -v wasm-as >/dev/null 2>&1; then
	wasm-as --enable-simd kernels.wat -o kernels.wasm.tmp
	tool="wasm-as $(wasm-as --version | head -n 1)"
else
	echo "gen.sh: neither wat2wasm (apt-get install wabt) nor wasm-as (apt-get install binaryen) is installed" >&2
	exit 1
fi
mv kernels.wasm.tmp kernels.wasm
{
	echo "sha256 $(sha256sum kernels.wat | cut -d' ' -f1) kernels.wat"
	echo "sha256 $(sha256sum kernels.wasm | cut -d' ' -f1) kernels.wasm"
	echo "assembler $tool"
} > kernels.wasm.src
echo "gen.sh: kernels.wasm ($(wc -c < kernels.wasm) bytes) from kernels.wat with $tool"
