//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"
	"time"

	"github.com/syumai/workers/cloudflare"

	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/wasm/jsawait"
)

// bindingPeriod is the period of the rate limit binding's "simple" setting in wrangler.jsonc: a
// refused client is told to come back after it.
const bindingPeriod = 60 * time.Second

// bindingLimiter is a board.Limiter over a Workers rate limit binding. The in-memory token bucket
// of the local server is no use here: every request runs in a fresh instance, so the counting
// must live in the platform.
type bindingLimiter struct {
	binding js.Value
}

// bindingLimiterOf is the named binding's limiter, or nil (no limit) when it is not configured.
func bindingLimiterOf(name string) board.Limiter {
	b := cloudflare.GetBinding(name)
	if b.IsUndefined() || b.IsNull() {
		return nil
	}
	return bindingLimiter{binding: b}
}

func (l bindingLimiter) Allow(_ context.Context, key string) (ok bool, retryAfter time.Duration, err error) {
	defer func() {
		if v := recover(); v != nil { // a JS exception from limit()
			ok, retryAfter, err = false, 0, errors.New("rate limit binding: limit() threw")
		}
	}()
	arg := js.Global().Get("Object").New()
	arg.Set("key", key)
	res, err := jsawait.Await(l.binding.Call("limit", arg))
	if err != nil {
		return false, 0, err
	}
	if res.Get("success").Truthy() {
		return true, 0, nil
	}
	return false, bindingPeriod, nil
}
