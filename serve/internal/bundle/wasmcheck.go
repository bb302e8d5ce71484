package bundle

import (
	"bytes"
	"errors"
	"fmt"
)

// wasm_exec.js and the wasm binaries it runs must come from the same Go release: the glue's
// import object changes between releases and a mismatch fails at run time in the browser with
// errors that do not name the cause. Go records its version in the module's standard
// "producers" custom section (language: Go go1.26.8), which the bundler checks.

var errNotWasm = errors.New("not a WebAssembly module (no \\0asm header)")

// wasmGoVersion returns the Go version recorded in a wasm module's producers section, or "" if the
// module records none (not built by Go, or the section was stripped).
func wasmGoVersion(module []byte) (string, error) {
	if len(module) < 8 || !bytes.Equal(module[:4], []byte("\x00asm")) {
		return "", errNotWasm
	}
	p := module[8:]
	for len(p) > 0 {
		id := p[0]
		size, n := uleb128(p[1:])
		if n == 0 || size > uint64(len(p)-1-n) {
			return "", errors.New("truncated wasm section")
		}
		body := p[1+n : 1+n+int(size)]
		p = p[1+n+int(size):]
		if id != 0 { // only custom sections matter
			continue
		}
		r := wasmReader{b: body}
		if r.name() != "producers" || r.err != nil {
			continue
		}
		for fields := r.uint(); fields > 0 && r.err == nil; fields-- {
			field := r.name()
			for values := r.uint(); values > 0 && r.err == nil; values-- {
				name, version := r.name(), r.name()
				if r.err == nil && field == "language" && name == "Go" {
					return version, nil
				}
			}
		}
		if r.err != nil {
			return "", fmt.Errorf("producers section: %w", r.err)
		}
	}
	return "", nil
}

// uleb128 decodes an unsigned LEB128 number, returning it and the bytes read (0 on error).
func uleb128(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

type wasmReader struct {
	b   []byte
	err error
}

func (r *wasmReader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := uleb128(r.b)
	if n == 0 {
		r.err = errors.New("bad LEB128 number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wasmReader) name() string {
	n := r.uint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("truncated name")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
