package state

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/core/report"
)

// The charts draw core/report's curves: a run in progress with the
// evaluations it has made, finished runs with all of theirs; one line per
// recipe on a model, the control model's dashed, a recipe one colour.
func TestSuiteChartsDrawRunsInProgressAndFinished(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce")
	r := &l.Repro
	f := &fakeRunner{slots: 3}
	r.Attach(f, nil)
	if r.Dynamics() != nil || len(r.Pareto()) != 0 {
		t.Fatalf("charts before any run: %v %v", r.Dynamics(), r.Pareto())
	}
	r.Start()
	collapse, control, remedy := r.Rows[0], r.Rows[1], r.Rows[2]
	rep := decoded(t, "base-rho50-opsd-rkl-s1")
	r.OnRunEvaluations(collapse.id, rep.Steps[:2])
	d := r.Dynamics()
	if len(d) != 3 || d[0].Spec.ID != "suite-over-refusal" || len(d[0].Lines) != 1 {
		t.Fatalf("dynamics while the first run trains: %+v", d)
	}
	if got := d[0].Lines[0].Points; len(got) != 2 || got[1].Step != rep.Steps[1].Step || got[1].V != rep.Steps[1].OverRefusal {
		t.Errorf("the run in progress is drawn as %v", got)
	}
	if len(r.Pareto()) != 0 {
		t.Errorf("the Pareto plot places runs not finished: %v", r.Pareto())
	}
	key := d[0].Key
	for _, row := range []*ReproRow{collapse, control, remedy} {
		r.OnRunDone(row.id, committedRun(t, row.Job.Name()))
	}
	d = r.Dynamics()
	if d[0].Key == key {
		t.Error("the charts' key did not change as runs finished")
	}
	var names []string
	for _, ln := range d[1].Lines {
		names = append(names, fmt.Sprintf("%s %s %v %d", ln.Name, ln.Color, ln.Dashed, len(ln.Points)))
	}
	n := len(rep.Steps)
	want := fmt.Sprintf("[opsd-rkl %s false %d copsd %s false %d opsd-rkl (rho 0) %s true %d]",
		SuiteColor("opsd-rkl"), n, SuiteColor("copsd"), len(decoded(t, "base-rho50-copsd-s1").Steps), SuiteColor("opsd-rkl"), len(decoded(t, "base-rho0-opsd-rkl-s1").Steps))
	if fmt.Sprint(names) != want {
		t.Errorf("entropy lines %v, want %s", names, want)
	}
	// The curves are core/report's, for the same runs.
	curves := r.Results().Curves(func(m diag.Metrics) float64 { return m.Entropy })
	for i, c := range curves {
		for k, v := range c.Values {
			if p := d[1].Lines[i].Points[k]; p.V != v || p.Step != c.Steps[k] {
				t.Fatalf("line %d point %d: %+v, report %d %g", i, k, p, c.Steps[k], v)
			}
		}
	}
	var pts []string
	for _, p := range r.Pareto() {
		pts = append(pts, p.Label)
	}
	if got := strings.Join(pts, ", "); got != "base, rho 0.5, opsd-rkl, copsd, base, rho 0, opsd-rkl (rho 0)" {
		t.Errorf("Pareto points %s", got)
	}
	if p := r.Pareto()[1]; p.Safety != rep.Final.Safety || p.Helpfulness != rep.Final.Helpfulness || p.Fill != SuiteColor("opsd-rkl") {
		t.Errorf("opsd-rkl's point %+v, its run ended at %+v", p, rep.Final.Metrics)
	}
}

// An imported bundle's runs are drawn like finished ones.
func TestSuiteChartsDrawAnImportedBundle(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce")
	var files []string
	for _, j := range report.QuickJobs(1) {
		files = append(files, "runs/"+j.Name()+".json", string(committedRun(t, j.Name())))
	}
	l.ImportSuite("quick.tar", tarOf(files...), nil)
	if l.Repro.Error != "" {
		t.Fatal(l.Repro.Error)
	}
	if d := l.Repro.Dynamics(); len(d) != 3 || len(d[2].Lines) != 3 {
		t.Errorf("dynamics of the bundle: %+v", d)
	}
	if p := l.Repro.Pareto(); len(p) != 5 {
		t.Errorf("%d Pareto points, want the 2 bases and 3 recipes", len(p))
	}
}

