// The engine's Web Worker: a Go wasm instance of its own, so training and
// sampling never block the page. Messages in: {id, req} where req is a
// lab.Request; messages out: {type: "ready"|"error"|"reply", ...}.
importScripts("wasm_exec.js");

async function boot() {
  const manifest = await (await fetch("asset-manifest.json")).json();
  const url = (name) => manifest[name] || name;
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url("engine.wasm")), go.importObject);
  go.run(instance);
  const models = [];
  for (const name of ["base-rho50", "base-rho0"]) {
    const res = await fetch(url("models/" + name + ".ckpt"));
    if (!res.ok) throw new Error("model " + name + ": HTTP " + res.status);
    const info = JSON.parse(self.copsd.load(name, new Uint8Array(await res.arrayBuffer())));
    if (info.error) throw new Error(info.error);
    models.push(info);
  }
  return models;
}

const ready = boot();
ready.then(
  (models) => postMessage({ type: "ready", models }),
  (err) => postMessage({ type: "error", error: String(err && err.message || err) }),
);

onmessage = async (e) => {
  await ready;
  const { id, req } = e.data;
  postMessage({ type: "reply", id, data: JSON.parse(self.copsd.call(JSON.stringify(req))) });
};
