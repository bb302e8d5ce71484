package ui

import (
	js "github.com/vugu/vugu/js"
)

// setIsland writes markup() into el when key (which names the content) is
// not the one el was last written with.
//
// The charts, the token row and the log are islands: elements whose content
// a component writes itself, as markup, and only when it changes. Vugu
// re-sends every node of the page on every render; those parts hold hundreds
// of nodes that change once a step, and re-sending them each time cost the
// main thread 50–150 ms per render. An island's element has no Vugu
// children, so Vugu leaves its content alone; the component sets it from
// vg-js-populate, which Vugu calls with the element after each render. The
// key lives on the element, so an element Vugu re-creates is written again.
func setIsland(el js.Value, key string, markup func() string) {
	if k := el.Get("copsdKey"); k.Truthy() && k.String() == key {
		return
	}
	el.Set("innerHTML", markup())
	el.Set("copsdKey", key)
}