// The engine workers are shared: Play is refused while a suite runs, and
// a suite while the lab plays, each saying why and what to do.
func TestLabAndSuiteShareTheEngineWorkers(t *testing.T) {
	l, p := booted(t, "#v=1&steps=50")
	f := &fakeRunner{slots: 2}
	l.Repro.Attach(f, nil)
	l.Repro.Now = func() time.Time { return time.Unix(1e9, 0) }

	l.Play()
	if !l.Playing || p.last(lab.OpPlay) == nil {
		t.Fatal("Play did not play")
	}
	l.StartSuite()
	if l.Repro.Running || len(f.order) != 0 || l.Repro.Error != LabBusy {
		t.Errorf("the suite started while the lab played (running %v, %d runs, error %q)", l.Repro.Running, len(f.order), l.Repro.Error)
	}
	l.Pause()
	l.StartSuite()
	if !l.Repro.Running || len(f.order) != 2 || l.Repro.Error != "" {
		t.Fatalf("the suite did not start after the pause (running %v, %d runs, error %q)", l.Repro.Running, len(f.order), l.Repro.Error)
	}
	plays := len(p.trainer)
	l.Play()
	l.StepOnce()
	if l.Playing || len(p.trainer) != plays || l.Notice == nil || l.Notice.Text != SuiteBusy {
		t.Errorf("the lab trained while the suite ran (playing %v, %d requests, notice %+v)", l.Playing, len(p.trainer)-plays, l.Notice)
	}
	l.Repro.Stop()
	l.Play()
	if !l.Playing {
		t.Error("Play refused after the suite stopped")
	}
}

// A cell opens its run in the lab: on show, with the settings that replay
// it, the view the lab's.
func TestSuiteCellOpensItsRunInTheLab(t *testing.T) {
	p := &fakePort{}
	l := New(p, "#v=1&view=reproduce")
	var files []string
	for _, j := range report.QuickJobs(1) {
		files = append(files, "runs/"+j.Name()+".json", string(committedRun(t, j.Name())))
	}
	l.ImportSuite("quick.tar", tarOf(files...), nil)
	row := l.Repro.Rows[2]
	l.OpenSuiteRun(row)
	l.OpenSuiteRun(row) // once among the runs, however often opened
	s := l.Shown()
	if s == nil || s.Report.Recipe != row.Job.Recipe || s.Report.Seed != row.Job.Seed || trimModel(s.Report.Model) != row.Job.Model {
		t.Fatalf("the lab shows %+v, want %s", s, row.Job.Name())
	}
	if n := len(l.Imported); n != 1 {
		t.Errorf("%d imported runs after opening one twice", n)
	}
	if l.Settings.View != "" || l.Settings.Recipe != row.Job.Recipe || l.Settings.Model != row.Job.Model || !strings.Contains(p.hash, "recipe="+row.Job.Recipe) || strings.Contains(p.hash, "view=reproduce") {
		t.Errorf("settings %+v, link %s", l.Settings, p.hash)
	}
}

// A run the lab is asked to set up while a suite runs (a link opened, Reset
// pressed) waits for the suite: nothing goes to the trainer until it
// stops, then the run starts, and a run on show stays on show.
func TestLabRunWaitsForTheSuite(t *testing.T) {
	l, p := booted(t, "#v=1&steps=50")
	l.Repro.Attach(&fakeRunner{slots: 2}, nil)
	l.StartSuite()
	count := func() int {
		n := 0
		for _, r := range p.trainer {
			if r.Op == lab.OpStart {
				n++
			}
		}
		return n
	}
	starts := count()
	l.ApplyHash("#v=1&steps=50&recipe=copsd&seed=3")
	if count() != starts || l.Notice == nil || l.Notice.Text != ResetQueued {
		t.Fatalf("a run was set up during the suite (%d starts, notice %+v)", count()-starts, l.Notice)
	}
	l.Import("x.json", committedRun(t, "base-rho50-copsd-s1"), nil)
	shown := l.ShownID
	l.Repro.Stop()
	if count() != starts+1 {
		t.Fatalf("%d runs set up after the suite stopped, want 1", count()-starts)
	}
	if last := p.last(lab.OpStart); last.Run.Config.Seed != 3 || last.Run.Config.Recipe != "copsd" {
		t.Errorf("the lab set up %s seed %d", last.Run.Config.Recipe, last.Run.Config.Seed)
	}
	if l.ShownID != shown {
		t.Errorf("on show %q after the suite stopped, want %q", l.ShownID, shown)
	}
}
