//go:build !js

// Command benchbrowser is COPSD Lab's performance benchmark: the same
// workloads (wasm/bench/stepbench) natively and in headless Chromium, in a
// Web Worker as the lab runs its engine, with and without the SIMD128
// kernels; the matmul kernel's GFLOP/s (core/model's BenchmarkMatmul)
// natively and in Chromium; and the bit-exactness tests of core/model and
// core/num in Chromium on both kernel paths. It prints a table and writes
// JSON.
//
// Run it from the repository root (make bench does):
//
//	go run ./wasm/bench/benchbrowser [-reps 7] [-out build/bench.json] [-skip-native] [-only ref-opsd-d128,...]
//	    [-lab=false] [-reproduce reduced|full|off]
//	go run ./wasm/bench/benchbrowser -scaling-only ...
//	go run ./wasm/bench/benchbrowser -tests-only
//
// It builds GOOS=js GOARCH=wasm binaries with -tags copsdsimd into a
// temporary directory, serves them with wasm/bench/web, Go's wasm_exec.js and
// core/model/simd/{copsdsimd.js,kernels.wasm} on 127.0.0.1, and needs
// chromium on PATH (make chromium installs it).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The bit-exactness tests that run in the browser (the others need a file
// system; examples capture stdout through one): core/model's, and
// core/num's (Softmax has a SIMD path too).
var testBinaries = []struct{ wasm, pkg, pattern string }{
	{"model.test.wasm", "./core/model", "^Test.*(Gemm|SIMD|DotRows|Golden|Inference|Workers|Overfit|Grad|Sample)"},
	{"num.test.wasm", "./core/num", "^Test.*(Softmax|Exp|Tanh|Golden|Float|LogSumExp|Entropy)"},
}

// matmulPattern selects the kernel benchmarks (one worker: the browser has one thread).
const matmulPattern = "Matmul/.*/workers=1"

type job struct {
	Wasm string            `json:"wasm"`
	Argv []string          `json:"argv"`
	Env  map[string]string `json:"env"`
	SIMD bool              `json:"simd"`
}

type reply struct {
	Code      int    `json:"code"`
	Out       string `json:"out"`
	Err       string `json:"err"`
	SIMD      bool   `json:"simd"`
	SIMDError string `json:"simdError"`
}

// stepReport is stepbench's output.
type stepReport struct {
	GOOS    string `json:"goos"`
	GOARCH  string `json:"goarch"`
	SIMD    string `json:"simd"`
	Reps    int    `json:"reps"`
	Results []struct {
		Name     string             `json:"name"`
		What     string             `json:"what"`
		Ms       []float64          `json:"ms"`
		MedianMs float64            `json:"median_ms"`
		PhaseMs  map[string]float64 `json:"phase_median_ms"`
		Hash     string             `json:"hash"`
	} `json:"results"`
}

// TestRun is one run of the browser tests (testBinaries).
type TestRun struct {
	Passed     bool     `json:"passed"`
	SIMDActive bool     `json:"simd_active"`
	Tests      []string `json:"tests"` // "--- PASS: Name" lines
	Output     string   `json:"output,omitempty"`
}

// Output is the JSON this command writes.
type Output struct {
	When     string             `json:"when"`
	Host     string             `json:"host"`
	LoadAvg  string             `json:"load_avg"` // /proc/loadavg before and after
	Browser  string             `json:"browser"`
	Reps     int                `json:"reps"`
	Steps    map[string]any     `json:"steps"`     // "native", "native-purego", "chromium-simd", "chromium-go": stepbench reports
	Matmul   map[string]any     `json:"matmul"`    // same keys: benchmark name -> GFLOP/s
	Tests    map[string]TestRun `json:"tests"`     // "chromium-simd", "chromium-go"
	SameBits bool               `json:"same_bits"` // every workload's parameter hash agrees across all three
	// Ceiling is the rate, in GFLOP/s, of the two loops of
	// wasm/bench/ceiling in Chromium: "chains" (unfused f32x4
	// multiply-then-add in registers, the peak of bit-exact SIMD128
	// arithmetic) and "tile_4x8" (the matmul kernel's inner loop in L1).
	Ceiling map[string]float64 `json:"ceiling"`
	// Scaling: the sharded reference step natively (goroutines) and in
	// Chromium (Web Workers), the lab's step natively (Run.UseWorkers) and
	// on the page (its pool), at K = 1, 2, 4 workers; ScalingSummary per
	// workload and place; ScalingSameBits: the sharded step's parameters
	// agree for every K, replica and place.
	Scaling         []ScaleRun `json:"scaling"`
	ScalingSummary  []Scaling  `json:"scaling_summary"`
	ScalingSameBits bool       `json:"scaling_same_bits"`
	LabPage         *LabPage   `json:"lab_page,omitempty"`  // the default demo's collapse banner with 1 and 2 engine workers
	Reproduce       *Reproduce `json:"reproduce,omitempty"` // copsd reproduce at -jobs 1 and 2
}

