// Starts the page: compiles the lab's WebAssembly module once and runs it
// here, where it renders the UI (wasm/page). The page's Web Workers run the
// same module as the engine (wasm/engine); the page hands them this compiled
// copy (self.copsdModule) instead of fetching and compiling it again.
"use strict";
// The service worker (sw.js) keeps the lab working offline after this visit.
// It is registered once the lab runs, so that its copy of the module comes
// from the browser's cache rather than a second download; a browser without
// service workers simply goes without.
function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || location.protocol === "file:") return;
  navigator.serviceWorker.register("sw.js").catch((err) => console.warn("offline use unavailable:", err));
}
(async () => {
  try {
    const module = await WebAssembly.compileStreaming(fetch("lab.wasm"));
    self.copsdModule = module;
    const go = new Go();
    // A module built with the SIMD kernels imports them; the page does not
    // train, so it answers version() 0 and Go keeps its own kernels here.
    const simd = {};
    for (const i of WebAssembly.Module.imports(module)) {
      if (i.module === "copsdsimd") simd[i.name] = i.name === "version" ? () => 0 : () => { throw new Error("no SIMD kernels on the page"); };
    }
    if (Object.keys(simd).length > 0) go.importObject.copsdsimd = simd;
    const instance = await WebAssembly.instantiate(module, go.importObject);
    self.copsdMemory = instance.exports.mem; // the page's WebAssembly memory, for the soak to read
    go.run(instance);
    registerServiceWorker();
  } catch (err) {
    const s = document.getElementById("boot-status");
    if (s) s.textContent = "The lab could not start: " + ((err && err.message) || err);
  }
})();
