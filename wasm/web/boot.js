// Starts the page: compiles the lab's WebAssembly module once and runs it
// here, where it renders the UI (wasm/page). The page's Web Workers run the
// same module as the engine (wasm/engine); the page hands them this compiled
// copy (self.copsdModule) instead of fetching and compiling it again.
"use strict";
(async () => {
  try {
    const module = await WebAssembly.compileStreaming(fetch("lab.wasm"));
    self.copsdModule = module;
    const go = new Go();
    const instance = await WebAssembly.instantiate(module, go.importObject);
    go.run(instance);
  } catch (err) {
    const s = document.getElementById("boot-status");
    if (s) s.textContent = "The lab could not start: " + ((err && err.message) || err);
  }
})();
