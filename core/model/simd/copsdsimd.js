// Glue between a Go program built with -tags copsdsimd (GOOS=js) and the
// SIMD128 kernels in kernels.wasm. Works in a Web Worker, a page and Node.
//
// The kernel module imports its memory, and that memory is the Go
// instance's own (exports.mem), which exists only once Go is instantiated;
// but Go's instantiation needs the kernels' functions among its imports.
// So the functions handed to Go are trampolines that forward to the kernel
// instance created between Go's instantiation and go.run:
//
//   const go = new Go();
//   const simd = CopsdSIMD.install(go.importObject);   // 1. before Go's instantiation
//   const inst = await WebAssembly.instantiate(goModule, go.importObject);
//   await simd.bind(inst, kernelsModuleOrBytes);       // 2. before go.run
//   go.run(inst);                                       // 3. Go's init sees the kernels
//
// If bind is skipped or fails (no SIMD support, a fetch error), version()
// answers 0 and the Go side keeps its pure-Go kernels: same results, slower.
"use strict";
(function (root) {
  const ABI = 5;
  function install(importObject) {
    let k = null;
    importObject.copsdsimd = {
      version: () => (k === null ? 0 : k.version()),
      gemm: (out, a, b, bias, ldo, aRow, aK, ldb, m, n, kk, mode, pack) =>
        k.gemm(out, a, b, bias, ldo, aRow, aK, ldb, m, n, kk, mode, pack),
      dots: (out, q, kp, stride, n, len) => k.dots(out, q, kp, stride, n, len),
      gelu: (out, th, inp, n) => k.gelu(out, th, inp, n),
      softmax: (row, n, scale) => k.softmax(row, n, scale),
      layernorm: (out, mean, rstd, inp, w, b, n, c) => k.layernorm(out, mean, rstd, inp, w, b, n, c),
      gelub: (dinp, inp, th, dout, n) => k.gelub(dinp, inp, th, dout, n),
      colsum: (dst, src, n, c) => k.colsum(dst, src, n, c),
      lnwb: (dw, db, dout, inp, mean, rstd, n, c) => k.lnwb(dw, db, dout, inp, mean, rstd, n, c),
      probs: (dst, logits, n, mx, invTemp) => k.probs(dst, logits, n, mx, invTemp),
    };
    return {
      // bind instantiates the kernels over the Go instance's memory. kernels is
      // a WebAssembly.Module or the bytes of kernels.wasm. It resolves to true
      // when the kernels are in use, false (with the reason in .error) if not.
      async bind(goInstance, kernels) {
        try {
          const imports = { env: { memory: goInstance.exports.mem } };
          const r = await WebAssembly.instantiate(kernels, imports);
          const inst = r instanceof WebAssembly.Instance ? r : r.instance;
          if (inst.exports.version() !== ABI) throw new Error("kernels ABI " + inst.exports.version() + ", want " + ABI);
          k = inst.exports;
          return true;
        } catch (err) {
          this.error = String((err && err.message) || err);
          k = null;
          return false;
        }
      },
      get active() { return k !== null; },
      error: "",
    };
  }
  const api = { install, ABI };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.CopsdSIMD = api;
})(typeof globalThis !== "undefined" ? globalThis : self);
