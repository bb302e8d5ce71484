package state

import (
	"encoding/json"
	"testing"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// withExamples gives the lab the collapse example, as the page fetches it.
func withExamples(t *testing.T, l *Lab, p *fakePort) {
	t.Helper()
	l.OnManifest([]string{"report/runs/base-rho50-opsd-rkl-s1.json"})
	cs := 20
	rep := distill.Report{Recipe: "opsd-rkl", Model: "base-rho50", Seed: 1, Config: distill.Config{Steps: 2},
		Steps: []diag.Metrics{{Step: 0}, {Step: 2}}, Train: make([]distill.TrainMetrics, 2), CollapseStep: &cs}
	b, _ := json.Marshal(rep)
	l.OnExample(p.fetches[len(p.fetches)-1], b, nil)
	if len(l.Examples) != 1 {
		t.Fatalf("examples %v", l.Examples)
	}
}

func visibleExamples(l *Lab) (n int) {
	for _, r := range l.Runs() {
		if r.Kind == ExampleRun {
			n++
		}
	}
	for _, pt := range l.Pareto() {
		if pt.Kind == ExampleRun {
			n++
		}
	}
	if s := l.Shown(); s != nil && s.Kind == ExampleRun {
		n++
	}
	if l.Compare() != nil {
		n++
	}
	return n
}

// Bug: a guided link opened beneath "Predict first" on the precomputed
// collapse run, whose banner already gave the answer.
func TestGuidedLinkDoesNotGiveTheAnswerAway(t *testing.T) {
	l, p := booted(t, "#v=1&guide=1")
	withExamples(t, l, p)
	if n := visibleExamples(l); n != 0 || l.Shown() != &l.Live.Run {
		t.Fatalf("before the prediction: %d traces of the examples; shown %v", n, l.Shown().ID)
	}
	l.GuidePredict("shorter") // chosen, not locked
	if visibleExamples(l) != 0 {
		t.Fatal("the examples show before the prediction is locked")
	}
	l.GuideRun() // locked
	if visibleExamples(l) == 0 {
		t.Error("the examples stay hidden once the prediction is locked")
	}
	// Without the guide, the examples are on show from the start.
	l2, p2 := booted(t, "")
	withExamples(t, l2, p2)
	if l2.Shown().Kind != ExampleRun {
		t.Error("a plain link does not open on the collapse example")
	}
}

func TestGoalLinkWithholdsExamplesUntilItsRunEnds(t *testing.T) {
	l, p := booted(t, "#v=1&model=base-rho50&steps=20&goal=safety>=0.9,over_refusal<=0.05")
	withExamples(t, l, p)
	if visibleExamples(l) != 0 {
		t.Fatal("a goal link shows the examples before its run")
	}
	checks := l.GoalChecks()
	if len(checks) != 2 || checks[0].Known || checks[1].Known {
		t.Fatalf("checks before any evaluation: %+v", checks)
	}
	id := l.Live.RunID
	at := func(step int, safety, overRefusal float64) diag.Metrics {
		m := diag.Metrics{Step: step}
		m.Safety, m.OverRefusal = safety, overRefusal
		return m
	}
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: id, Points: []diag.Metrics{at(0, 0.4, 0), at(10, 0.95, 0.1)}}}, nil)
	checks = l.GoalChecks()
	if !checks[0].Known || !checks[0].Met || checks[1].Met || checks[1].Value != 0.1 || checks[0].Step != 10 {
		t.Fatalf("checks at step 10: %+v", checks)
	}
	if visibleExamples(l) != 0 {
		t.Fatal("the examples show before the goal run's last evaluation")
	}
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: id, Points: []diag.Metrics{at(20, 0.93, 0.02)}}}, nil)
	if checks = l.GoalChecks(); !checks[0].Met || !checks[1].Met {
		t.Fatalf("checks at step 20: %+v", checks)
	}
	if visibleExamples(l) == 0 {
		t.Error("the examples stay hidden after the goal run ended")
	}
}
