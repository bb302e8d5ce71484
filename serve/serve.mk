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

# ---- Release: one file a teacher downloads and runs ----
#
#   make release   copsd-serve with the app embedded, for every platform below, in build/release/
#                  with SHA256SUMS; then the linux/amd64 binary (on a linux/amd64 machine) is run
#                  alone in an empty directory and must serve the lab and the board.

RELEASE_DIR       := build/release
RELEASE_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
# What -version reports, from git when the tree is a checkout (the go command's own VCS stamp is
# off wherever GOFLAGS holds -buildvcs=false): the commit's tag, else its Go pseudo-version
# (v0.0.0-<UTC time>-<12 hex digits>), the full commit (+dirty with uncommitted changes) and its time.
RELEASE_COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)$(shell [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo +dirty)
RELEASE_VERSION := $(shell git describe --tags --exact-match 2>/dev/null || \
	echo v0.0.0-$$(TZ=UTC git log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd 2>/dev/null)-$$(git rev-parse --short=12 HEAD 2>/dev/null))
RELEASE_TIME    := $(shell git log -1 --format=%cI 2>/dev/null)
RELEASE_LDFLAGS := -s -w -X main.version=$(RELEASE_VERSION) -X main.commit=$(RELEASE_COMMIT) -X main.commitTime=$(RELEASE_TIME)

.PHONY: release release-binaries release-check

release: release-binaries release-check

## release-binaries: cross-compile copsd-serve (the app embedded) into build/release with SHA256SUMS
release-binaries: web
	rm -rf $(RELEASE_DIR)
	mkdir -p $(RELEASE_DIR)
	@set -e; for p in $(RELEASE_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "release: $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='$(RELEASE_LDFLAGS)' \
			-o $(RELEASE_DIR)/copsd-serve-$$os-$$arch$$ext ./serve/cmd/copsd-serve; \
	done
	cd $(RELEASE_DIR) && sha256sum copsd-serve-* > SHA256SUMS
	@ls -l $(RELEASE_DIR)

## release-check: the linux/amd64 release binary, alone in an empty directory, serves the lab and the board
release-check:
	@if [ "$$($(GO) env GOHOSTOS)/$$($(GO) env GOHOSTARCH)" = linux/amd64 ]; then \
		COPSD_RELEASE_BIN=$(CURDIR)/$(RELEASE_DIR)/copsd-serve-linux-amd64 \
			$(GO) test -count=1 -run '^TestReleaseBinaryAlone$$' -v ./serve/cmd/copsd-serve/; \
	else echo "release-check: not a linux/amd64 machine; skipped"; fi
