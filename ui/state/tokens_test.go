package state

import (
	"math"
	"strings"
	"testing"
)

// A token's word and number were written in dark grey or white by a fixed
// threshold on its value, which left mid-ramp tokens (e.g. a divergence of
// 0.7 on rgb(220,106,106)) at 3.3:1, under WCAG AA's 4.5:1. The ink is now
// the better of white and black: every colour of every scale, and NaN's
// grey, reaches 4.5:1.
func TestTokenInkContrastBelowAA(t *testing.T) {
	worst := math.Inf(1)
	for _, c := range TokenColors {
		s := ScaleFor(c)
		for i := 0; i <= 1000; i++ {
			v := s.Min - 0.5 + (s.Max-s.Min+1)*float64(i)/1000
			if i == 1000 {
				v = math.NaN()
			}
			ink := [3]int{0, 0, 0}
			if s.Ink(v) == "#fff" {
				ink = [3]int{255, 255, 255}
			}
			r := ContrastRatio(s.rgb(v), ink)
			worst = min(worst, r)
			if r < 4.5 {
				t.Errorf("%s %g: %s on %s is %.2f:1, want ≥ 4.5:1", c, v, s.Ink(v), s.Color(v), r)
			}
			if !strings.HasPrefix(s.Color(v), "rgb(") {
				t.Errorf("%s %g: colour %q", c, v, s.Color(v))
			}
		}
	}
	t.Logf("lowest contrast of a token's ink: %.2f:1", worst)
}

// The contrast ratio is WCAG's: 21:1 for black on white, 1:1 for a colour
// on itself, and 4.48:1 for #777 on white.
func TestContrastRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b [3]int
		want float64
	}{{[3]int{0, 0, 0}, [3]int{255, 255, 255}, 21}, {[3]int{9, 99, 199}, [3]int{9, 99, 199}, 1}, {[3]int{0x77, 0x77, 0x77}, [3]int{255, 255, 255}, 4.48}} {
		if got := ContrastRatio(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("ContrastRatio(%v, %v) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}
