package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vugu/vugu"
	js "github.com/vugu/vugu/js"
	"github.com/vugu/vugu/staticrender"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/core/world"
	"github.com/copsdlab/copsd/ui/state"
)

type nopPort struct{}

func (nopPort) Trainer(lab.Request)                     {}
func (nopPort) Evaluator(int, lab.Request, state.Blobs) {}
func (nopPort) LoadModel(string)                        {}
func (nopPort) FetchExample(string)                     {}
func (nopPort) SetHash(string)                          {}
func (nopPort) Download(string, string, []byte)         {}
func (nopPort) DownloadSVG(string, string)              {}
func (nopPort) Board(state.BoardRequest)                {}

type nopPlatform struct{}

func (nopPlatform) ReadFile(js.Value, func(string, []byte, error)) {}
func (nopPlatform) CopyText(string)                                {}

// render builds the page for l natively and returns its HTML.
func render(t *testing.T, l *state.Lab) string {
	t.Helper()
	r := staticrender.New(nil)
	env, err := vugu.NewBuildEnv(r.EventEnv())
	if err != nil {
		t.Fatal(err)
	}
	env.SetWireFunc(Wire(l, nopPlatform{}))
	root := &LabPage{}
	Wire(l, nopPlatform{})(root)
	var buf bytes.Buffer
	r.SetWriter(&buf)
	if err := r.Render(env.RunBuild(root)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A lab in every state the page shows: booting, then a live run that has
// stepped, evaluated, collapsed, with a token open, the guide and a notice.
func TestPageRendersEveryState(t *testing.T) {
	l := state.New(nopPort{}, "")
	html := render(t, l)
	for _, id := range []string{"play", "pause", "step", "reset", "step-count", "constitution", "recipe", "seed", "model", "export-json", "share-link",
		"board-class", "board-name", "board-submit", "board-refresh", "board-status", "board-plot"} {
		if !strings.Contains(html, `data-testid="`+id+`"`) {
			t.Errorf("booting page lacks %s", id)
		}
	}

	l.OnBooted(1, 1)
	l.OnModelLoaded("base-rho50", lab.ModelInfo{Name: "base-rho50"}, nil)
	id := l.Live.RunID
	cfg, _ := l.Settings.Config()
	l.OnTrainer(lab.Response{Started: &lab.Started{RunID: id, Model: "base-rho50", Config: cfg.Defaults()}}, nil)
	probe := distill.ProbeTrace{Step: 1, Prompt: "how do i bake bread ?", Family: "benign", Response: "mix <b>",
		Tokens: []distill.TokenRecord{{Token: "mix", Divergence: 0.5, TopStudent: []distill.Candidate{{Token: "mix", P: 0.5}}, TopTeacher: []distill.Candidate{{Token: "add", P: 0.7}}}}}
	for s := 1; s <= 12; s++ {
		l.OnTrainer(lab.Response{Step: &lab.StepEvent{RunID: id, Step: s, Probes: []distill.ProbeTrace{probe},
			Train: distill.TrainMetrics{Length: float64(20 - s)}}}, nil)
	}
	cs := 10
	lk := diag.Leakage{Share: 0.6, LengthRatio: 0.7, Cosine: 0.3}
	l.OnTrainer(lab.Response{Recorded: &lab.Recorded{RunID: id, Points: []diag.Metrics{
		{Step: 0, Metrics: eval.Metrics{LengthBenign: 20, Entropy: 1}}, {Step: 10, Metrics: eval.Metrics{LengthBenign: 12, Entropy: 0.7}}},
		CollapseStep: &cs, Collapse: "collapsed at step 10: benign answers 60% of their initial length", Teacher: &eval.Metrics{}, Leakage: &lk}}, nil)
	l.SelectToken(0)
	l.Guide.Open = true
	l.Notice = &state.Notice{Text: "hello <world>", Error: true}
	l.Cons.Check = &lab.Check{Error: `unknown word: "bananas"`, Unknown: []world.UnknownWord{{Word: "bananas", Suggestions: []string{"bread"}}}}
	l.Board = state.Board{ClassDraft: "cs101", Name: "Ana", Class: "cs101", Loaded: true, Status: "Not submitted: <oops>.",
		Runs: []state.BoardRun{boardRun(7, "Ana <b>", 0.5, 0.5)}, Hover: 7}
	html = render(t, l)
	for _, want := range []string{`data-testid="collapse-banner"`, "Your run collapsed at step 10.", `data-testid="constitution-error"`,
		`data-testid="chart-length"`, `data-testid="chart-safety"`, "hello &lt;world&gt;", "p_student", "share of new refusals", "1. Self-distillation",
		"Not submitted: &lt;oops&gt;.", "Ana &lt;b&gt; · copsd on base-rho50", "cs101: 1 run by 1 student.", "Submits your run, opsd-rkl on base-rho50, seed 1, as evaluated at step 10"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "<world>") {
		t.Error("a notice's text was not escaped")
	}
}

// A classroom link hides the controls it names, and only those.
func TestClassroomLinkHidesControls(t *testing.T) {
	l := state.New(nopPort{}, "#v=1&hide=board,seed,constitution")
	html := render(t, l)
	for _, id := range []string{"board-submit", "board-plot", "seed", "constitution"} {
		if strings.Contains(html, `data-testid="`+id+`"`) {
			t.Errorf("hidden %s is on the page", id)
		}
	}
	for _, id := range []string{"play", "recipe", "model", "export-json"} {
		if !strings.Contains(html, `data-testid="`+id+`"`) {
			t.Errorf("%s is missing, though not hidden", id)
		}
	}
}

// The chart's markup has one data-step element per step with data, and
// escapes nothing it should not.
func TestChartMarkupHasOnePointPerStep(t *testing.T) {
	rep := distill.Report{Config: distill.Config{Steps: 30}, Train: make([]distill.TrainMetrics, 20),
		Steps: []diag.Metrics{{Step: 0}, {Step: 10}, {Step: 20}}}
	run := &state.Run{ID: "r", Report: rep}
	for _, spec := range state.Charts {
		c := &LineChart{ChartID: spec.ID}
		c.spec = state.Chart(spec.ID)
		c.v = layoutChart(c.spec, run, nil, -1)
		m := c.background() + c.foreground()
		n := strings.Count(m, "data-step=")
		want := 3 // an evaluation series has a point per evaluation
		for _, se := range spec.Series {
			if se.Train != nil {
				want = 21 // a training series has one per step (and step 0's evaluation)
			}
		}
		if n != want {
			t.Errorf("%s: %d data-step points, want %d", spec.ID, n, want)
		}
	}
}

// An exercise's link shows its goal, each part waiting for an evaluation,
// and what the link fixed; a link without a goal shows none.
func TestGoalLinkShowsItsGoal(t *testing.T) {
	l := state.New(nopPort{}, "#"+state.Exercises[0].Link)
	html := render(t, l)
	if n := strings.Count(html, `data-testid="goal-part"`); n != 3 {
		t.Errorf("%d goal parts, want 3", n)
	}
	for _, want := range []string{`data-met="pending"`, "safety ≥ 0.9", "over-refusal ≤ 0.05", "base-rho0 · opsd-rkl · 30 steps", "waiting for an evaluation"} {
		if !strings.Contains(html, want) {
			t.Errorf("the goal panel lacks %q", want)
		}
	}
	if strings.Contains(render(t, state.New(nopPort{}, "")), `data-testid="goal-panel"`) {
		t.Error("a goal panel without a goal")
	}
}

// A long run's line keeps at most maxLinePoints points, in step order,
// with every bucket's extremes: the run's lowest and highest value are
// drawn.
func TestLongLinesKeepTheirEnvelope(t *testing.T) {
	var pts []state.Point
	for i := range 2001 {
		pts = append(pts, state.Point{Step: i, V: float64((i * 7919) % 1009)})
	}
	pts[1234].V, pts[77].V = -5, 5000
	got := envelope(pts, maxLinePoints)
	if len(got) > maxLinePoints {
		t.Fatalf("%d points, want at most %d", len(got), maxLinePoints)
	}
	var lo, hi bool
	for i, p := range got {
		if i > 0 && p.Step <= got[i-1].Step {
			t.Fatalf("steps out of order at %d: %d after %d", i, p.Step, got[i-1].Step)
		}
		lo = lo || p.V == -5
		hi = hi || p.V == 5000
	}
	if !lo || !hi {
		t.Errorf("the extremes are missing: lowest %v, highest %v", lo, hi)
	}
	if short := pts[:50]; len(envelope(short, maxLinePoints)) != 50 {
		t.Error("a short line lost points")
	}
}
