//go:build js && wasm

// Package jsawait waits for JavaScript promises from Go compiled to wasm:
// for the lab's page (wasm/page) and for the class board's Cloudflare Worker
// (serve/worker).
package jsawait

import (
	"errors"
	"syscall/js"
)

// Await blocks the calling goroutine until promise settles and returns its
// value, or an error carrying the rejection's text. Call it from a goroutine,
// never from a JS callback: the promise's callbacks cannot run until the
// callback returns.
func Await(promise js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{v: a[0]}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "failed"
		if len(a) > 0 && a[0].Truthy() {
			msg = a[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	promise.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}
