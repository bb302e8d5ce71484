//go:build js && wasm

package page

import (
	"syscall/js"
	"time"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/domrender"

	"github.com/copsdlab/copsd/ui"
	"github.com/copsdlab/copsd/ui/state"
)

// Run renders the lab's page (the Vugu components of package ui) on the
// browser's main thread, starts the engine's Web Workers and talks to them
// (bridge.go). It only renders and sends commands. Run never returns.
func Run() {
	renderer, err := newRenderer("#lab")
	if err != nil {
		panic(err)
	}
	env := renderer.EventEnv()
	b := newBridge(env)
	loc := js.Global().Get("location")
	l := state.New(b, loc.Get("hash").String())
	l.PageURL = loc.Get("origin").String() + loc.Get("pathname").String()
	b.lab = l

	buildEnv, err := vugu.NewBuildEnv(env)
	if err != nil {
		panic(err)
	}
	buildEnv.SetWireFunc(ui.Wire(l, b))
	root := &ui.LabPage{}
	ui.Wire(l, b)(root)

	first := true
	var last time.Time
	for ok := true; ok; ok = renderer.EventWait() {
		// At most one render per minRenderGap: a burst of worker messages
		// (the examples arriving, a step and its evaluation) becomes one
		// render instead of several back to back.
		if wait := minRenderGap - time.Since(last); !first && wait > 0 {
			time.Sleep(wait)
		}
		last = time.Now()
		env.RLock()
		res := buildEnv.RunBuild(root)
		env.RUnlock()
		if err := renderer.Render(res); err != nil {
			panic(err)
		}
		if first {
			first = false
			js.Global().Get("performance").Call("mark", "copsd-first-render")
			go b.boot()
		}
	}
}

// minRenderGap is the shortest time between two renders.
const minRenderGap = 50 * time.Millisecond

// newRenderer starts Vugu's DOM renderer without eval. domrender.New
// installs its JS half by calling window.eval on the script, which the
// page's Content-Security-Policy forbids ('unsafe-eval' is not allowed);
// the page loads the same script as a file instead (vugu-render.js, before
// this program), so the eval is swapped for a no-op while New runs. The
// script's first line returns when it is already installed, so skipping
// the eval changes nothing else.
func newRenderer(mount string) (*domrender.JSRenderer, error) {
	w := js.Global()
	if !w.Get("vuguRender").Truthy() {
		panic("vugu-render.js must load before the page's wasm")
	}
	eval := w.Get("eval")
	noop := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	w.Set("eval", noop)
	defer func() {
		w.Set("eval", eval)
		noop.Release()
	}()
	return domrender.New(mount)
}
