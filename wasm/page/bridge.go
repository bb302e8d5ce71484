//go:build js && wasm

package page

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/vugu/vugu"
	vjs "github.com/vugu/vugu/js"

	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/ui/state"
	"github.com/copsdlab/copsd/wasm/jsawait"
)

// bridge is the page's side of the browser: it implements state.Port and
// ui.Platform over Web Workers, fetch, the URL and downloads. Everything the
// browser calls back with is queued and applied to the lab under the render
// lock by one goroutine (apply), never inside a JS callback, which must not
// block.
type bridge struct {
	env      vugu.EventEnv
	lab      *state.Lab
	inbox    chan queued
	manifest map[string]string

	trainer js.Value
	helpers []js.Value              // the trainer's pool: they compute shards and evaluate
	evals   []js.Value              // the evaluators: the helpers, then the trainer
	lost    []bool                  // per helper: it failed, and its evaluations go to the trainer
	pending map[int]map[int]evalMsg // per evaluator: its evaluations in flight, by request seq
	evalSeq map[int]int             // the trainer's evaluations: request seq → evaluator
	held    []string                // per worker, the trainer last: the snapshots it was last sent
	loading map[string]*modelLoad
	funcs   []js.Func // kept for the page's lifetime
	runs    *runner   // the Reproduce view's whole runs

	renderTook atomic.Int64 // the page's last render, in ns (page.go)
	renderGap  atomic.Int64 // the shortest time between renders of routine callbacks, in ns
	rendered   time.Time    // when apply last asked for a render
	later      bool         // a render of routine callbacks is due (apply's own)
}

// evalMsg is an evaluation in flight, kept to send again if its worker dies.
type evalMsg struct {
	msg   map[string]any
	blobs js.Value
	snap  string // names the snapshots: its job's run, kind and step
}

// modelLoad counts the workers that still have to confirm a model: waiting
// is indexed by worker, the trainer first.
type modelLoad struct {
	waiting []bool
	left    int
	info    lab.ModelInfo
	err     error
}

func newBridge(env vugu.EventEnv) *bridge {
	b := &bridge{env: env, inbox: make(chan queued, 256), loading: map[string]*modelLoad{}}
	b.renderGap.Store(int64(stepRenderGap))
	go b.apply()
	return b
}

// queued is a browser callback's effect on the lab. A routine one (a
// training step's event) may wait a little for its render.
type queued struct {
	f       func()
	routine bool
}

// apply runs queued callbacks under the lock, as many as are waiting before
// one render. While a run trains, steps arrive faster than the eye follows
// the charts, and on a machine with few cores the page's thread shares them
// with the engine workers: a render per step would take from training what
// it gives the charts. So a batch of routine callbacks renders at most once
// per renderGap (longer when the page renders slowly: eight times its
// last render), and one that comes sooner is rendered then, with whatever
// came meanwhile. Everything else (a pause, an evaluation's result, the
// collapse banner, an error) renders at once, and a callback's work (an
// evaluation handed out, a request sent) is never held back, only its
// render.
func (b *bridge) apply() {
	for q := range b.inbox {
		b.env.Lock()
		q.f()
		urgent := !q.routine
		for more := true; more; {
			select {
			case g := <-b.inbox:
				g.f()
				urgent = urgent || !g.routine
			default:
				more = false
			}
		}
		gap := max(time.Duration(b.renderGap.Load()), 8*time.Duration(b.renderTook.Load()))
		if wait := gap - time.Since(b.rendered); urgent || wait <= 0 {
			b.rendered = time.Now()
			b.env.UnlockRender()
			continue
		} else if !b.later {
			b.later = true
			time.AfterFunc(wait, func() { b.inbox <- queued{f: func() { b.later = false }} })
		}
		b.env.UnlockOnly()
	}
}

// stepRenderGap is the shortest time between two renders of training
// steps. sharedRenderGap is that when the engine workers are as many as
// the cores, so that every turn the page's thread takes is taken from
// them: drawing the charts four times a second instead of ten brought the
// default demo's banner with two workers on two cores 7% sooner.
const (
	stepRenderGap   = 100 * time.Millisecond
	sharedRenderGap = 250 * time.Millisecond
)

