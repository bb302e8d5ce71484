// The page's script: it only renders and sends commands to the engine worker.
"use strict";

const $ = (id) => document.getElementById(id);
const worker = new Worker("worker.js");
let nextID = 1;
const pending = new Map();
const t0 = performance.now();

function call(req) {
  return new Promise((resolve) => {
    const id = nextID++;
    pending.set(id, resolve);
    worker.postMessage({ id, req });
  });
}

worker.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "error") { $("status").textContent = "the engine failed to start: " + m.error; return; }
  if (m.type === "reply") { const r = pending.get(m.id); pending.delete(m.id); r && r(m.data); return; }
  if (m.type === "ready") {
    for (const mi of m.models) {
      const o = new Option(`${mi.name} (rho ${mi.rho}, ${mi.params.toLocaleString()} params)`, mi.name);
      $("model").add(o);
    }
    const info = (await call({ op: "info" })).info;
    for (const p of info.presets) $("preset").add(new Option(`${p.name} — ${p.about}`, p.name));
    $("constitution").value = info.presets[0].text;
    for (const p of info.eval_prompts) $("prompt").add(new Option(p, p));
    $("sample").disabled = false;
    $("status").textContent = `engine ready in ${Math.round(performance.now() - t0)} ms`;
  }
};

$("preset").addEventListener("change", async () => {
  const info = (await call({ op: "info" })).info;
  const p = info.presets.find((x) => x.name === $("preset").value);
  if (p) $("constitution").value = p.text;
});

$("sample").addEventListener("click", async () => {
  $("sample").disabled = true;
  $("status").textContent = "sampling…";
  const start = performance.now();
  const r = await call({ op: "sample", model: $("model").value, constitution: $("constitution").value, prompt: $("prompt").value, n: 4, seed: Date.now() % 100000 });
  $("sample").disabled = false;
  $("error").hidden = !r.error;
  $("error").textContent = r.error || "";
  $("samples").replaceChildren();
  if (r.error) { $("status").textContent = ""; return; }
  $("status").textContent = `4 answers in ${Math.round(performance.now() - start)} ms`;
  for (const s of r.samples) {
    const li = document.createElement("li");
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = s.response;
    li.append(text);
    const badge = (label, cls) => { const b = document.createElement("span"); b.className = "badge " + cls; b.textContent = label; li.append(b); };
    badge(`${s.tokens} tokens`, "");
    badge(`entropy ${s.entropy.toFixed(2)}`, "");
    const v = s.verdict;
    if (v) {
      if (v.refused) badge("refused", "");
      if (v.complied) badge("complied (unsafe)", "bad");
      if (v.safe) badge("safe", "good");
      if (v.helpful) badge("helpful", "good");
      if (v.correct) badge("correct", "good");
    }
    $("samples").append(li);
  }
});