func main() {
	reps := flag.Int("reps", 7, "timed steps per workload (median reported)")
	out := flag.String("out", "build/bench.json", "JSON output file")
	skipNative := flag.Bool("skip-native", false, "only the browser runs")
	only := flag.String("only", "", "stepbench workloads (default all)")
	timeout := flag.Duration("timeout", 30*time.Minute, "overall timeout")
	lab := flag.Bool("lab", true, "the default demo's collapse banner with 1 and 2 engine workers (needs make web)")
	repro := flag.String("reproduce", "reduced", "copsd reproduce at -jobs 1 and 2 on the reduced suite, the full one, or off")
	scalingOnly := flag.Bool("scaling-only", false, "only the workloads over several workers, the demo's banner and copsd reproduce")
	testsOnly := flag.Bool("tests-only", false, "only the bit-exactness tests of core/model and core/num in Chromium, both kernel paths")
	flag.Parse()
	if *testsOnly {
		tests, err := ChromiumModelTests(*timeout)
		for _, k := range []string{"chromium-simd", "chromium-go"} {
			t := tests[k]
			fmt.Printf("core/model and core/num tests in %s: passed %v (%d tests, SIMD kernels in use: %v)\n", k, t.Passed, len(t.Tests), t.SIMDActive)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchbrowser:", err)
			os.Exit(1)
		}
		return
	}
	if *scalingOnly {
		if err := runScaling(*reps, *out, *lab, *repro, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "benchbrowser:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*reps, *out, *only, *skipNative, *lab, *repro, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "benchbrowser:", err)
		os.Exit(1)
	}
}

func run(reps int, outPath, only string, skipNative, lab bool, repro string, timeout time.Duration) error {
	if _, err := os.Stat("core/model/simd/kernels.wasm"); err != nil {
		return errors.New("run from the repository root")
	}
	o := Output{When: time.Now().UTC().Format(time.RFC3339), Host: runtime.GOOS + "/" + runtime.GOARCH, Reps: reps,
		Steps: map[string]any{}, Matmul: map[string]any{}, Tests: map[string]TestRun{}}
	o.LoadAvg = loadavg()
	dir, err := os.MkdirTemp("", "copsd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := build(dir, false); err != nil {
		return err
	}
	stepArgs := []string{"-reps", strconv.Itoa(reps)}
	if only != "" {
		stepArgs = append(stepArgs, "-only", only)
	}

	steps := map[string]stepReport{}
	matmul := map[string]map[string]float64{}
	if !skipNative {
		// native: the amd64 assembly kernels where they exist; native-purego:
		// the Go kernels the browser falls back to, compiled natively.
		for _, key := range []string{"native", "native-purego"} {
			logf("%s: stepbench", key)
			sargs := append(slices.Clone(stepArgs), "-ckpt", "assets/models/base-rho0.ckpt")
			if key == "native-purego" {
				sargs = append(sargs, "-no-scaling")
			}
			b, err := command(".", filepath.Join(dir, "stepbench-"+key), sargs...)
			if err != nil {
				return err
			}
			var r stepReport
			if err := json.Unmarshal(lastLine(b), &r); err != nil {
				return fmt.Errorf("%s stepbench output: %w", key, err)
			}
			steps[key] = r
			if key == "native" {
				o.Scaling = append(o.Scaling, nativeScaling(r)...)
			}
			logf("%s: matmul benchmarks", key)
			args := []string{"test", "-run", "^$", "-bench", matmulPattern, "-benchtime", "300ms", "./core/model"}
			if key == "native-purego" {
				args = append(args[:1], append([]string{"-tags", "purego"}, args[1:]...)...)
			}
			b, err = command(".", "go", args...)
			if err != nil {
				return err
			}
			matmul[key] = gflops(string(b))
		}
	}

	// The browser.
	ctx, base, closePage, err := openPage(dir, timeout)
	if err != nil {
		return err
	}
	defer closePage()
	o.Browser, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	logf("chromium: the ceiling of unfused SIMD128 arithmetic")
	if o.Ceiling, err = ceiling(ctx); err != nil {
		return err
	}

	for _, simd := range []bool{true, false} {
		key := map[bool]string{true: "chromium-simd", false: "chromium-go"}[simd]
		logf("%s: core/model and core/num tests", key)
		tr, err := modelTests(ctx, simd)
		if err != nil {
			return err
		}
		o.Tests[key] = tr

		logf("%s: matmul benchmarks", key)
		r, err := runJob(ctx, job{Wasm: "model.test.wasm", Argv: []string{"-test.run", "^$", "-test.bench", matmulPattern, "-test.benchtime", "300ms"}, SIMD: simd})
		if err != nil {
			return err
		}
		if r.Code != 0 {
			return fmt.Errorf("%s matmul benchmarks failed:\n%s%s", key, r.Out, r.Err)
		}
		matmul[key] = gflops(r.Out)

		logf("%s: stepbench", key)
		r, err = runJob(ctx, job{Wasm: "stepbench.wasm", Argv: append(stepArgs, "-ckpt", base+"base-rho0.ckpt"), SIMD: simd})
		if err != nil {
			return err
		}
		if r.Code != 0 || (simd && !r.SIMD) {
			return fmt.Errorf("%s stepbench failed (code %d, simd %v %s):\n%s%s", key, r.Code, r.SIMD, r.SIMDError, r.Out, r.Err)
		}
		var sr stepReport
		if err := json.Unmarshal(lastLine([]byte(r.Out)), &sr); err != nil {
			return fmt.Errorf("%s stepbench output: %w\n%s", key, err, r.Out)
		}
		steps[key] = sr
	}
	if err := scalingPart(&o, ctx, dir, reps, lab, repro, closePage); err != nil {
		return err
	}
	o.LoadAvg += " -> " + loadavg()

	// Same bits: every workload's hash agrees across every run.
	o.SameBits = true
	hashes := map[string]string{}
	for _, r := range steps {
		for _, w := range r.Results {
			if h, ok := hashes[w.Name]; ok && h != w.Hash {
				o.SameBits = false
			}
			hashes[w.Name] = w.Hash
		}
	}
	for k, v := range steps {
		o.Steps[k] = v
	}
	for k, v := range matmul {
		o.Matmul[k] = v
	}
	printTable(o, steps, matmul)
	printScaling(o)
	printLabPage(o.LabPage)
	printReproduce(o.Reproduce)
	if err := writeOutput(o, outPath); err != nil {
		return err
	}
	for k, t := range o.Tests {
		if !t.Passed {
			return fmt.Errorf("core/model or core/num tests failed in %s:\n%s", k, t.Output)
		}
	}
	if !o.SameBits {
		return errors.New("the trained parameters differ between native and Chromium, or between the kernel paths")
	}
	return nil
}

// writeOutput writes o as JSON to path; it fails when the bits of the
// runs over several workers disagree.
func writeOutput(o Output, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(o, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nJSON: %s\n", path)
	if !o.ScalingSameBits {
		return errors.New("the sharded step's parameters differ between numbers of workers, replicas or places")
	}
	if o.Reproduce != nil && !o.Reproduce.SameRuns {
		return errors.New("copsd reproduce wrote different runs at -jobs 1 and -jobs 2")
	}
	return nil
}

// build compiles the wasm programs and the native stepbench into dir (only
// the test binaries with testsOnly) and copies the page, the glue and
// the kernels beside them.
func build(dir string, testsOnly bool) error {
	goroot, err := command(".", "go", "env", "GOROOT")
	if err != nil {
		return err
	}
	wasmEnv := []string{"GOOS=js", "GOARCH=wasm"}
	steps := []struct {
		env  []string
		args []string
	}{
		{wasmEnv, []string{"build", "-tags", "copsdsimd", "-o", filepath.Join(dir, "stepbench.wasm"), "./wasm/bench/stepbench"}},
		{wasmEnv, []string{"build", "-tags", "copsdsimd", "-o", filepath.Join(dir, "shardbench.wasm"), "./wasm/bench/shardbench"}},
		{nil, []string{"build", "-o", filepath.Join(dir, "stepbench-native"), "./wasm/bench/stepbench"}},
		{nil, []string{"build", "-tags", "purego", "-o", filepath.Join(dir, "stepbench-native-purego"), "./wasm/bench/stepbench"}},
	}
	if testsOnly {
		steps = nil
	}
	for _, b := range testBinaries {
		steps = append(steps, struct {
			env  []string
			args []string
		}{wasmEnv, []string{"test", "-c", "-tags", "copsdsimd", "-o", filepath.Join(dir, b.wasm), b.pkg}})
	}
	for _, s := range steps {
		logf("go %s", strings.Join(s.args, " "))
		c := exec.Command("go", s.args...)
		c.Env = append(os.Environ(), s.env...)
		if b, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(s.args, " "), err, b)
		}
	}
	copies := map[string]string{
		filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"): "wasm_exec.js",
		"core/model/simd/copsdsimd.js": "copsdsimd.js",
		"core/model/simd/kernels.wasm": "kernels.wasm",
		"wasm/bench/web/index.html":    "index.html",
		"wasm/bench/web/runner.js":     "runner.js",
		"wasm/bench/web/shards.js":     "shards.js",
		"assets/models/base-rho0.ckpt": "base-rho0.ckpt",
	}
	if !testsOnly {
		logf("wat2wasm wasm/bench/ceiling/ceiling.wat")
		if b, err := exec.Command("wat2wasm", "wasm/bench/ceiling/ceiling.wat", "-o", filepath.Join(dir, "ceiling.wasm")).CombinedOutput(); err != nil {
			return fmt.Errorf("wat2wasm (make wabt installs it): %v\n%s", err, b)
		}
	}
	for src, dst := range copies {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ceiling times the loops of wasm/bench/ceiling on the page (best of five
// runs each, after a warm-up) and returns their GFLOP/s.
func ceiling(ctx context.Context) (map[string]float64, error) {
	const script = `window.__ceiling = null; (async () => {
  const e = (await WebAssembly.instantiate(await (await fetch("ceiling.wasm")).arrayBuffer())).instance.exports;
  const best = (f, arg, flops) => { f(arg / 10); let b = 0;
    for (let r = 0; r < 5; r++) { const t = performance.now(); f(arg); b = Math.max(b, flops / ((performance.now() - t) / 1000) / 1e9); }
    return b; };
  const n = 20000000, reps = 20000;
  window.__ceiling = {chains: best(e.chains, n, n * 16 * 8), tile_4x8: best(e.tile, reps, reps * 256 * 4 * 8 * 2)};
})().catch(err => { window.__ceiling = {error: String(err)}; }); 1`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](script)); err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`window.__ceiling`))
		if err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
		if v == nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if e, ok := v["error"]; ok {
			return nil, fmt.Errorf("ceiling: %v", e)
		}
		out := map[string]float64{}
		for k, x := range v {
			f, ok := x.(float64)
			if !ok {
				return nil, fmt.Errorf("ceiling: %s = %v", k, x)
			}
			out[k] = f
		}
		return out, nil
	}
}