func (b *bridge) queue(f func()) { b.inbox <- queued{f: f} }

// queueStep queues a training step's event: routine.
func (b *bridge) queueStep(f func()) { b.inbox <- queued{f: f, routine: true} }

func (b *bridge) funcOf(f func(js.Value, []js.Value) any) js.Func {
	fn := js.FuncOf(f)
	b.funcs = append(b.funcs, fn)
	return fn
}

// url maps a logical asset name to its content-hashed name.
func (b *bridge) url(name string) string {
	if h, ok := b.manifest[name]; ok {
		return h
	}
	return name
}

// boot reads the manifest, starts the workers and wires the page's events.
func (b *bridge) boot() {
	g := js.Global()
	b.listen(g.Get("document"), "visibilitychange", func(js.Value) {
		hidden := g.Get("document").Get("hidden").Bool()
		b.queue(func() { b.lab.OnVisibility(hidden) })
	})
	// A board post the network dropped waits (state/outbox.go): it goes
	// again when the browser says it is back online, and, since that event
	// is not told of every recovery (a Wi-Fi that lost its uplink), every
	// half minute while one waits.
	b.listen(g, "online", func(js.Value) { b.queue(b.lab.OnOnline) })
	g.Call("setInterval", b.funcOf(func(js.Value, []js.Value) any {
		b.queue(b.lab.OnOnline)
		return nil
	}), 30000)
	b.listen(g, "hashchange", func(js.Value) {
		h := g.Get("location").Get("hash").String()
		b.queue(func() { b.lab.ApplyHash(h) })
	})
	m, err := fetchJSON[map[string]string](b.url("asset-manifest.json"))
	if err != nil {
		b.queue(func() { b.lab.OnFatal("cannot read the asset manifest: " + err.Error()) })
		return
	}
	b.manifest = m
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	b.queue(func() { b.lab.OnManifest(names) })

	// boot.js compiled the module this page runs; the workers run it too.
	module := g.Get("copsdModule")
	if !module.Truthy() {
		b.queue(func() { b.lab.OnFatal("boot.js did not leave the compiled module (self.copsdModule)") })
		return
	}
	// The SIMD128 kernels (core/model/simd), when the bundle has them: the
	// workers bind them to their Go instance; the same bits, several times
	// faster.
	var kernels js.Value
	glue := ""
	if _, ok := b.manifest["simd/kernels.wasm"]; ok {
		if k, err := jsawait.Await(g.Get("WebAssembly").Call("compileStreaming", g.Call("fetch", b.url("simd/kernels.wasm")))); err == nil {
			kernels, glue = k, b.url("simd/copsdsimd.js")
		}
	}
	boot := map[string]any{"type": "boot", "module": module, "kernels": kernels, "simd": glue}
	b.trainer = b.startWorker(boot, func(typ string, msg js.Value) { b.fromTrainer(typ, msg) }, nil)
	cores := navigatorInt("hardwareConcurrency")
	k := poolSize(cores)
	if cores > 0 && k >= cores {
		b.renderGap.Store(int64(sharedRenderGap))
	}
	for i := range k - 1 {
		h := b.startWorker(boot, func(typ string, msg js.Value) { b.fromEvaluator(i, typ, msg) }, func(why string) { b.helperLost(i, why) })
		b.helpers = append(b.helpers, h)
	}
	b.lost = make([]bool, len(b.helpers))
	b.held = make([]string, len(b.helpers)+1)
	b.pending, b.evalSeq = map[int]map[int]evalMsg{}, map[int]int{}
	if len(b.helpers) > 0 {
		// A MessageChannel per helper: the trainer holds one end of each.
		var ports []any
		for _, h := range b.helpers {
			mc := g.Get("MessageChannel").New()
			ports = append(ports, mc.Get("port1"))
			h.Call("postMessage", map[string]any{"type": "helper", "port": mc.Get("port2")}, []any{mc.Get("port2")})
		}
		b.trainer.Call("postMessage", map[string]any{"type": "pool", "ports": ports}, ports)
	}
	// The trainer is an evaluator too, the last one: it evaluates between
	// its steps. Alone, it does all of it; in a pool, the helpers evaluate
	// while it trains, and it takes its share of the chunks while paused or
	// while it waits for an evaluation (ui/state's dispatch), so that it
	// never waits idle for a helper's evaluation.
	b.evals = append(slices.Clone(b.helpers), b.trainer)
	n := len(b.evals)
	b.queue(func() {
		b.lab.OnBooted(n, k)
		b.runs = newRunner(b)
		b.lab.Repro.Runner = b.runs
	})
}

