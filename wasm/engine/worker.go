//go:build js && wasm

package engine

import (
	"encoding/json"
	"sync"
	"syscall/js"
	"time"

	"github.com/copsdlab/copsd/core/lab"
)

type worker struct {
	mu   sync.Mutex // held while the engine computes; never while waiting
	d    *lab.Driver
	wake chan struct{}
	self js.Value
	turn *turn
}

// Run serves the lab's protocol in a Web Worker (wasm/web/worker.js). The
// trainer and the evaluators are the same program, told apart only by what
// the page asks of them. Messages in (event.data):
//
//	{type: "load", seq, name, bytes: ArrayBuffer}   load a checkpoint
//	{type: "call", seq, json, blobs: [ArrayBuffer]} a lab.Request (and its Blobs)
//
// Messages out:
//
//	{type: "ready"}                                 the engine is listening
//	{type: "loaded", seq, name, json}               a lab.ModelInfo, or {"error": ...}
//	{type: "reply", seq, json, jobs: [[ArrayBuffer]]} a lab.Response and its Jobs' Blobs
//	{type: "event", json, jobs}                     a lab.Response the play loop produced
//
// All logic lives in core/lab; this file only crosses the JS boundary and
// runs the play loop, which yields to the browser's event loop after every
// phase of a step (lab.Driver.Tick) so that a Pause is handled within a
// phase, not a whole step. Run never returns.
func Run() {
	w := &worker{d: lab.NewDriver(), wake: make(chan struct{}, 1), self: js.Global(), turn: newTurn()}
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
		var blobs [][]byte
		if b := data.Get("blobs"); b.Truthy() {
			for i := range b.Length() {
				blobs = append(blobs, bytesOf(b.Index(i)))
			}
		}
		req, err := lab.DecodeRequest([]byte(data.Get("json").String()))
		var resp lab.Response
		if err != nil {
			resp = lab.Response{Seq: seq, Error: err.Error()}
		} else {
			req.Blobs = blobs
			w.mu.Lock()
			resp = w.d.Handle(req)
			playing := w.d.Playing()
			w.mu.Unlock()
			if playing {
				select {
				case w.wake <- struct{}{}:
				default:
				}
			}
		}
		w.send("reply", seq, resp)
	default:
		w.send("reply", seq, lab.Response{Error: "unknown message type " + data.Get("type").String()})
	}
	return nil
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
	msg := map[string]any{"type": typ, "seq": seq, "json": string(lab.EncodeResponse(resp)), "jobs": jobs}
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