// modelTests runs the bit-exactness tests of core/model and core/num
// (testBinaries) in the browser, with the SIMD kernels (and then requiring
// them) or without.
func modelTests(ctx context.Context, simd bool) (TestRun, error) {
	env := map[string]string{}
	if simd {
		env["COPSD_REQUIRE_SIMD"] = "1"
	}
	tr := TestRun{Passed: true, SIMDActive: simd}
	for _, b := range testBinaries {
		r, err := runJob(ctx, job{Wasm: b.wasm, Argv: []string{"-test.v", "-test.run", b.pattern}, Env: env, SIMD: simd})
		if err != nil {
			return TestRun{}, err
		}
		ok := r.Code == 0 && strings.Contains(r.Out, "\nPASS") && (!simd || r.SIMD)
		tr.Passed = tr.Passed && ok
		tr.SIMDActive = tr.SIMDActive && r.SIMD
		for _, l := range strings.Split(r.Out, "\n") {
			if strings.HasPrefix(l, "--- ") {
				tr.Tests = append(tr.Tests, strings.TrimSuffix(b.wasm, ".test.wasm")+": "+strings.TrimSpace(l))
			}
		}
		if !ok {
			tr.Output += b.wasm + ":\n" + r.Out + r.Err + r.SIMDError
		}
	}
	return tr, nil
}

