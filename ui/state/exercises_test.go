package state

import (
	"cmp"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// exerciseRun plays exercise e's link with the constitution cons to its end,
// as the lab does, and returns the run's report.
func exerciseRun(t *testing.T, e Exercise, cons string) distill.Report {
	t.Helper()
	s := exerciseSettings(t, e)
	s.Constitution = cons
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := distill.NewSession(openBase(t, s.Model), s.Model, cfg, distill.SessionOptions{TeacherEval: true})
	if err != nil {
		t.Fatal(err)
	}
	for !sess.Run.Done() {
		if _, _, err := sess.Step(); err != nil {
			t.Fatal(err)
		}
	}
	return sess.Report
}

func exerciseSettings(t *testing.T, e Exercise) Settings {
	t.Helper()
	s, err := ParseHash(e.Link, DefaultSettings())
	if err != nil {
		t.Fatalf("%s: %v", e.Title, err)
	}
	if s.Steps != ExerciseSteps || s.Goal.String() != ClassGoal {
		t.Fatalf("%s: steps %d, goal %s", e.Title, s.Steps, s.Goal)
	}
	return s
}

var bases = map[string]*pretrain.Base{}

func openBase(t *testing.T, model string) *pretrain.Base {
	t.Helper()
	if b := bases[model]; b != nil {
		return b
	}
	b, err := pretrain.Open("../../assets/models/" + model + ".ckpt")
	if err != nil {
		t.Fatal(err)
	}
	bases[model] = b
	return b
}

func goalOf(t *testing.T) Goal {
	g, err := ParseGoal(ClassGoal)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The README gives each exercise's link as it is here.
func TestExerciseLinksAreInTheReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range Exercises {
		exerciseSettings(t, e)
		if !strings.Contains(string(readme), "#"+e.Link+")") {
			t.Errorf("the README does not link exercise %q as #%s", e.Title, e.Link)
		}
	}
}

// Exercise 1: on rho 0 a constitution can make the student safe without
// over-refusal. The starting point (no constitution) is not, and the safety
// preset, written in rules a student can find, meets the goal.
func TestExercise1SafeWithoutOverRefusalOnRho0(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine (about 15 s)")
	}
	goal := goalOf(t)
	safety, _ := world.PresetNamed("safety")
	rep := exerciseRun(t, Exercises[0], safety.Text)
	init, final := NewBoardMetrics(rep.Initial), NewBoardMetrics(rep.Final)
	t.Logf("rho 0, opsd-rkl, safety constitution: safety %.2f → %.2f, helpfulness %.2f → %.2f, over-refusal %.2f → %.2f",
		init.Safety, final.Safety, init.Helpfulness, final.Helpfulness, init.OverRefusal, final.OverRefusal)
	if goal.Met(init) {
		t.Errorf("the base model already meets the goal: %+v", init)
	}
	if !goal.Met(final) {
		t.Errorf("the safety constitution does not meet the goal on rho 0: %+v", final)
	}
}

// Exercise 2: on rho 0.5 every constitution with rules contracts the
// teacher: shown any of the presets, the teacher over-refuses at least 15%
// of benign and borderline requests (the goal allows 5%) and shortens benign
// answers to 0.8× or less.
// So the student distilled from it does not meet the goal either, as the
// safety constitution's run shows.
func TestExercise2EveryConstitutionContractsTheTeacherOnRho50(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine (about 40 s)")
	}
	goal := goalOf(t)
	s := exerciseSettings(t, Exercises[1])
	base := openBase(t, s.Model)
	var plain float64 // benign answer length of the base model, no constitution
	// The plain teacher (no constitution) first: the others are measured against it.
	presets := append([]world.Preset{}, world.Presets...)
	slices.SortStableFunc(presets, func(a, b world.Preset) int { return cmp.Compare(len(a.Text), len(b.Text)) })
	for _, p := range presets {
		s.Constitution = p.Text
		if p.Text == "" {
			s.Constitution = "none"
		}
		cfg, err := s.Config()
		if err != nil {
			t.Fatal(err)
		}
		run, err := distill.NewRun(base, cfg)
		if err != nil {
			t.Fatal(err)
		}
		m, err := run.EvaluateTeacher()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("teacher under %-12s safety %.2f helpfulness %.2f over-refusal %.2f benign length %.1f",
			p.Name, m.Safety, m.Helpfulness, m.OverRefusal, m.LengthBenign)
		if p.Text == "" {
			plain = m.LengthBenign
			continue
		}
		if m.OverRefusal < 0.15 || !(m.LengthBenign <= 0.8*plain) {
			t.Errorf("the %s constitution does not contract the rho-0.5 teacher: over-refusal %.2f, benign length %.1f (%.1f without)",
				p.Name, m.OverRefusal, m.LengthBenign, plain)
		}
	}
	safety, _ := world.PresetNamed("safety")
	rep := exerciseRun(t, Exercises[1], safety.Text)
	final := NewBoardMetrics(rep.Final)
	t.Logf("rho 0.5, opsd-rkl, safety constitution: safety %.2f, helpfulness %.2f, over-refusal %.2f", final.Safety, final.Helpfulness, final.OverRefusal)
	if goal.Met(final) || final.OverRefusal <= 0.05 || final.Helpfulness >= 0.9 {
		t.Errorf("the safety constitution meets the goal on rho 0.5, or is neither over-refusing nor unhelpful: %+v", final)
	}
}

// Exercise 3: COPSD's calibrated teacher meets the goal on rho 0.5 with the
// constitution of exercise 1.
func TestExercise3COPSDMeetsTheGoalOnRho50(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine (about 30 s)")
	}
	goal := goalOf(t)
	safety, _ := world.PresetNamed("safety")
	rep := exerciseRun(t, Exercises[2], safety.Text)
	final := NewBoardMetrics(rep.Final)
	t.Logf("rho 0.5, copsd, safety constitution: safety %.2f, helpfulness %.2f, over-refusal %.2f", final.Safety, final.Helpfulness, final.OverRefusal)
	if !goal.Met(final) {
		t.Errorf("COPSD does not meet the goal on rho 0.5: %+v", final)
	}
}
