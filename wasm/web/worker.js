// An engine Web Worker: one Go instance of its own (wasm/engine), so training
// and evaluation never block the page. The page first sends
// {type: "boot", module, kernels, simd}: the compiled lab module, and, when
// the bundle has them, the compiled SIMD128 kernels and the URL of their
// glue (core/model/simd). Every later message goes to the Go side, which
// installs its own onmessage when it starts (see wasm/engine/worker.go).
"use strict";
importScripts("wasm_exec.js");

const early = [];

// simdImports gives a module built with the copsdsimd tag the imports it
// needs. With the kernels, through their glue; without, a version() of 0,
// on which Go keeps its own kernels (the same bits, slower).
async function simdImports(go, module, kernels, glueURL) {
  const wants = WebAssembly.Module.imports(module).some((i) => i.module === "copsdsimd");
  if (!wants) return { bind: async () => false, error: "" };
  if (kernels && glueURL) {
    try {
      importScripts(glueURL);
      return self.CopsdSIMD.install(go.importObject);
    } catch (err) {
      postMessage({ type: "simd", active: false, error: "the SIMD glue did not load: " + err });
    }
  }
  go.importObject.copsdsimd = stubImports(module);
  return { bind: async () => false, error: "no SIMD kernels in the bundle" };
}

function stubImports(module) {
  const out = {};
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.module !== "copsdsimd") continue;
    out[i.name] = i.name === "version" ? () => 0 : () => { throw new Error("copsdsimd." + i.name + " without kernels"); };
  }
  return out;
}

onmessage = async (e) => {
  if (e.data.type !== "boot") {
    early.push(e);
    return;
  }
  try {
    const { module, kernels, simd } = e.data;
    const go = new Go();
    const glue = await simdImports(go, module, kernels, simd);
    const instance = await WebAssembly.instantiate(module, go.importObject);
    const active = kernels ? await glue.bind(instance, kernels) : false;
    postMessage({ type: "simd", active, error: active ? "" : glue.error || "" });
    go.run(instance).then(() => postMessage({ type: "fatal", error: "the engine stopped" }));
    // main() has replaced onmessage by now; hand it what came early.
    for (const m of early.splice(0)) onmessage(m);
  } catch (err) {
    postMessage({ type: "fatal", error: String((err && err.message) || err) });
  }
};