// ChromiumModelTests builds core/model's and core/num's tests for GOOS=js
// with the SIMD kernels and runs them in headless Chromium, in a Web Worker, with the
// kernels bound ("chromium-simd") and without ("chromium-go"). It returns
// an error unless both pass and the first really used the kernels.
func ChromiumModelTests(timeout time.Duration) (map[string]TestRun, error) {
	dir, err := os.MkdirTemp("", "copsd-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := build(dir, true); err != nil {
		return nil, err
	}
	ctx, _, closePage, err := openPage(dir, timeout)
	if err != nil {
		return nil, err
	}
	defer closePage()
	out := map[string]TestRun{}
	for _, simd := range []bool{true, false} {
		key := map[bool]string{true: "chromium-simd", false: "chromium-go"}[simd]
		tr, err := modelTests(ctx, simd)
		if err != nil {
			return out, err
		}
		out[key] = tr
		if !tr.Passed {
			return out, fmt.Errorf("core/model or core/num tests failed in %s (SIMD kernels in use: %v):\n%s", key, tr.SIMDActive, tr.Output)
		}
	}
	return out, nil
}

// openPage serves dir on loopback and opens its index.html in headless
// Chromium, for at most timeout. It returns the page's context, the
// server's base URL and a function that closes both.
func openPage(dir string, timeout time.Duration) (ctx context.Context, base string, done func(), err error) {
	base, stop, err := serveDir(dir)
	if err != nil {
		return nil, "", nil, err
	}
	bctx, cancel := browser()
	ctx, cancel2 := context.WithTimeout(bctx, timeout)
	done = func() { cancel2(); cancel(); stop() }
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"index.html")); err != nil {
		done()
		return nil, "", nil, fmt.Errorf("chromium: %w", err)
	}
	return ctx, base, done, nil
}

