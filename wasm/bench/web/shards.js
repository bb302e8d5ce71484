// A Web Worker that holds one replica of the sharded reference OPSD step
// (shardbench.wasm, with the SIMD128 kernels bound when asked), for the
// page's runShards. Messages in:
//
//   {cmd: "boot", wasm, argv, simd}  -> {type: "ready", shards, simd} or {type: "error", err}
//   {cmd: "step", step, shards: [s, ...]} -> {type: "grad", shard, buf, div, ms} per shard (buf transferred; ms: the shard's compute)
//   {cmd: "apply", grads: [buf, ...], keep} -> {type: "applied", err, ms, back: [buf, ...]}
//
// The gradients' buffers come back: a worker keeps keep of those it was
// sent, to send its next shards' gradients in, and returns the rest to the
// page, for its copies (a fresh buffer of a gradient's size costs
// milliseconds of page faults where memory is slow to map).
//   {cmd: "hash"}                      -> {type: "hash", hash}
"use strict";
importScripts("wasm_exec.js", "copsdsimd.js");

let logs = "";
const spare = [];
const dec = new TextDecoder();
globalThis.fs.writeSync = (fd, buf) => { logs += dec.decode(buf); return buf.length; };

onmessage = async (e) => {
  const m = e.data;
  try {
    switch (m.cmd) {
    case "boot": {
      const go = new Go();
      go.argv = [m.wasm, ...(m.argv || [])];
      go.exit = (code) => postMessage({ type: "error", err: "shardbench exited with code " + code + ": " + logs });
      const simd = CopsdSIMD.install(go.importObject);
      const [goModule, kernels] = await Promise.all([
        WebAssembly.compileStreaming(fetch(m.wasm)),
        m.simd ? WebAssembly.compileStreaming(fetch("kernels.wasm")) : null,
      ]);
      const inst = await WebAssembly.instantiate(goModule, go.importObject);
      const active = m.simd ? await simd.bind(inst, kernels) : false;
      globalThis.shardReady = (n) => postMessage({ type: "ready", shards: n, simd: active, simdError: simd.error || "" });
      go.run(inst).catch((x) => postMessage({ type: "error", err: String((x && x.stack) || x) + logs }));
      break;
    }
    case "step":
      for (const s of m.shards) {
        const t = performance.now();
        const r = shardDo(m.step, s, spare.pop());
        postMessage({ type: "grad", shard: s, buf: r.buf, div: r.div, ms: performance.now() - t }, [r.buf]);
      }
      break;
    case "apply":
      {
        const t = performance.now();
        const err = shardApply(m.grads);
        const ms = performance.now() - t;
        spare.push(...m.grads);
        const back = spare.splice(m.keep);
        postMessage({ type: "applied", err, ms, back }, back);
      }
      break;
    case "hash":
      postMessage({ type: "hash", hash: shardHash() });
      break;
    }
  } catch (x) {
    postMessage({ type: "error", err: String((x && x.stack) || x) + logs });
  }
};
