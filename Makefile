# COPSD Lab. `make run` serves the lab at http://localhost:8080; `make test` runs
# every check CI runs. Only Go (and Node.js, for the wasm tests) is needed.

GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASMENV   := GOOS=js GOARCH=wasm
WASMPATH  := PATH=$(GOROOT)/lib/wasm:$$PATH
ADDR      ?= 127.0.0.1:8080
MODELS    := assets/models/base-rho0.ckpt assets/models/base-rho50.ckpt

.PHONY: run build web test check vet fmt tidy unit wasmtest samebits chromium engines axe browsertest generate wabt bench bench-steps benchbrowser reproduce reproduce-browser report checkpoints clean fuzz soak

## run: build the browser app and serve it at http://$(ADDR)
run: web
	$(GO) run ./serve/cmd/copsd-serve -addr $(ADDR)

## build: the app bundle and a single server binary (bin/copsd-serve) that embeds it
build: web
	$(GO) build -o bin/copsd-serve ./serve/cmd/copsd-serve
	$(GO) build -o bin/copsd ./core/cmd/copsd

# The lab is one Go program (wasm/lab): the page runs it to render the UI and
# each Web Worker runs it as the engine, with the SIMD128 kernels of
# core/model/simd (same bits as the Go kernels). The bundle adds the base
# models and the precomputed example runs of assets/report.
EXAMPLES  := $(wildcard assets/report/runs/*.json)

web:
	@mkdir -p build
	$(WASMENV) $(GO) build -tags copsdsimd -trimpath -ldflags='-s -w' -o build/lab.wasm ./wasm/lab
	$(GO) run ./serve/cmd/bundle -src wasm/web -out serve/dist \
		-file lab.wasm=build/lab.wasm \
		-file simd/kernels.wasm=core/model/simd/kernels.wasm \
		-file simd/copsdsimd.js=core/model/simd/copsdsimd.js \
		-file models/base-rho0.ckpt=assets/models/base-rho0.ckpt \
		-file models/base-rho50.ckpt=assets/models/base-rho50.ckpt \
		$(foreach f,$(EXAMPLES),-file report/runs/$(notdir $(f))=$(f))

## test: everything CI checks
test: check unit wasmtest samebits browsertest test-serve

## chromium: install Debian's Chromium for the browser tests when it is missing
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package) for the browser tests"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

## engines: Debian's Firefox ESR, WebKitGTK's WebDriver and Xvfb for the other engines' tests, when missing
engines:
	@{ command -v firefox-esr && command -v WebKitWebDriver && command -v Xvfb; } >/dev/null 2>&1 || { \
		echo "installing firefox-esr, webkit2gtk-driver and xvfb (Debian packages) for the browser tests"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq firefox-esr webkit2gtk-driver xvfb >/dev/null; }

# axe-core, pinned by the committed lockfile, for the accessibility audits of
# the browser tests; reinstalled only when the lockfile changes.
BT_NPM     := build/npm-browsertest
BT_NPM_SRC := wasm/browsertest/npm
$(BT_NPM)/.installed: $(BT_NPM_SRC)/package.json $(BT_NPM_SRC)/package-lock.json
	rm -rf $(BT_NPM)
	mkdir -p $(BT_NPM)
	cp $(BT_NPM_SRC)/package.json $(BT_NPM_SRC)/package-lock.json $(BT_NPM)/
	npm ci --prefix $(BT_NPM) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## axe: install the pinned axe-core for the accessibility audits
axe: $(BT_NPM)/.installed

## browsertest: the built lab in headless Chromium (with axe-core's audits), a core subset in
## Firefox ESR and WebKitGTK, and the kernels' bits in Chromium
browsertest: web chromium engines axe
	COPSD_BROWSER=1 $(GO) test -count=1 -timeout 30m ./wasm/browsertest/ ./wasm/bench/benchbrowser/

check: fmt vet tidy

## tidy: go.mod lists every direct dependency as direct and nothing unused
tidy:
	@out=$$($(GO) mod tidy -diff 2>&1) || { echo "go.mod is not tidy (run go mod tidy):"; echo "$$out"; exit 1; }

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_gen\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(WASMENV) $(GO) vet ./core/... ./wasm/... ./ui/...
	$(WASMENV) $(GO) vet -tags copsdsimd ./core/... ./wasm/...

unit:
	$(GO) test -timeout 30m ./...

## wasmtest: the core's tests compiled to wasm and run under Node.js, with
## the Go kernels and again with the SIMD128 kernels bound (same bits)
wasmtest:
	$(WASMPATH) $(WASMENV) $(GO) test -short ./core/...
	$(WASMPATH) $(WASMENV) COPSD_REQUIRE_SIMD=1 $(GO) test -short -tags copsdsimd \
		-exec $(CURDIR)/core/model/simd/go_js_wasm_exec ./core/model/... ./core/num/...

## samebits: a fixed-seed training run gives the same bits natively and in wasm
samebits:
	@mkdir -p build
	$(GO) run ./core/cmd/copsd selfcheck > build/selfcheck-native.json
	$(WASMENV) $(GO) build -o build/copsd.wasm ./core/cmd/copsd
	node $(GOROOT)/lib/wasm/wasm_exec_node.js build/copsd.wasm selfcheck > build/selfcheck-wasm.json
	@if cmp -s build/selfcheck-native.json build/selfcheck-wasm.json; then \
		echo "samebits: native and wasm agree: $$(cat build/selfcheck-native.json)"; \
	else echo "samebits: native and wasm differ"; diff build/selfcheck-native.json build/selfcheck-wasm.json; exit 1; fi

## generate: rebuild generated files (Vugu output, the renderer script, the SIMD kernels)
generate: wabt
	$(GO) generate ./...

## wabt: Debian's wabt (wat2wasm) to assemble the SIMD kernels, when missing
wabt:
	@command -v wat2wasm >/dev/null 2>&1 || command -v wasm-as >/dev/null 2>&1 || { \
		echo "installing wabt (Debian package) to assemble core/model/simd/kernels.wat"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wabt >/dev/null; }

## bench: kernel and training-step benchmarks, natively and in Chromium; the lab's speed targets; the server's load test
bench: bench-serve bench-steps benchbrowser soak
	$(GO) test -run '^$$' -bench . -benchtime 2x ./core/...

## soak: 10,000 steps of the lab's default run natively and 2,000 in Chromium on the full pool of
## engine workers: nothing goes non-finite, and after warm-up the live Go heap (natively), the
## trainer's WebAssembly memory and live heap and the page's JS heap (in Chromium) grow by less
## than 10% (SOAKSTEPS, SOAKSTEPS_BROWSER to change)
SOAKSTEPS ?= 10000
SOAKSTEPS_BROWSER ?= 2000
soak: web chromium
	COPSD_SOAK=$(SOAKSTEPS) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 3h ./core/distill/
	COPSD_BROWSER=1 COPSD_SOAK_BROWSER=$(SOAKSTEPS_BROWSER) $(GO) test -count=1 -run '^TestBrowserSoak$$' -v -timeout 3h ./wasm/browsertest/

## bench-steps: ms per OPSD and pretraining step and matmul GFLOP/s, natively and in Chromium (SIMD and pure Go);
## the steps over 1, 2 and 4 workers; the default demo's collapse banner with 1 and 2 engine workers;
## copsd reproduce at -jobs 1 and 2 (BENCH_REPRODUCE=reduced, full or off) -> build/bench.json
BENCH_REPRODUCE ?= reduced
bench-steps: web chromium wabt
	$(GO) run ./wasm/bench/benchbrowser -reps 9 -reproduce $(BENCH_REPRODUCE) -out build/bench.json

## benchbrowser: the lab's speed targets in headless Chromium (frame gaps, pause, first render, collapse demo;
## the demo with the pool of engine workers runs in bench-steps)
benchbrowser: web chromium
	COPSD_BROWSER=1 COPSD_TIMING=1 $(GO) test -count=1 -v -timeout 30m -skip '^TestCollapseBannerWithThePool$$' ./wasm/browsertest/

## fuzz: every parser of foreign input under Go's native fuzzer, FUZZTIME each, one at a time:
## constitution text, checkpoint decoder, link fragment, exercise goal, run import (decoder and
## page), class-board decoder, served paths. New crashers land in testdata/fuzz.
FUZZTIME ?= 30s
FUZZ_TARGETS := FuzzParseConstitution:./core/world FuzzLoad:./core/model FuzzDecodeMeta:./core/pretrain \
	FuzzParseHash:./ui/state FuzzParseGoal:./ui/state FuzzDecodeReport:./ui/state FuzzReadBundle:./ui/state FuzzImportedRunRenders:./ui \
	FuzzDecodeRun:./serve/board FuzzCleanPath:./serve
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t%%:*} ($${t#*:}) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) -parallel 1 "$${t#*:}"; \
	done

## reproduce: the recipe suite over 3 seeds on both base models -> assets/report
reproduce:
	$(GO) run ./core/cmd/copsd reproduce -seeds 3 -out assets/report

## reproduce-browser: a suite at full length in headless Chromium's Reproduce view, its wall time
## logged and every exported run checked against assets/report/runs byte for byte
## (SUITE=quick or full, SUITE_SEEDS, SUITE_WORKERS: the pool's size, 0 for the page's own)
SUITE ?= full
SUITE_SEEDS ?= 3
SUITE_WORKERS ?= 0
reproduce-browser: web chromium
	COPSD_BROWSER=1 COPSD_SUITE=$(SUITE) COPSD_SUITE_SEEDS=$(SUITE_SEEDS) COPSD_SUITE_WORKERS=$(SUITE_WORKERS) \
		$(GO) test -count=1 -timeout 4h -v -run '^TestReproduceSuiteInTheBrowser$$' ./wasm/browsertest/

## report: rebuild assets/report's report.md and figures from its runs, without training
report:
	$(GO) run ./core/cmd/copsd report -runs assets/report/runs -out assets/report

## checkpoints: pretrain the shipped base models from their fixed seeds
checkpoints:
	@mkdir -p assets/models
	$(GO) run ./core/cmd/copsd pretrain -rho 0 -seed 1 -out assets/models/base-rho0.ckpt
	$(GO) run ./core/cmd/copsd pretrain -rho 0.5 -seed 1 -out assets/models/base-rho50.ckpt

clean:
	rm -rf build bin

# Serving targets (class board, edge worker) live beside their code.
-include serve/serve.mk
