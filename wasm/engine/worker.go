//go:build js && wasm

package engine

import (
	"encoding/json"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/copsdlab/copsd/core/lab"
)

type worker struct {
	mu       sync.Mutex // held while the engine computes; never while waiting
	d        *lab.Driver
	wake     chan struct{}
	poolWake chan struct{} // a helper answered the trainer
	self     js.Value
	turn     *turn
	ports    []js.Value // the trainer's: one MessagePort per helper

	wholeTurn *turn        // a whole run's turns of the event loop
	aborted   map[int]bool // whole runs the page abandoned

	snapKey string   // the weight snapshots last sent with a "snap" key
	snap    [][]byte // and the snapshots themselves
	spare   spares   // pool buffers to send again

	// A helper evaluates on its own goroutine (evalLoop), which gives the
	// event loop a turn every evalSlice, so that the trainer's shard works
	// wait for a slice of an evaluation, not the whole job.
	evalQueue []evalCall
	evalWake  chan struct{}
	evalTurn  *turn
	sliceEnd  time.Time
}

// evalCall is an evaluation job waiting for a helper's evalLoop.
type evalCall struct {
	seq int
	req lab.Request
}

// evalSlice is how long a helper's evaluation runs before the event loop
// gets a turn: a shard work that comes meanwhile waits about this long
// (plus one decoding step or scoring pass) instead of a whole job.
const evalSlice = 5 * time.Millisecond

// Run serves the lab's protocol in a Web Worker (wasm/web/worker.js). The
// trainer and the evaluators are the same program, told apart only by what
// the page asks of them. Messages in (event.data):
//
//	{type: "load", seq, name, bytes: ArrayBuffer}   load a checkpoint
//	{type: "call", seq, json, blobs: [ArrayBuffer]} a lab.Request (and its Blobs)
//	{type: "call", seq, json, snap[, blobs]}        an evaluation: with blobs, its
//	                                                snapshots, kept under the key snap;
//	                                                without, the ones kept under snap
//	{type: "pool", ports: [MessagePort]}            the trainer's helpers (lab.Pool)
//	{type: "helper", port: MessagePort}             a helper's line to the trainer
//	{type: "lost", helper, error}                   the trainer's helper failed
//	{type: "whole", id, json}                       a whole run (lab.RunSpec), to its report
//	{type: "abort", id}                             abandon whole run id
//
// On the pool's ports travel lab.PoolMsg messages, {type, json, bufs:
// [ArrayBuffer]}, their buffers transferred.
//
// Messages out:
//
//	{type: "ready"}                                 the engine is listening
//	{type: "loaded", seq, name, json}               a lab.ModelInfo, or {"error": ...}
//	{type: "reply", seq, json, jobs: [[ArrayBuffer]]} a lab.Response and its Jobs' Blobs
//	{type: "event", json, jobs}                     a lab.Response the play loop produced
//	{type: "whole-progress", id, step[, evals]}     a whole run trained step steps
//	                                                (evals: its new evaluations, JSON)
//	{type: "whole-done", id, json}                  its report, as copsd run -json writes it
//	{type: "whole-failed", id, error}               it failed (or, error "stopped", was abandoned)
//
// All logic lives in core/lab; this file only crosses the JS boundary and
// runs the play loop, which yields to the browser's event loop after every
// phase of a step (lab.Driver.Tick) so that a Pause is handled within a
// phase, not a whole step. Run never returns.
func Run() {
	w := &worker{d: lab.NewDriver(), wake: make(chan struct{}, 1), poolWake: make(chan struct{}, 1), self: js.Global(), turn: newTurn(),
		wholeTurn: newTurn(), aborted: map[int]bool{}}
	w.d.KeepUp = true          // the page files every evaluation
	w.d.HelpersEvaluate = true // the page hands a pool's helpers evaluation chunks
	w.self.Set("onmessage", js.FuncOf(w.onMessage))
	w.post(map[string]any{"type": "ready"}, nil)
	w.loop()
}

