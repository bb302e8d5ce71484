// An engine Web Worker: one Go instance of its own (wasm/engine), so training
// and evaluation never block the page. The page first sends
// {type: "boot", module} with the compiled engine; every later message goes
// to the Go side, which installs its own onmessage when it starts (see
// wasm/engine/main.go for the messages).
"use strict";
importScripts("wasm_exec.js");

const early = [];

onmessage = async (e) => {
  if (e.data.type !== "boot") {
    early.push(e);
    return;
  }
  try {
    const go = new Go();
    const instance = await WebAssembly.instantiate(e.data.module, go.importObject);
    go.run(instance).then(() => postMessage({ type: "fatal", error: "the engine stopped" }));
    // main() has replaced onmessage by now; hand it what came early.
    for (const m of early.splice(0)) onmessage(m);
  } catch (err) {
    postMessage({ type: "fatal", error: String((err && err.message) || err) });
  }
};
