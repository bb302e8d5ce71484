package ui

import (
	"testing"

	"github.com/copsdlab/copsd/ui/state"
)

// A read-out's values share their decimals, three significant digits of
// the largest, so that they line up; a value not yet measured at the step
// says at which step it was.
func TestReadoutValuesShareTheirDecimals(t *testing.T) {
	for _, tt := range []struct {
		vals []float64
		want string
	}{
		{[]float64{0.0104, 0.00347, 0}, "step 20 · a 0.0104 · b 0.0035 · c 0"},
		{[]float64{0.5, 0.25, 1}, "step 20 · a 0.50 · b 0.25 · c 1.00"},
		{[]float64{12.34, 3.5, 0.01}, "step 20 · a 12.3 · b 3.5 · c 0.0"},
		{[]float64{432.1, 5, -7.25}, "step 20 · a 432 · b 5 · c -7"},
		{[]float64{0, 0, 0}, "step 20 · a 0 · b 0 · c 0"},
	} {
		data := make([][]state.Point, len(tt.vals))
		for i, v := range tt.vals {
			data[i] = []state.Point{{Step: 10, V: v + 1}, {Step: 20, V: v}}
		}
		if got := readout([]string{"a", "b", "c"}, data, 20); got != tt.want {
			t.Errorf("readout of %v: %q, want %q", tt.vals, got, tt.want)
		}
	}
	data := [][]state.Point{{{Step: 10, V: 0.3}}, {{Step: 10, V: 0.25}, {Step: 20, V: 0.125}}}
	if got, want := readout([]string{"a", "b"}, data, 20), "step 20 · a 0.300 (at step 10) · b 0.125"; got != want {
		t.Errorf("readout %q, want %q", got, want)
	}
}

// Each series of a read-out is a part of its own, escaped.
func TestReadoutMarkupKeepsEachSeriesTogether(t *testing.T) {
	got := readoutMarkup("step 20 · opsd-rkl (rho 0) 0.300 · a<b 1")
	want := `<span class="part">step 20</span>&nbsp;· <span class="part">opsd-rkl (rho 0) 0.300</span>&nbsp;· <span class="part">a&lt;b 1</span>`
	if got != want {
		t.Errorf("readoutMarkup: %s, want %s", got, want)
	}
}