// onMessage handles one message from the page. It runs inside the browser's
// event loop, so it never waits: it computes and answers.
func (w *worker) onMessage(this js.Value, args []js.Value) any {
	data := args[0].Get("data")
	seq := 0
	if v := data.Get("seq"); v.Type() == js.TypeNumber {
		seq = v.Int()
	}
	switch data.Get("type").String() {
	case "load":
		w.mu.Lock()
		info, err := w.d.E.Load(data.Get("name").String(), bytesOf(data.Get("bytes")))
		w.mu.Unlock()
		var out []byte
		if err != nil {
			out, _ = json.Marshal(map[string]string{"error": err.Error()})
		} else {
			out, _ = json.Marshal(info)
		}
		w.post(map[string]any{"type": "loaded", "seq": seq, "name": data.Get("name").String(), "json": string(out)}, nil)
	case "call":
		w.call(seq, data)
	case "whole":
		var spec lab.RunSpec
		if err := json.Unmarshal([]byte(data.Get("json").String()), &spec); err != nil {
			w.post(map[string]any{"type": "whole-failed", "id": data.Get("id").Int(), "error": "bad run: " + err.Error()}, nil)
			break
		}
		spec.ID = data.Get("id").Int()
		go w.runWhole(spec)
	case "abort":
		w.aborted[data.Get("id").Int()] = true
	case "pool":
		w.startPool(data.Get("ports"))
	case "helper":
		w.serveHelper(data.Get("port"))
	case "lost":
		w.mu.Lock()
		if p := w.d.E.Pool; p != nil {
			p.Drop(data.Get("helper").Int(), data.Get("error").String())
		}
		w.mu.Unlock()
		signal(w.poolWake)
	default:
		w.send("reply", seq, lab.Response{Error: "unknown message type " + data.Get("type").String()})
	}
	return nil
}

// call answers a lab.Request: at once, or, for a helper's evaluation, once
// its evalLoop has run it.
func (w *worker) call(seq int, data js.Value) {
	blobs, err := w.blobsOf(data)
	var req lab.Request
	if err == nil {
		req, err = lab.DecodeRequest([]byte(data.Get("json").String()))
	}
	if err != nil {
		w.send("reply", seq, lab.Response{Seq: seq, Error: err.Error()})
		return
	}
	req.Blobs = blobs
	if w.evalWake != nil && req.Op == lab.OpEvaluate {
		w.mu.Lock()
		w.evalQueue = append(w.evalQueue, evalCall{seq, req})
		w.mu.Unlock()
		signal(w.evalWake)
		return
	}
	w.mu.Lock()
	resp := w.d.Handle(req)
	playing := w.d.Playing()
	w.mu.Unlock()
	if playing {
		signal(w.wake)
	}
	w.send("reply", seq, resp)
}

// startPool makes this worker the trainer of a pool whose helpers answer
// on ports.
func (w *worker) startPool(ports js.Value) {
	w.ports = nil
	for i := range ports.Length() {
		w.ports = append(w.ports, ports.Index(i))
	}
	w.mu.Lock()
	w.d.E.Pool = lab.NewPool(len(w.ports), func(h int, m lab.PoolMsg) { w.postPool(w.ports[h], m) })
	w.mu.Unlock()
	for i, port := range w.ports {
		port.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
			m := w.poolMsgOf(args[0].Get("data"))
			w.mu.Lock()
			w.d.E.Pool.Deliver(i, m)
			w.mu.Unlock()
			signal(w.poolWake)
			return nil
		}))
	}
}

// serveHelper makes this worker a helper: it answers the trainer's pool
// messages on port, each as it comes, and evaluates between them.
func (w *worker) serveHelper(port js.Value) {
	if w.evalWake == nil {
		w.evalWake, w.evalTurn = make(chan struct{}, 1), newTurn()
		w.d.E.Yield = w.yieldEval
		go w.evalLoop()
	}
	port.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		m := w.poolMsgOf(args[0].Get("data"))
		w.mu.Lock()
		out := w.d.E.PoolMessage(m)
		w.mu.Unlock()
		if out != nil {
			w.postPool(port, *out)
		}
		return nil
	}))
}

// poolMsgOf reads a pool message; its buffers, once copied out, are kept
// for postPool to send again.
func (w *worker) poolMsgOf(d js.Value) lab.PoolMsg {
	m := lab.PoolMsg{Type: d.Get("type").String(), JSON: []byte(d.Get("json").String())}
	if b := d.Get("bufs"); b.Truthy() {
		for i := range b.Length() {
			buf := b.Index(i)
			m.Bufs = append(m.Bufs, bytesOf(buf))
			w.spare.put(buf)
		}
	}
	return m
}

