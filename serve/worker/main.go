//go:build js && wasm

// Command worker is the class board as a Cloudflare Worker: the same handler as the local server
// (package board), over D1. Wrangler serves the static app from the assets binding and runs this
// worker only for /api/* (wrangler.jsonc at the repository root; serve/DEPLOY.md).
//
// Build it with `make worker`, which writes build/worker/{worker.mjs,runtime.mjs,wasm_exec.js,app.wasm}.
package main

import (
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare/d1"

	"github.com/copsdlab/copsd/serve/board"
)

// Binding names, as in wrangler.jsonc.
const (
	dbBinding              = "DB"
	rateLimitBinding       = "BOARD_RATE_LIMIT"        // per class and client address
	clientRateLimitBinding = "BOARD_CLIENT_RATE_LIMIT" // per client address over all classes
)

func main() {
	workers.Serve(recoverer(newHandler()))
}

func newHandler() http.Handler {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	connector, err := d1.OpenConnector(dbBinding)
	if err != nil {
		logger.Error("class board: no D1 binding", "binding", dbBinding, "err", err)
		return unavailable(fmt.Sprintf("the class board's database (binding %s) is not configured", dbBinding))
	}
	return board.NewHandler(board.Config{
		Store:         board.NewSQLStore(sql.OpenDB(connector)),
		Limiter:       bindingLimiterOf(rateLimitBinding),
		ClientLimiter: bindingLimiterOf(clientRateLimitBinding),
		// The Workers runtime puts the client's address in CF-Connecting-IP, which the request
		// adapter copies to RemoteAddr (without a port).
		ClientKey: board.RemoteIP,
		Logger:    logger,
	})
}

// unavailable answers every request 503 with a JSON error.
func unavailable(msg string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "{\"error\":%q}\n", msg)
	})
}

// recoverer turns a panic (a JS exception surfacing through syscall/js) into a 500: unlike
// net/http's server, the Workers adapter does not recover, and a panic would kill the instance
// without an answer.
func recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				fmt.Fprintf(os.Stderr, "class board: panic: %v\n%s", v, debug.Stack())
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprintln(w, `{"error":"internal error"}`)
			}
		}()
		h.ServeHTTP(w, r)
	})
}
