package ui

import (
	"strconv"

	"github.com/copsdlab/copsd/ui/state"
)

// knobMin and knobMax are a knob's bounds from the settings table, written for
// an input's min and max attributes.
func knobMin(key string) string { return strconv.FormatFloat(state.Bounds(key).Lo, 'g', -1, 64) }
func knobMax(key string) string { return strconv.FormatFloat(state.Bounds(key).Hi, 'g', -1, 64) }