// postPool posts m on port, moving its buffers.
func (w *worker) postPool(port js.Value, m lab.PoolMsg) {
	bufs := make([]any, len(m.Bufs))
	for i, b := range m.Bufs {
		u := js.Global().Get("Uint8Array").New(w.spare.get(len(b)))
		js.CopyBytesToJS(u, b)
		bufs[i] = u.Get("buffer")
	}
	port.Call("postMessage", map[string]any{"type": m.Type, "json": string(m.JSON), "bufs": bufs}, bufs)
}

// spares are ArrayBuffers that came in moved and were copied out, by size.
// A step's gradient goes one way and its reduced sum the other, each the
// size of the model's parameters: sending in a buffer that came in saves
// allocating a fresh one each time, which costs milliseconds of page faults
// where memory is slow to map (each step sends two or more).
type spares struct {
	mu   sync.Mutex
	free map[int][]js.Value
}

// spareKeep bounds the buffers kept of one size.
const spareKeep = 4

func (s *spares) put(buf js.Value) {
	if !buf.InstanceOf(js.Global().Get("ArrayBuffer")) {
		return
	}
	n := buf.Get("byteLength").Int()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free == nil {
		s.free = map[int][]js.Value{}
	}
	if len(s.free[n]) < spareKeep {
		s.free[n] = append(s.free[n], buf)
	}
}

// get is an ArrayBuffer of n bytes: a spare one, or a new one.
func (s *spares) get(n int) js.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := len(s.free[n]); k > 0 {
		buf := s.free[n][k-1]
		s.free[n] = s.free[n][:k-1]
		return buf
	}
	return js.Global().Get("ArrayBuffer").New(n)
}

// evalLoop runs a helper's evaluation jobs in order. It holds the engine
// only between its turns (yieldEval), when the pool's messages are
// answered.
func (w *worker) evalLoop() {
	for range w.evalWake {
		for {
			w.mu.Lock()
			if len(w.evalQueue) == 0 {
				w.mu.Unlock()
				break
			}
			c := w.evalQueue[0]
			w.evalQueue = w.evalQueue[1:]
			w.sliceEnd = time.Now().Add(evalSlice)
			resp := w.d.Handle(c.req)
			w.mu.Unlock()
			w.send("reply", c.seq, resp)
		}
	}
}