// poolSize is how many engine Web Workers train (state.PoolSize): the
// link's workers=K, or one per core but one for the page (cores,
// navigator.hardwareConcurrency), within the device's memory.
func poolSize(cores int) int {
	g := js.Global()
	link := 0
	if s, err := state.ParseHash(g.Get("location").Get("hash").String(), state.DefaultSettings()); err == nil {
		link = s.Workers
	}
	return state.PoolSize(link, cores, navigatorNumber("deviceMemory"))
}

// navigatorNumber is navigator[name], or 0 where the browser does not say.
func navigatorNumber(name string) float64 {
	if v := js.Global().Get("navigator").Get(name); v.Type() == js.TypeNumber {
		return v.Float()
	}
	return 0
}

func navigatorInt(name string) int { return int(navigatorNumber(name)) }

// helperLost takes helper i out of the pool: the trainer computes its
// shards, and its evaluation in flight goes to the trainer.
func (b *bridge) helperLost(i int, why string) {
	if b.lost[i] {
		return
	}
	b.lost[i] = true
	b.trainer.Call("postMessage", map[string]any{"type": "lost", "helper": i, "error": why})
	seqs := slices.Sorted(maps.Keys(b.pending[i])) // its evaluations go to the trainer, in order
	for _, seq := range seqs {
		b.toTrainerAsEvaluator(i, b.pending[i][seq])
	}
	delete(b.pending, i)
	b.queue(func() {
		for name, ml := range b.loading { // a load it will not answer
			if i+1 < len(ml.waiting) && ml.waiting[i+1] {
				b.answered(name, ml, i+1)
			}
		}
		b.lab.OnWorkerLost(i+1, why)
		if b.runs != nil {
			b.runs.lost(i+1, why)
		}
	})
}

// startWorker starts an engine Web Worker. A failure is fatal for the
// trainer (lost nil) and only loses a helper (lost says why).
func (b *bridge) startWorker(boot map[string]any, on func(typ string, msg js.Value), lost func(why string)) js.Value {
	w := js.Global().Get("Worker").New(b.url("worker.js"))
	w.Set("onmessage", b.funcOf(func(_ js.Value, args []js.Value) any {
		d := args[0].Get("data")
		on(d.Get("type").String(), d)
		return nil
	}))
	w.Set("onerror", b.funcOf(func(_ js.Value, args []js.Value) any {
		msg := "a worker failed"
		if m := args[0].Get("message"); m.Truthy() {
			msg = m.String()
		}
		if lost != nil {
			lost(msg)
			return nil
		}
		b.queue(func() { b.lab.OnFatal(msg) })
		return nil
	}))
	w.Call("postMessage", boot)
	return w
}

