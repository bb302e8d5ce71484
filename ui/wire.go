// Package ui is the browser lab's page: Vugu components, one concern each
// (transport, constitution editor, run settings, charts, token view, rollout
// log, Pareto plot, leakage meter, share and export, the guided sequence,
// the class board).
// Each .vugu file is generated into its _gen.go twin (go generate, see
// generate.go); the Go half beside it holds the component's struct and
// logic. Components read the lab's state, a *state.Lab injected by Wire,
// and call its methods from event handlers. The only mutable package state
// is the queue of islands waiting for the next animation frame (island.go),
// which belongs to the one page; the other package variables are read-only
// tables.
package ui

import (
	"github.com/vugu/vugu"
	js "github.com/vugu/vugu/js"

	"github.com/copsdlab/copsd/ui/state"
)

// Platform is what components need from the browser beyond the lab's Port.
type Platform interface {
	// ReadFile reads the first file chosen in a file input and calls done
	// under the render lock.
	ReadFile(input js.Value, done func(name string, data []byte, err error))
	// CopyText puts text on the clipboard.
	CopyText(text string)
}

// wired is embedded by every component: the state it renders and the
// platform, set by Wire when the component is created.
type wired struct {
	Lab      *state.Lab
	Platform Platform
}

func (w *wired) wire(l *state.Lab, p Platform) { w.Lab, w.Platform = l, p }

// Wire returns the build environment's wire function: it injects the lab
// and the platform into each component as Vugu creates it.
func Wire(l *state.Lab, p Platform) func(vugu.Builder) {
	return func(b vugu.Builder) {
		if c, ok := b.(interface{ wire(*state.Lab, Platform) }); ok {
			c.wire(l, p)
		}
	}
}
