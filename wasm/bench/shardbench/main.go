//go:build js

// Command shardbench is one replica of the sharded reference OPSD step
// (refstep.Sharded) in a Web Worker of the benchmark page: the page
// (wasm/bench/web/shards.js) boots K of them, hands each its shards of a
// step, passes every shard's gradient (a transferable ArrayBuffer) to
// every replica, and each applies their sum in shard order, so the
// replicas stay identical. It exposes to the worker's JavaScript:
//
//	shardDo(step, shard[, spare]) -> {buf: ArrayBuffer of float32s, div}
//	  (in spare, an ArrayBuffer of the gradient's size, when one is given)
//	shardApply([ArrayBuffer, ...] in shard order) -> "" or an error
//	shardHash() -> the parameters' hash, hex
//
// and calls shardReady(shards) once it is built.
//
//	shardbench [-shape d128] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall/js"
	"unsafe"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/wasm/bench/refstep"
)

func main() {
	shape := flag.String("shape", "d128", "reference shape")
	seed := flag.Uint64("seed", 1, "seed")
	flag.Parse()
	s, err := refstep.ShapeByName(*shape)
	if err != nil {
		fail(err)
	}
	o, err := refstep.NewSharded(s, *seed)
	if err != nil {
		fail(err)
	}
	u8 := js.Global().Get("Uint8Array")
	js.Global().Set("shardDo", js.FuncOf(func(_ js.Value, args []js.Value) any {
		g, div := o.Shard(args[0].Int(), args[1].Int())
		var b js.Value
		if len(args) > 2 && args[2].InstanceOf(js.Global().Get("ArrayBuffer")) && args[2].Get("byteLength").Int() == 4*len(g) {
			b = u8.New(args[2])
		} else {
			b = u8.New(4 * len(g))
		}
		js.CopyBytesToJS(b, bytes(g))
		return map[string]any{"buf": b.Get("buffer"), "div": div}
	}))
	n := len(o.Student.Params())
	grads := make([][]float32, o.Shards())
	for i := range grads {
		grads[i] = make([]float32, n)
	}
	js.Global().Set("shardApply", js.FuncOf(func(_ js.Value, args []js.Value) any {
		bufs := args[0]
		if bufs.Length() != len(grads) {
			return fmt.Sprintf("%d gradients for %d shards", bufs.Length(), len(grads))
		}
		for i := range grads {
			b := u8.New(bufs.Index(i))
			if b.Length() != 4*n {
				return fmt.Sprintf("shard %d: %d bytes for %d parameters", i, b.Length(), n)
			}
			js.CopyBytesToGo(bytes(grads[i]), b)
		}
		if err := o.Apply(grads); err != nil {
			return err.Error()
		}
		return ""
	}))
	js.Global().Set("shardHash", js.FuncOf(func(js.Value, []js.Value) any {
		return fmt.Sprintf("%016x", model.HashFloats(o.Student.Params()))
	}))
	js.Global().Call("shardReady", o.Shards())
	select {}
}

// bytes is the memory of xs (little-endian float32s, as in JavaScript's
// Float32Array on every platform that runs wasm).
func bytes(xs []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(xs))), 4*len(xs))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "shardbench:", err)
	os.Exit(1)
}