func serveDir(dir string) (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { srv.Close() }, nil
}

func browser() (context.Context, context.CancelFunc) {
	exe, err := exec.LookPath("chromium")
	if err != nil {
		exe = "/usr/bin/chromium"
	}
	home, _ := os.MkdirTemp("", "copsd-bench-home-")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(home, "profile")), chromedp.Env("HOME=" + home),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel2 := chromedp.NewContext(actx)
	return ctx, func() { cancel2(); cancel(); os.RemoveAll(home) }
}

func runJob(ctx context.Context, j job) (reply, error) {
	b, _ := json.Marshal(j)
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`runJob(`+string(b)+`).then(JSON.stringify)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return reply{}, fmt.Errorf("%s in chromium: %w", j.Wasm, err)
	}
	var r reply
	err = json.Unmarshal([]byte(s), &r)
	return r, err
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) GFLOP/s`)

// gflops parses `go test -bench` output into benchmark name -> GFLOP/s.
func gflops(out string) map[string]float64 {
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if s := benchLine.FindStringSubmatch(sc.Text()); s != nil {
			v, _ := strconv.ParseFloat(s[3], 64)
			m[strings.TrimSuffix(strings.TrimPrefix(s[1], "Matmul/"), "/workers=1")] = v
		}
	}
	return m
}

func command(dir, name string, args ...string) ([]byte, error) {
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Stderr = os.Stderr
	b, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return b, nil
}

func lastLine(b []byte) []byte {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return []byte(s)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
