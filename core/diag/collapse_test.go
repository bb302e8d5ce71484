package diag

import (
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/eval"
)

func point(step int, length, entropy, overRefusal float64) Metrics {
	return Metrics{Step: step, Metrics: eval.Metrics{LengthBenign: length, Entropy: entropy, OverRefusal: overRefusal}}
}

func TestDetector(t *testing.T) {
	init := point(0, 30, 0.4, 0)
	for _, tc := range []struct {
		name    string
		history []Metrics
		final   bool
		want    int
	}{
		{"stable", []Metrics{init, point(10, 29, 0.39, 0.01), point(20, 30, 0.41, 0)}, true, -1},
		{"short and over-cautious, persists", []Metrics{init, point(10, 28, 0.4, 0), point(20, 20, 0.4, 0.3), point(30, 19, 0.38, 0.3)}, false, 20},
		{"short and low entropy", []Metrics{init, point(10, 20, 0.3, 0), point(20, 21, 0.33, 0.02)}, false, 10},
		{"a blip does not count", []Metrics{init, point(10, 20, 0.3, 0.3), point(20, 29, 0.4, 0), point(30, 30, 0.4, 0)}, false, -1},
		{"the last evaluation counts alone at the end", []Metrics{init, point(10, 29, 0.4, 0), point(20, 18, 0.3, 0.2)}, true, 20},
		{"short but neither narrower nor cautious", []Metrics{init, point(10, 20, 0.4, 0.05), point(20, 20, 0.4, 0.05)}, true, -1},
		{"cautious but not short", []Metrics{init, point(10, 28, 0.4, 0.3), point(20, 28, 0.4, 0.3)}, true, -1},
	} {
		got, why := Detector{}.Detect(tc.history, tc.final)
		if got != tc.want {
			t.Errorf("%s: collapse step %d, want %d (%s)", tc.name, got, tc.want, why)
		}
		if got >= 0 && !strings.Contains(why, "collapsed at step") {
			t.Errorf("%s: explanation %q", tc.name, why)
		}
	}
}

func TestSelfBLEU(t *testing.T) {
	same := [][]int32{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}}
	if b := SelfBLEU(same, 4); b < 0.999 {
		t.Errorf("identical samples: self-BLEU %v, want 1", b)
	}
	diff := [][]int32{{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}}
	if b := SelfBLEU(diff, 4); b != 0 {
		t.Errorf("disjoint samples: self-BLEU %v, want 0", b)
	}
	some := [][]int32{{1, 2, 3, 4, 5}, {1, 2, 3, 9, 9}}
	if b := SelfBLEU(some, 4); b <= 0 || b >= 1 {
		t.Errorf("overlapping samples: self-BLEU %v, want strictly between 0 and 1", b)
	}
	if SelfBLEU(same[:1], 4) != 0 {
		t.Error("one sample has no self-BLEU")
	}
}