func (b *bridge) fromTrainer(typ string, d js.Value) {
	if typ == "reply" {
		if i, ok := b.evalSeq[d.Get("seq").Int()]; ok { // an evaluation the trainer ran
			delete(b.evalSeq, d.Get("seq").Int())
			b.fromEvaluator(i, typ, d)
			return
		}
	}
	switch typ {
	case "whole-progress", "whole-done", "whole-failed":
		b.runs.fromWorker(0, typ, d)
	case "reply", "event":
		resp, err := decodeResponse(d)
		jobs := jobBlobs(d)
		var probes string
		if p := d.Get("probes"); p.Type() == js.TypeString {
			probes = p.String()
		}
		q := queued{f: func() {
			if err != nil {
				b.lab.OnFatal(err.Error())
				return
			}
			b.lab.OnTrainer(resp, jobs)
			if ev := resp.Step; ev != nil && probes != "" {
				b.lab.OnProbes(ev.RunID, ev.Step, ev.Done, probes)
			}
		}}
		// A step the user asked for (Step) renders at once; the play loop's may wait.
		q.routine = err == nil && state.Routine(resp, false) && (typ == "event" || resp.Step == nil)
		b.inbox <- q
	case "loaded":
		b.loaded(0, d)
	case "simd":
		active, why := d.Get("active").Bool(), d.Get("error").String()
		b.queue(func() { b.lab.OnSIMD(active, why) })
	case "fatal":
		msg := d.Get("error").String()
		b.queue(func() { b.lab.OnFatal(msg) })
	}
}

func (b *bridge) fromEvaluator(i int, typ string, d js.Value) {
	switch typ {
	case "whole-progress", "whole-done", "whole-failed":
		b.runs.fromWorker(i+1, typ, d)
	case "reply":
		delete(b.pending[i], d.Get("seq").Int())
		resp, err := decodeResponse(d)
		b.inbox <- queued{f: func() {
			if err != nil {
				resp = lab.Response{Error: err.Error()}
			}
			b.lab.OnEvaluator(i, resp)
		}, routine: err == nil && state.Routine(resp, true)}
	case "loaded":
		b.loaded(i+1, d)
	case "fatal":
		if i < len(b.helpers) {
			b.helperLost(i, d.Get("error").String())
		}
	}
}

func decodeResponse(d js.Value) (lab.Response, error) {
	var r lab.Response
	if err := json.Unmarshal([]byte(d.Get("json").String()), &r); err != nil {
		return r, fmt.Errorf("a worker's message could not be read: %v", err)
	}
	return r, nil
}

// jobBlobs are the snapshot arrays of a message's jobs, kept as JS values:
// they go to an evaluator untouched.
func jobBlobs(d js.Value) []state.Blobs {
	j := d.Get("jobs")
	if !j.Truthy() {
		return nil
	}
	out := make([]state.Blobs, j.Length())
	for i := range out {
		out[i] = j.Index(i)
	}
	return out
}

// Trainer implements state.Port.
func (b *bridge) Trainer(req lab.Request) {
	if b.trainer.IsUndefined() {
		return
	}
	js, _ := json.Marshal(req)
	b.trainer.Call("postMessage", map[string]any{"type": "call", "seq": req.Seq, "json": string(js)})
}

// Evaluator implements state.Port. The snapshots are copied, not moved,
// so that the job can go to the trainer if its helper dies meanwhile.
func (b *bridge) Evaluator(i int, req lab.Request, blobs state.Blobs) {
	if i < 0 || i >= len(b.evals) {
		return
	}
	msg, _ := json.Marshal(req)
	arr, _ := blobs.(js.Value)
	if !arr.Truthy() {
		arr = js.Global().Get("Array").New()
	}
	m := evalMsg{msg: map[string]any{"type": "call", "seq": req.Seq, "json": string(msg)}, blobs: arr}
	if j := req.Job; j != nil {
		m.snap = fmt.Sprintf("run %d's %s of step %d", j.RunID, j.Kind, j.Step)
	}
	if i >= len(b.helpers) || b.lost[i] {
		b.toTrainerAsEvaluator(i, m)
		return
	}
	if b.pending[i] == nil {
		b.pending[i] = map[int]evalMsg{}
	}
	b.pending[i][req.Seq] = m
	b.post(i, m)
}

// toTrainerAsEvaluator has the trainer run evaluator i's job between its
// steps; its answer goes back to evaluator i's handler.
func (b *bridge) toTrainerAsEvaluator(i int, m evalMsg) {
	b.evalSeq[m.msg["seq"].(int)] = i
	b.post(len(b.helpers), m)
}

