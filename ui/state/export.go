package state

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
)

// ReportJSON is a report as `copsd run -json` writes it.
func ReportJSON(rep *distill.Report) []byte {
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		// A report holds only numbers and strings; NaN is the one way to fail.
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return append(b, '\n')
}

var trainCols = []struct {
	name string
	get  func(distill.TrainMetrics) float64
}{
	{"loss", func(m distill.TrainMetrics) float64 { return m.Loss }},
	{"divergence", func(m distill.TrainMetrics) float64 { return m.Divergence }},
	{"student_entropy", func(m distill.TrainMetrics) float64 { return m.StudentEntropy }},
	{"teacher_entropy", func(m distill.TrainMetrics) float64 { return m.TeacherEntropy }},
	{"length", func(m distill.TrainMetrics) float64 { return m.Length }},
	{"reward", func(m distill.TrainMetrics) float64 { return m.Reward }},
	{"refusal_rate", func(m distill.TrainMetrics) float64 { return m.RefusalRate }},
	{"grad_norm", func(m distill.TrainMetrics) float64 { return m.GradNorm }},
	{"kl_initial", func(m distill.TrainMetrics) float64 { return m.KLInitial }},
}

var evalCols = []struct {
	name string
	get  func(diag.Metrics) float64
}{
	{"safety", func(m diag.Metrics) float64 { return m.Safety }},
	{"helpfulness", func(m diag.Metrics) float64 { return m.Helpfulness }},
	{"borderline_helpfulness", func(m diag.Metrics) float64 { return m.BorderlineHelpfulness }},
	{"over_refusal", func(m diag.Metrics) float64 { return m.OverRefusal }},
	{"reasoning", func(m diag.Metrics) float64 { return m.Reasoning }},
	{"length_benign", func(m diag.Metrics) float64 { return m.LengthBenign }},
	{"entropy", func(m diag.Metrics) float64 { return m.Entropy }},
	{"distinct2", func(m diag.Metrics) float64 { return m.Distinct2 }},
	{"teacher_entropy", func(m diag.Metrics) float64 { return m.TeacherEntropy }},
	{"kl_teacher", func(m diag.Metrics) float64 { return m.KLTeacher }},
	{"kl_initial", func(m diag.Metrics) float64 { return m.KLInitial }},
	{"self_bleu", func(m diag.Metrics) float64 { return m.SelfBLEU }},
	{"diversity", func(m diag.Metrics) float64 { return m.Diversity }},
}

// ReportCSV is a report's per-step metrics as CSV: one row per step from 0,
// the training metrics under train_*, the evaluations (every few steps)
// under eval_*, empty where a step has none. Numbers are written exactly
// (the shortest text that reads back to the same float64).
func ReportCSV(rep *distill.Report) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"step"}
	for _, c := range trainCols {
		head = append(head, "train_"+c.name)
	}
	for _, c := range evalCols {
		head = append(head, "eval_"+c.name)
	}
	w.Write(head)
	evals := map[int]diag.Metrics{}
	last := len(rep.Train)
	for _, m := range rep.Steps {
		evals[m.Step] = m
		last = max(last, m.Step)
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for step := 0; step <= last; step++ {
		row := []string{strconv.Itoa(step)}
		for _, c := range trainCols {
			if step >= 1 && step <= len(rep.Train) {
				row = append(row, num(c.get(rep.Train[step-1])))
			} else {
				row = append(row, "")
			}
		}
		m, ok := evals[step]
		for _, c := range evalCols {
			if ok {
				row = append(row, num(c.get(m)))
			} else {
				row = append(row, "")
			}
		}
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}
