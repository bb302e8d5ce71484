package state

import "fmt"

// Experiment is one stage of the guided "predict, then run" sequence.
type Experiment struct {
	Title    string
	Model    string
	Recipe   string
	Question string
	Why      string // said after the run, whatever was predicted
}

// Predictions a learner can make about benign answers' length.
var Predictions = []string{"shorter", "about the same", "longer"}

// GuideSteps is how long each guided run plays: five evaluations, long
// enough for the collapse detector to call the default run's collapse
// (two collapsed evaluations in a row) — about 12 s in a browser.
const GuideSteps = 50

// Experiments are the three classroom experiments.
var Experiments = []Experiment{
	{"1. Self-distillation under a constitution", "base-rho50", "opsd-rkl",
		"The student learns from itself shown the safety constitution (reverse KL). On this model, safety and brevity were correlated in the data it learned from (rho 0.5). What happens to its answers to benign requests?",
		"The constitution made the teacher both safer and terser; reverse KL pulls the student onto that narrower mode, so expressiveness leaks away with the safety."},
	{"2. The control", "base-rho0", "opsd-rkl",
		"The same recipe, but on a model whose data kept safety and brevity independent (rho 0). What happens to benign answers now?",
		"With no correlation in the data, the constitution's pull has no brevity in it: the collapse in experiment 1 came from the leakage, not from distillation itself."},
	{"3. COPSD", "base-rho50", "copsd",
		"COPSD first fine-tunes the teacher, with the constitution in view, on the student's own answers to benign requests, then distils. Back on the rho 0.5 model: what happens to benign answers?",
		"The calibrated teacher keeps the student's answers where they were on benign requests while still refusing harmful ones, so distilling from it does not collapse."},
}

// Guide is the state of the guided sequence.
type Guide struct {
	Open    bool
	Stage   int
	Predict [3]string
	Outcome [3]string // what the run showed, once it has
	running bool
}

// GuidePredict records a prediction for the current stage.
func (l *Lab) GuidePredict(p string) {
	g := &l.Guide
	if g.Outcome[g.Stage] == "" && !g.running {
		g.Predict[g.Stage] = p
	}
}

// GuideRun sets up the current stage's run and plays it.
func (l *Lab) GuideRun() {
	g := &l.Guide
	e := Experiments[g.Stage]
	if g.Predict[g.Stage] == "" || g.running {
		return
	}
	s := l.Settings
	s.Model, s.Seed, s.Constitution = e.Model, 1, ""
	if err := s.ApplyRecipe(e.Recipe); err != nil {
		l.Notice = &Notice{Text: err.Error(), Error: true}
		return
	}
	s.StopAt = GuideSteps
	l.Settings = s
	l.Cons.Draft, l.Cons.Check = s.Constitution, nil
	g.running, g.Outcome[g.Stage] = true, ""
	l.Reset()
}

// Running reports whether the current stage's run is playing out: its
// prediction is locked and its Run button waits.
func (g *Guide) Running() bool { return g.running }

// GuideNext moves to the next stage (or back to the first).
func (l *Lab) GuideNext() {
	g := &l.Guide
	g.Stage = (g.Stage + 1) % len(Experiments)
	g.running = false
}

// SetGuide opens or closes the guided sequence.
func (l *Lab) SetGuide(open bool) {
	l.Guide.Open = open
	l.Settings.Guide = open
	l.syncURL()
}

// onStarted plays the guided run once it has started. A run that is not the
// stage's (the learner changed the model, recipe or seed meanwhile) ends the
// stage's run: its Run button is offered again.
func (g *Guide) onStarted(l *Lab) {
	if !g.running || l.Live == nil {
		return
	}
	e, r := Experiments[g.Stage], &l.Live.Report
	if r.Model != e.Model || r.Recipe != e.Recipe || r.Seed != 1 {
		g.running = false
		return
	}
	l.Play()
}

// onProgress reveals the outcome once the guided run has its last
// evaluation.
func (g *Guide) onProgress(l *Lab) {
	if !g.running || l.Live == nil {
		return
	}
	m := l.Live.Run.Latest()
	if m == nil || m.Step < GuideSteps || len(l.Live.Report.Steps) < 2 {
		return
	}
	g.running = false
	i := l.Live.Report.Steps[0]
	ratio := m.LengthBenign / max(i.LengthBenign, 1e-9)
	seen := "about the same"
	switch {
	case ratio < 0.9:
		seen = "shorter"
	case ratio > 1.1:
		seen = "longer"
	}
	verdict := "as you predicted"
	if seen != g.Predict[g.Stage] {
		verdict = "you predicted " + g.Predict[g.Stage]
	}
	g.Outcome[g.Stage] = fmt.Sprintf("Benign answers went from %.1f to %.1f tokens (%.0f%%): %s — %s. Over-refusal %.2f → %.2f, safety %.2f → %.2f.",
		i.LengthBenign, m.LengthBenign, 100*ratio, seen, verdict, i.OverRefusal, m.OverRefusal, i.Safety, m.Safety)
}
