package ui

import (
	js "github.com/vugu/vugu/js"
)

// setIsland gives el the markup markup() when key (which names the content)
// is not the one el was last given.
//
// The charts, the token row and the log are islands: elements whose content
// a component writes itself, as markup, and only when it changes. Vugu
// re-sends every node of the page on every render; those parts hold hundreds
// of nodes that change once a step, and re-sending them each time cost the
// main thread 50–150 ms per render. An island's element has no Vugu
// children, so Vugu leaves its content alone; the component sets it from
// vg-js-populate, which Vugu calls with the element during each render. The
// key lives on the element, so an element Vugu re-creates is written again.
//
// The markup is made at once but written at the next animation frame: the
// browser's parsing and layout of it then run in a task of their own, not in
// the render's, which keeps each piece of main-thread work short.
func setIsland(el js.Value, key string, markup func() string) {
	if k := el.Get("copsdKey"); k.Type() == js.TypeString && k.String() == key { // "" is a key too
		return
	}
	el.Set("copsdKey", key)
	el.Set("copsdMarkup", markup())
	if !el.Get("copsdQueued").Truthy() {
		el.Set("copsdQueued", true)
		islands.pending = append(islands.pending, el)
	}
	if !islands.scheduled {
		islands.scheduled = true
		if islands.flush.IsUndefined() {
			islands.flush = js.FuncOf(flushIslands).JSValue()
		}
		js.Global().Call("requestAnimationFrame", islands.flush)
	}
}

// islands are the elements waiting for their markup.
var islands struct {
	pending   []js.Value
	scheduled bool
	flush     js.Value
}

// flushIslands writes the pending markup. The element that had the
// keyboard focus inside an island has it again after the rewrite (the one
// with its id), so a keyboard user stays on the token they opened.
func flushIslands(js.Value, []js.Value) any {
	doc := js.Global().Get("document")
	for _, el := range islands.pending {
		focused := ""
		if a := doc.Get("activeElement"); a.Truthy() && a.Get("id").Truthy() && el.Call("contains", a).Bool() {
			focused = a.Get("id").String()
		}
		el.Set("innerHTML", el.Get("copsdMarkup").String())
		if f := doc.Call("getElementById", focused); focused != "" && f.Truthy() && el.Call("contains", f).Bool() {
			f.Call("focus")
		}
		el.Set("copsdMarkup", "")
		el.Set("copsdQueued", false)
	}
	islands.pending, islands.scheduled = islands.pending[:0], false
	return nil
}

// focusID moves the keyboard focus to the element with the id, if any.
func focusID(id string) {
	if el := js.Global().Get("document").Call("getElementById", id); el.Truthy() {
		el.Call("focus")
	}
}
