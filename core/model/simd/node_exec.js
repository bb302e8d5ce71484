// Runs a GOOS=js GOARCH=wasm program under Node with the SIMD kernels bound,
// like Go's own lib/wasm/wasm_exec_node.js otherwise:
//
//   node node_exec.js prog.wasm [args...]
//
// COPSD_SIMD=0 in the environment leaves the kernels out (the Go fallback).
// go_js_wasm_exec beside this file wraps it for `go test -exec`.
"use strict";

const path = require("path");
if (process.argv.length < 3) {
  console.error("usage: node node_exec.js prog.wasm [args...]");
  process.exit(1);
}
globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = path;
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("performance");
globalThis.crypto ??= require("crypto");

const goroot = process.env.GOROOT || require("child_process").execSync("go env GOROOT").toString().trim();
require(path.join(goroot, "lib", "wasm", "wasm_exec.js"));
const { install } = require("./copsdsimd.js");

(async () => {
  const go = new Go();
  go.argv = process.argv.slice(2);
  go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
  go.exit = process.exit;
  const simd = install(go.importObject);
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject);
  if (process.env.COPSD_SIMD !== "0") {
    if (!(await simd.bind(instance, fs.readFileSync(path.join(__dirname, "kernels.wasm"))))) {
      console.error("copsdsimd: kernels not loaded: " + simd.error);
    }
  }
  process.on("exit", (code) => {
    if (code === 0 && !go.exited) {
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  await go.run(instance);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
