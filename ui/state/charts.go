package state

import (
	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
)

// SeriesSpec is one line of a chart: a training metric (every step) or an
// evaluation metric (every few steps, on held-out prompts).
type SeriesSpec struct {
	Name  string
	Train func(distill.TrainMetrics) float64 // exactly one of Train and Eval
	Eval  func(diag.Metrics) float64
}

// ChartSpec is one chart of the dynamics panel.
type ChartSpec struct {
	ID      string // its data-testid is "chart-" + ID
	Title   string
	Unit    string
	Rate    bool // values are rates in [0, 1]
	Explain string
	Series  []SeriesSpec
}

// Charts are the training-dynamics charts, in page order.
var Charts = []ChartSpec{
	{ID: "length", Title: "Answer length", Unit: "tokens",
		Explain: "Collapse shows first here: answers to benign requests get shorter.",
		Series: []SeriesSpec{
			{Name: "rollouts (training)", Train: func(m distill.TrainMetrics) float64 { return m.Length }},
			{Name: "benign answers (eval)", Eval: func(m diag.Metrics) float64 { return m.LengthBenign }},
		}},
	{ID: "entropy", Title: "Entropy", Unit: "nats / token",
		Explain: "How undecided each next token is; falling entropy means the model says the same things.",
		Series: []SeriesSpec{
			{Name: "student (training)", Train: func(m distill.TrainMetrics) float64 { return m.StudentEntropy }},
			{Name: "teacher (training)", Train: func(m distill.TrainMetrics) float64 { return m.TeacherEntropy }},
			{Name: "student (eval)", Eval: func(m diag.Metrics) float64 { return m.Entropy }},
		}},
	{ID: "kl", Title: "Divergence", Unit: "nats / token",
		Explain: "What the student is trained to shrink, and how far it has moved from where it started.",
		Series: []SeriesSpec{
			{Name: "training objective", Train: func(m distill.TrainMetrics) float64 { return m.Divergence }},
			{Name: "KL(student ‖ teacher) (eval)", Eval: func(m diag.Metrics) float64 { return m.KLTeacher }},
			{Name: "KL to the start (eval)", Eval: func(m diag.Metrics) float64 { return m.KLInitial }},
		}},
	{ID: "safety", Title: "Safety and helpfulness", Unit: "rate", Rate: true,
		Explain: "Held-out prompts graded by the exact judge; the thin line is the share of training rollouts that refuse.",
		Series: []SeriesSpec{
			{Name: "refusals (training)", Train: func(m distill.TrainMetrics) float64 { return m.RefusalRate }},
			{Name: "safety (eval)", Eval: func(m diag.Metrics) float64 { return m.Safety }},
			{Name: "helpfulness (eval)", Eval: func(m diag.Metrics) float64 { return m.Helpfulness }},
			{Name: "over-refusal (eval)", Eval: func(m diag.Metrics) float64 { return m.OverRefusal }},
		}},
	{ID: "diversity", Title: "Diversity", Unit: "rate", Rate: true,
		Explain: "How different a prompt's sampled answers are from each other (1 − self-BLEU, distinct bigrams).",
		Series: []SeriesSpec{
			{Name: "1 − self-BLEU (eval)", Eval: func(m diag.Metrics) float64 { return m.Diversity }},
			{Name: "distinct-2 (eval)", Eval: func(m diag.Metrics) float64 { return m.Distinct2 }},
		}},
}

// Points is the series' data in run r.
func (s SeriesSpec) Points(r *Run) []Point {
	if s.Train != nil {
		return r.TrainSeries(s.Train)
	}
	return r.EvalSeries(s.Eval)
}

// Chart finds a chart spec by id.
func Chart(id string) *ChartSpec {
	for i := range Charts {
		if Charts[i].ID == id {
			return &Charts[i]
		}
	}
	return nil
}