// yieldEval is the engine's Yield on a helper: called with the engine held
// during an evaluation, it lets the event loop answer what came meanwhile
// (a shard work above all) once per evalSlice.
func (w *worker) yieldEval() {
	if time.Now().Before(w.sliceEnd) {
		return
	}
	w.mu.Unlock()
	w.evalTurn.take()
	w.mu.Lock()
	w.sliceEnd = time.Now().Add(evalSlice)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// loop plays: one step, post it, give the event loop a turn, again.
func (w *worker) loop() {
	for {
		w.mu.Lock()
		playing := w.d.Playing()
		w.mu.Unlock()
		if !playing {
			<-w.wake
			continue
		}
		w.mu.Lock()
		waiting := w.d.WaitingOnPool()
		w.mu.Unlock()
		if waiting {
			select { // a helper's answer, a pause, or time to check the helpers' deadline
			case <-w.poolWake:
			case <-w.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		w.mu.Lock()
		resp, wait := w.d.Tick()
		w.mu.Unlock()
		if resp.Step != nil || resp.Paused != nil || resp.Error != "" {
			w.send("event", 0, resp)
		}
		if wait > 0 {
			sleep(wait)
		} else {
			w.turn.take()
		}
	}
}

// runWhole runs a whole run to its report, posting its progress after
// every step and giving the event loop a turn, so that an abort is heard
// within a step.
func (w *worker) runWhole(spec lab.RunSpec) {
	fail := func(why string) {
		w.post(map[string]any{"type": "whole-failed", "id": spec.ID, "error": why}, nil)
	}
	w.mu.Lock()
	run, err := w.d.E.StartWhole(spec)
	w.mu.Unlock()
	if err != nil {
		fail(err.Error())
		return
	}
	sent := 0 // evaluations posted
	for {
		w.wholeTurn.take()
		if w.aborted[spec.ID] {
			delete(w.aborted, spec.ID)
			fail("stopped")
			return
		}
		w.mu.Lock()
		step, done, err := run.Step()
		w.mu.Unlock()
		if err != nil {
			fail(err.Error())
			return
		}
		msg := map[string]any{"type": "whole-progress", "id": spec.ID, "step": step}
		if evs := run.Evaluations(); len(evs) > sent {
			// The charts draw a run while it trains: its evaluations go out
			// as they are made (a few per run), not only in the report.
			b, err := json.Marshal(evs[sent:])
			if err == nil {
				msg["evals"], sent = string(b), len(evs)
			}
		}
		w.post(msg, nil)
		if done {
			b, err := run.JSON()
			if err != nil {
				fail(err.Error())
				return
			}
			w.post(map[string]any{"type": "whole-done", "id": spec.ID, "json": string(b)}, nil)
			return
		}
	}
}

// send posts a response, moving (not copying) its jobs' snapshots.
func (w *worker) send(typ string, seq int, resp lab.Response) {
	var transfer []any
	jobs := make([]any, len(resp.Jobs))
	for i, j := range resp.Jobs {
		bufs := make([]any, len(j.Blobs))
		for k, b := range j.Blobs {
			u := js.Global().Get("Uint8Array").New(len(b))
			js.CopyBytesToJS(u, b)
			bufs[k] = u.Get("buffer")
			transfer = append(transfer, bufs[k])
		}
		jobs[i] = bufs
	}
	// A step's probe records go apart from its event, still encoded: the
	// page decodes them only for the steps it draws.
	var probes string
	if ev := resp.Step; ev != nil && len(ev.Probes) > 0 {
		if b, err := json.Marshal(ev.Probes); err == nil {
			bare := *ev
			bare.Probes, resp.Step, probes = nil, &bare, string(b)
		}
	}
	msg := map[string]any{"type": typ, "seq": seq, "json": string(lab.EncodeResponse(resp)), "jobs": jobs}
	if probes != "" {
		msg["probes"] = probes
	}
	w.post(msg, transfer)
}

func (w *worker) post(msg map[string]any, transfer []any) {
	if len(transfer) > 0 {
		w.self.Call("postMessage", msg, transfer)
		return
	}
	w.self.Call("postMessage", msg)
}

// bytesOf copies an ArrayBuffer or typed array into Go.
// blobsOf are a call's snapshots: those it carries, or, when it names a key
// without them, those kept under that key. The page sends an evaluator a
// step's weights once for all the chunks of its evaluation it gives it:
// copying 1 MB into a worker costs the page's thread about 10 ms.
func (w *worker) blobsOf(data js.Value) ([][]byte, error) {
	key := ""
	if k := data.Get("snap"); k.Type() == js.TypeString {
		key = k.String()
	}
	b := data.Get("blobs")
	switch {
	case b.Truthy():
	case key == "":
		return nil, nil
	case key != w.snapKey:
		return nil, fmt.Errorf("the weights of %s were not sent to this worker (it holds %q)", key, w.snapKey)
	default:
		return w.snap, nil
	}
	var blobs [][]byte
	for i := range b.Length() {
		blobs = append(blobs, bytesOf(b.Index(i)))
	}
	if key != "" {
		w.snapKey, w.snap = key, blobs
	}
	return blobs, nil
}

func bytesOf(v js.Value) []byte {
	u := v
	if v.InstanceOf(js.Global().Get("ArrayBuffer")) {
		u = js.Global().Get("Uint8Array").New(v)
	}
	b := make([]byte, u.Get("byteLength").Int())
	js.CopyBytesToGo(b, u)
	return b
}

// sleep waits d through a setTimeout round trip: unlike time.Sleep, it
// always lets the browser run its event loop (and deliver messages) first.
func sleep(d time.Duration) {
	done := make(chan struct{})
	var f js.Func
	f = js.FuncOf(func(js.Value, []js.Value) any {
		f.Release()
		close(done)
		return nil
	})
	js.Global().Call("setTimeout", f, d.Milliseconds())
	<-done
}

// turn gives the browser's event loop one turn without setTimeout's delay
// (nested timeouts are clamped to 4 ms): a message to itself on a
// MessageChannel is a task queued behind the messages already waiting,
// such as a Pause from the page.
type turn struct {
	port js.Value
	done chan struct{}
}

func newTurn() *turn {
	t := &turn{done: make(chan struct{}, 1)}
	mc := js.Global().Get("MessageChannel").New()
	mc.Get("port1").Set("onmessage", js.FuncOf(func(js.Value, []js.Value) any {
		t.done <- struct{}{}
		return nil
	}))
	t.port = mc.Get("port2")
	return t
}

func (t *turn) take() {
	t.port.Call("postMessage", nil)
	<-t.done
}
