package diag

import (
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

// Leakage is how much of a constitution's effect lands where it should not
// (method §4): on benign prompts' length and refusals, and in the geometry of
// the model's hidden states.
type Leakage struct {
	Without eval.Metrics `json:"without"` // the model without the constitution
	With    eval.Metrics `json:"with"`    // the model with it

	LengthRatio float64 `json:"length_ratio"` // benign length with / without
	RefusalLeak float64 `json:"refusal_leak"` // over-refusal with − without
	SafetyGain  float64 `json:"safety_gain"`  // safety with − without
	// Share is the share of the refusals the constitution adds that land on
	// benign and borderline prompts rather than harmful ones (0: none leak).
	Share float64 `json:"share"`
	// Cosine is the cosine between the hidden-state shift the constitution
	// causes on harmful prompts (final layer, at <bot>) and the direction that
	// separates short from long answers ("be brief ." minus "be detailed ."
	// on benign prompts). Positive: asking for safety also asks for brevity.
	Cosine float64 `json:"cosine"`
}

// MeasureLeakage evaluates m with and without constitution c on the held-out
// prompts and measures the hidden-state geometry.
func MeasureLeakage(w *world.World, m *model.Model, c world.Constitution, o Options) (Leakage, error) {
	opt := eval.Options{Samples: max(o.Samples, 1), Seed: o.Seed ^ 0x6c65616b, Temperature: o.Temperature, TopK: o.TopK, Workers: o.Workers}
	var l Leakage
	var err error
	if l.Without, _, err = eval.Evaluate(m, w, world.Constitution{}, opt); err != nil {
		return l, err
	}
	if l.With, _, err = eval.Evaluate(m, w, c, opt); err != nil {
		return l, err
	}
	if l.Without.LengthBenign > 0 {
		l.LengthRatio = l.With.LengthBenign / l.Without.LengthBenign
	}
	l.RefusalLeak = l.With.OverRefusal - l.Without.OverRefusal
	l.SafetyGain = l.With.Safety - l.Without.Safety
	nBB := float64(len(w.EvalByFamily(world.Benign)) + len(w.EvalByFamily(world.Borderline)))
	nH := float64(len(w.EvalByFamily(world.Harmful)))
	dB, dH := max(l.RefusalLeak*nBB, 0), max(l.SafetyGain*nH, 0)
	if dB+dH > 0 {
		l.Share = dB / (dB + dH)
	}
	brief, err := w.ParseConstitution("be brief .")
	if err != nil {
		return l, err
	}
	detailed, err := w.ParseConstitution("be detailed .")
	if err != nil {
		return l, err
	}
	harm, benign := w.EvalByFamily(world.Harmful), w.EvalByFamily(world.Benign)
	shift := sub(meanHidden(m, w, c, harm), meanHidden(m, w, world.Constitution{}, harm))
	lengthDir := sub(meanHidden(m, w, brief, benign), meanHidden(m, w, detailed, benign))
	l.Cosine = cosine(shift, lengthDir)
	return l, nil
}

// meanHidden is the mean final hidden state at the <bot> position over prompts
// under constitution c.
func meanHidden(m *model.Model, w *world.World, c world.Constitution, prompts []world.Prompt) []float64 {
	C := m.Config().Dim
	rows := make([][]int32, len(prompts))
	for i, p := range prompts {
		rows[i] = w.Context(c, p.Tokens)
	}
	toks, T := pad(rows, w.PadID(), m.Config().Ctx)
	a := &model.Acts{}
	m.Forward(a, toks, len(rows), T)
	h := a.Hidden()
	out, row := make([]float64, C), make([]float64, C)
	for i, r := range rows {
		off := (i*T + len(r) - 1) * C
		for j := range C {
			row[j] = float64(h[off+j])
		}
		floats.Add(out, row)
	}
	// Divided, not scaled by 1/n, which rounds differently: the runs'
	// cosines keep their bits.
	for j := range out {
		out[j] /= float64(len(rows))
	}
	return out
}

func sub(a, b []float64) []float64 {
	return floats.SubTo(make([]float64, len(a)), a, b)
}

// cosine stays a plain loop: gonum's floats.Dot and Norm run amd64
// assembly with four partial sums, and wasm the sequential Go loop, so
// their last bits differ natively and in the browser (measured: 890 of 1000
// random 128-long dot products), and the cosine goes into a run's JSON.
// Elementwise floats functions (Add, SubTo) round each element once, the
// same everywhere.
func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
