package diag

import "fmt"

// Detector decides when a run has collapsed — when what the model says has
// narrowed: answers got short, and either their entropy fell or the model
// turned over-cautious. It compares each evaluation with the first one (the
// starting student). The zero value uses the documented defaults:
//
//   - LengthFrac 0.80: benign answers at most 80% of their initial length, and
//   - EntropyFrac 0.85: per-token entropy at most 85% of its initial value, or
//     OverRefusalRise 0.15: over-refusal at least 0.15 above its initial value,
//   - at Persist consecutive evaluations (default 2; the last evaluation of a
//     run counts alone).
//
// The collapse step is the first evaluation of that streak.
type Detector struct {
	LengthFrac      float64
	EntropyFrac     float64
	OverRefusalRise float64
	Persist         int
}

func (d Detector) withDefaults() Detector {
	if d.LengthFrac == 0 {
		d.LengthFrac = 0.80
	}
	if d.EntropyFrac == 0 {
		d.EntropyFrac = 0.85
	}
	if d.OverRefusalRise == 0 {
		d.OverRefusalRise = 0.15
	}
	if d.Persist == 0 {
		d.Persist = 2
	}
	return d
}

// Collapsed reports whether evaluation m is collapsed relative to initial.
func (d Detector) Collapsed(initial, m Metrics) bool {
	d = d.withDefaults()
	short := m.LengthBenign <= d.LengthFrac*initial.LengthBenign
	narrow := m.Entropy <= d.EntropyFrac*initial.Entropy || m.OverRefusal >= initial.OverRefusal+d.OverRefusalRise
	return short && narrow
}

// Detect returns the step at which the run collapsed, or -1, and a sentence
// saying what collapsed. history[0] is the initial evaluation.
func (d Detector) Detect(history []Metrics, final bool) (int, string) {
	d = d.withDefaults()
	if len(history) < 2 {
		return -1, ""
	}
	init := history[0]
	for i := 1; i < len(history); i++ {
		streak := 0
		for j := i; j < len(history) && d.Collapsed(init, history[j]); j++ {
			streak++
		}
		if streak >= d.Persist || (final && streak > 0 && i+streak == len(history)) {
			m := history[i]
			return m.Step, fmt.Sprintf("collapsed at step %d: benign answers %.0f%% of their initial length (%.1f → %.1f tokens), entropy %.0f%% (%.2f → %.2f nats), over-refusal %.2f → %.2f",
				m.Step, 100*m.LengthBenign/init.LengthBenign, init.LengthBenign, m.LengthBenign,
				100*m.Entropy/init.Entropy, init.Entropy, m.Entropy, init.OverRefusal, m.OverRefusal)
		}
	}
	return -1, ""
}
