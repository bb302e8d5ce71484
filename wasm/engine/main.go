//go:build js && wasm

// Command engine is COPSD Lab's engine compiled to WebAssembly. It runs in a
// dedicated Web Worker (see wasm/web/worker.js) and exposes one global object:
//
//	copsd.load(name, bytes) -> JSON ModelInfo or {"error": ...}
//	copsd.call(requestJSON) -> JSON lab.Response
//
// All logic lives in core/lab; this file only crosses the JS boundary.
package main

import (
	"encoding/json"
	"syscall/js"

	"github.com/copsdlab/copsd/core/lab"
)

func main() {
	e := lab.New()
	api := js.Global().Get("Object").New()
	api.Set("load", js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeObject {
			return errJSON("load(name, bytes): bad arguments")
		}
		buf := make([]byte, args[1].Get("length").Int())
		js.CopyBytesToGo(buf, args[1])
		info, err := e.Load(args[0].String(), buf)
		if err != nil {
			return errJSON(err.Error())
		}
		b, _ := json.Marshal(info)
		return string(b)
	}))
	api.Set("call", js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) != 1 || args[0].Type() != js.TypeString {
			return errJSON("call(requestJSON): bad arguments")
		}
		return string(e.Call([]byte(args[0].String())))
	}))
	js.Global().Set("copsd", api)
	select {}
}

func errJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}