// post sends an evaluation to worker w (the trainer is len(b.helpers)).
// Its snapshots are copied, not moved (the other chunks of the evaluation
// and a resend share them), and only once per worker: copying a step's
// weights into a worker takes the page's thread about 10 ms, and an
// evaluation has up to a few dozen chunks. A worker keeps the snapshots it
// was last sent, under their key, for the chunks that follow.
func (b *bridge) post(w int, m evalMsg) {
	msg := maps.Clone(m.msg)
	if m.snap != "" {
		msg["snap"] = m.snap
	}
	if m.snap == "" || b.held[w] != m.snap {
		msg["blobs"] = m.blobs
		b.held[w] = m.snap
	}
	b.evals[w].Call("postMessage", msg)
}

// LoadModel implements state.Port: fetch once, load into every worker.
func (b *bridge) LoadModel(name string) {
	go func() {
		buf, err := jsawait.Await(js.Global().Call("fetch", b.url("models/"+name+".ckpt")))
		if err == nil && !buf.Get("ok").Bool() {
			err = fmt.Errorf("HTTP %d", buf.Get("status").Int())
		}
		if err == nil {
			buf, err = jsawait.Await(buf.Call("arrayBuffer"))
		}
		if err != nil {
			b.queue(func() {
				b.lab.OnModelLoaded(name, lab.ModelInfo{}, err)
				if b.runs != nil {
					b.runs.onModel(name, err)
				}
			})
			return
		}
		workers := append([]js.Value{b.trainer}, b.helpers...)
		b.queue(func() {
			ml := &modelLoad{waiting: make([]bool, len(workers))}
			b.loading[name] = ml
			for i, w := range workers {
				if i > 0 && b.lost[i-1] {
					continue
				}
				ml.waiting[i] = true
				ml.left++
				w.Call("postMessage", map[string]any{"type": "load", "name": name, "bytes": buf})
			}
		})
	}()
}

// loaded counts worker w's answer to a model load; the lab hears once all
// workers have answered.
func (b *bridge) loaded(w int, d js.Value) {
	name, text := d.Get("name").String(), d.Get("json").String()
	b.queue(func() {
		ml := b.loading[name]
		if ml == nil || w >= len(ml.waiting) || !ml.waiting[w] {
			return
		}
		var e struct{ Error string }
		json.Unmarshal([]byte(text), &e)
		var info lab.ModelInfo
		err := json.Unmarshal([]byte(text), &info)
		switch {
		case e.Error != "":
			err = errors.New(e.Error)
		case err != nil:
			err = fmt.Errorf("a worker's model info could not be read: %v", err)
		}
		if err != nil && ml.err == nil {
			ml.err = err
		}
		if err == nil {
			ml.info = info
		}
		b.answered(name, ml, w)
	})
}

// answered files worker w's answer (or its loss) to a model load.
func (b *bridge) answered(name string, ml *modelLoad, w int) {
	ml.waiting[w] = false
	ml.left--
	if ml.left == 0 {
		delete(b.loading, name)
		b.lab.OnModelLoaded(name, ml.info, ml.err)
		if b.runs != nil {
			b.runs.onModel(name, ml.err)
		}
	}
}

// FetchExample implements state.Port.
func (b *bridge) FetchExample(name string) {
	go func() {
		text, err := fetchText(b.url(name))
		b.queue(func() { b.lab.OnExample(name, []byte(text), err) })
	}()
}

// SetHash implements state.Port without adding history entries.
func (b *bridge) SetHash(h string) {
	g := js.Global()
	if g.Get("location").Get("hash").String() == "#"+h {
		return
	}
	g.Get("history").Call("replaceState", nil, "", "#"+h)
}

// Download implements state.Port.
func (b *bridge) Download(name, mime string, data []byte) {
	g := js.Global()
	u := g.Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u, data)
	blob := g.Get("Blob").New([]any{u}, map[string]any{"type": mime})
	b.offer(name, blob)
}

