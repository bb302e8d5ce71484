// A Web Worker that runs one GOOS=js Go program (a benchmark or a test
// binary) and reports its output, as the lab runs its engine: wasm in a
// worker. The job (postMessage):
//
//   {wasm: "stepbench.wasm", argv: [...], env: {...}, simd: true}
//
// With simd, the SIMD128 kernels (kernels.wasm) are bound to the Go
// instance's memory before go.run (see copsdsimd.js). The reply:
//
//   {code, out, err, simd: <kernels in use>, simdError}
"use strict";
importScripts("wasm_exec.js", "copsdsimd.js");

onmessage = async (e) => {
  const job = e.data;
  const dec = new TextDecoder();
  let out = "", err = "";
  // Capture stdout and stderr instead of the console.
  globalThis.fs.writeSync = (fd, buf) => {
    const s = dec.decode(buf);
    if (fd === 1) out += s; else err += s;
    return buf.length;
  };
  try {
    const go = new Go();
    go.argv = [job.wasm, ...(job.argv || [])];
    go.env = Object.assign({}, job.env || {});
    let code = 0;
    go.exit = (c) => { code = c; };
    const simd = CopsdSIMD.install(go.importObject);
    const [goModule, kernels] = await Promise.all([
      WebAssembly.compileStreaming(fetch(job.wasm)),
      job.simd ? WebAssembly.compileStreaming(fetch("kernels.wasm")).catch((x) => x) : null,
    ]);
    const inst = await WebAssembly.instantiate(goModule, go.importObject);
    let active = false;
    if (job.simd) {
      active = kernels instanceof WebAssembly.Module && (await simd.bind(inst, kernels));
      if (!(kernels instanceof WebAssembly.Module)) simd.error = String(kernels);
    }
    go.env.COPSD_SIMD_ACTIVE = active ? "1" : "0";
    await go.run(inst);
    postMessage({ code, out, err, simd: active, simdError: simd.error || "" });
  } catch (x) {
    postMessage({ code: -1, out, err: err + "\nrunner: " + String((x && x.stack) || x), simd: false, simdError: "" });
  }
};
