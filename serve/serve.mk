# Serving targets: the class board's Cloudflare Worker, its local test under wrangler, and the
# server's load test. Included by the top-level Makefile (`-include serve/serve.mk`); run from the
# repository root.
#
#   make worker        build the worker into build/worker (wrangler.jsonc's main)
#   make test-worker   the worker under `wrangler dev` with a local D1, checked by the board's contract test
#   make test-serve    test-worker plus the serve checks `go test ./...` does not make
#   make bench-serve   loopback load test of the server: static files and board posts
#   make fuzz-serve    fuzz the board's request decoder (FUZZTIME, default 60s)

GO ?= go
SERVE_WASMENV := GOOS=js GOARCH=wasm
SERVE_NPM     := build/npm
SERVE_NPM_SRC := serve/worker/npm
FUZZTIME      ?= 60s
LOAD_SECONDS  ?= 10

.PHONY: worker test-worker test-serve bench-serve fuzz-serve vet-serve-wasm

## worker: the class board as a Cloudflare Worker (build/worker/{worker.mjs,app.wasm,...})
worker:
	@mkdir -p build
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build/worker
	$(SERVE_WASMENV) $(GO) build -trimpath -ldflags='-s -w' -o build/worker/app.wasm ./serve/worker
	@echo "worker: build/worker/app.wasm, $$(wc -c < build/worker/app.wasm) bytes ($$(gzip -9c build/worker/app.wasm | wc -c) gzipped)"

# The pinned wrangler and Node, installed from the committed lockfile; redone only when it changes.
$(SERVE_NPM)/.installed: $(SERVE_NPM_SRC)/package.json $(SERVE_NPM_SRC)/package-lock.json
	rm -rf $(SERVE_NPM)
	mkdir -p $(SERVE_NPM)
	cp $(SERVE_NPM_SRC)/package.json $(SERVE_NPM_SRC)/package-lock.json $(SERVE_NPM)/
	npm ci --prefix $(SERVE_NPM) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## test-worker: run the worker under `wrangler dev` (local D1) and check it against the board's contract
test-worker: $(SERVE_NPM)/.installed worker
	GO=$(GO) bash serve/worker/test-worker.sh

## vet-serve-wasm: go vet of serve/... for GOOS=js GOARCH=wasm (the worker's build)
vet-serve-wasm:
	$(SERVE_WASMENV) $(GO) vet ./serve/...

## test-serve: everything serve-specific that `go test ./...` does not cover
test-serve: vet-serve-wasm test-worker

## bench-serve: 200 clients on static files and 50 clients posting runs, over loopback
bench-serve:
	COPSD_LOAD_SECONDS=$(LOAD_SECONDS) $(GO) test -count=1 -v -run '^TestLoad' -timeout 10m ./serve/

## fuzz-serve: fuzz the board's request decoder
fuzz-serve:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRun$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./serve/board/