// DownloadSVG implements state.Port: the chart's markup as a file (its
// colours are attributes, so it stands alone).
func (b *bridge) DownloadSVG(testid, name string) {
	g := js.Global()
	el := g.Get("document").Call("querySelector", fmt.Sprintf("[data-testid=%q]", testid))
	if !el.Truthy() {
		return
	}
	text := g.Get("XMLSerializer").New().Call("serializeToString", el).String()
	blob := g.Get("Blob").New([]any{`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + text}, map[string]any{"type": "image/svg+xml"})
	b.offer(name, blob)
}

func (b *bridge) offer(name string, blob js.Value) {
	g := js.Global()
	href := g.Get("URL").Call("createObjectURL", blob)
	a := g.Get("document").Call("createElement", "a")
	a.Set("href", href)
	a.Set("download", name)
	a.Get("style").Set("display", "none")
	g.Get("document").Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	go func() {
		time.Sleep(time.Minute)
		g.Get("URL").Call("revokeObjectURL", href)
	}()
}

// Board implements state.Port: a fetch on the page's origin, given up
// after boardTimeout. The status and body go to the lab whatever the
// status; only a request that got no answer is an error.
func (b *bridge) Board(req state.BoardRequest) {
	go func() {
		g := js.Global()
		headers := map[string]any{"Accept": "application/json"}
		init := map[string]any{"method": req.Method, "headers": headers, "cache": "no-store", "credentials": "same-origin"}
		if req.Body != nil {
			headers["Content-Type"] = "application/json"
			init["body"] = string(req.Body)
		}
		if req.Key != "" {
			headers["Authorization"] = "Bearer " + req.Key
		}
		if as := g.Get("AbortSignal"); as.Truthy() && as.Get("timeout").Truthy() {
			init["signal"] = as.Call("timeout", boardTimeout.Milliseconds())
		}
		resp := state.BoardResponse{Seq: req.Seq}
		r, err := jsawait.Await(g.Call("fetch", req.Path, init))
		if err == nil {
			resp.Status = r.Get("status").Int()
			var text js.Value
			if text, err = jsawait.Await(r.Call("text")); err == nil {
				resp.Body = []byte(text.String())
			}
		}
		resp.Err = err
		b.queue(func() { b.lab.OnBoard(resp) })
	}()
}

// boardTimeout bounds a request to the class board.
const boardTimeout = 20 * time.Second

// ReadFile implements ui.Platform.
func (b *bridge) ReadFile(input vjs.Value, done func(name string, data []byte, err error)) {
	files := js.Value(input).Get("files")
	if !files.Truthy() || files.Length() == 0 {
		return
	}
	f := files.Index(0)
	name := f.Get("name").String()
	js.Value(input).Set("value", "") // choosing the same file again fires change again
	if size := f.Get("size").Int(); size > 8<<20 {
		b.queue(func() {
			done(name, nil, fmt.Errorf("the file is %d MB; a run JSON or a suite's bundle is far smaller", size>>20))
		})
		return
	}
	go func() {
		// The file's bytes as they are (a bundle is binary), not text.
		buf, err := jsawait.Await(f.Call("arrayBuffer"))
		var data []byte
		if err == nil {
			arr := js.Global().Get("Uint8Array").New(buf)
			data = make([]byte, arr.Length())
			js.CopyBytesToGo(data, arr)
		}
		b.queue(func() { done(name, data, err) })
	}()
}

// CopyText implements ui.Platform.
func (b *bridge) CopyText(text string) {
	if c := js.Global().Get("navigator").Get("clipboard"); c.Truthy() {
		c.Call("writeText", text)
	}
}

func (b *bridge) listen(target js.Value, event string, f func(js.Value)) {
	target.Call("addEventListener", event, b.funcOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		return nil
	}))
}

func fetchText(url string) (string, error) {
	r, err := jsawait.Await(js.Global().Call("fetch", url))
	if err != nil {
		return "", err
	}
	if !r.Get("ok").Bool() {
		return "", fmt.Errorf("%s: HTTP %d", url, r.Get("status").Int())
	}
	t, err := jsawait.Await(r.Call("text"))
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

func fetchJSON[T any](url string) (T, error) {
	var v T
	text, err := fetchText(url)
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal([]byte(text), &v)
}
