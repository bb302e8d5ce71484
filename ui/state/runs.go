package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// ExampleDir is where the bundle keeps the precomputed runs (the JSON of
// `copsd reproduce`).
const ExampleDir = "report/runs/"

// Headline examples: what each demonstrates, in the order the page offers
// them. The first is shown until the learner runs something.
var headline = []struct{ file, role string }{
	{"base-rho50-opsd-rkl-s1.json", "OPSD with reverse KL on rho 0.5: the collapse"},
	{"base-rho0-opsd-rkl-s1.json", "the same run on rho 0: the control"},
	{"base-rho50-copsd-s1.json", "COPSD: a Cross-SFT teacher first, then OPSD"},
}

func exampleRank(name string) int {
	for i, h := range headline {
		if path.Base(name) == h.file {
			return i
		}
	}
	return len(headline)
}

func trimModel(m string) string { return strings.TrimSuffix(m, ".ckpt") }

// OnExample takes a fetched precomputed run. A missing or bad file is left
// out quietly: the page works without examples.
func (l *Lab) OnExample(name string, data []byte, err error) {
	if err != nil {
		return
	}
	rep, err := DecodeReport(data)
	if err != nil {
		return
	}
	r := &Run{ID: "example:" + path.Base(name), Kind: ExampleRun, Report: rep, Title: runTitle(&rep)}
	if i := exampleRank(name); i < len(headline) {
		r.Role = headline[i].role
	}
	// Keep the examples in the manifest's order, whatever order they arrive in.
	at := len(l.Examples)
	for i, e := range l.Examples {
		if l.exampleIndex(e.ID) > l.exampleIndex(r.ID) {
			at = i
			break
		}
	}
	l.Examples = append(l.Examples, nil)
	copy(l.Examples[at+1:], l.Examples[at:])
	l.Examples[at] = r
	if l.CompareID == "" && l.Live != nil && l.Live.Step > 0 {
		l.CompareID = l.matchingExample()
	}
}

func (l *Lab) exampleIndex(id string) int {
	for i, n := range l.exampleNames {
		if "example:"+path.Base(n) == id {
			return i
		}
	}
	return len(l.exampleNames)
}

// Runs lists every run the page can show: the live one first.
func (l *Lab) Runs() []*Run {
	var out []*Run
	if l.Live != nil {
		out = append(out, &l.Live.Run)
	}
	out = append(out, l.examples()...)
	return append(out, l.Imported...)
}

// Find returns the run with the id, or nil.
func (l *Lab) Find(id string) *Run {
	for _, r := range l.Runs() {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// LiveShown reports whether the charts show the live run.
func (l *Lab) LiveShown() bool {
	if l.ShownID != "" {
		return l.ShownID == "live"
	}
	return l.Live != nil && (l.Live.Step > 0 || l.Playing || len(l.examples()) == 0)
}

// Shown is the run the charts show: the one chosen, else the live run once
// it has stepped, else the first example (so the page is useful before
// anything trains). It is nil only before anything is known.
func (l *Lab) Shown() *Run {
	if l.ShownID != "" {
		if r := l.Find(l.ShownID); r != nil {
			return r
		}
	}
	if l.LiveShown() && l.Live != nil {
		return &l.Live.Run
	}
	if ex := l.examples(); len(ex) > 0 {
		return ex[0]
	}
	if l.Live != nil {
		return &l.Live.Run
	}
	return nil
}

// Compare is the run drawn behind the shown one, or nil.
func (l *Lab) Compare() *Run {
	s := l.Shown()
	if l.CompareID == "" || (s != nil && s.ID == l.CompareID) {
		return nil
	}
	return l.Find(l.CompareID)
}

// Show puts a run on the charts ("live" for the live run).
func (l *Lab) Show(id string) {
	if l.Find(id) != nil {
		l.ShownID = id
		l.HoverStep = -1
	}
}

// SetCompare draws a run behind the shown one ("" for none).
func (l *Lab) SetCompare(id string) {
	if id == "" || l.Find(id) != nil {
		l.CompareID = id
	}
}

// Import takes a run JSON chosen by the learner and shows it. A file that is
// not a run changes nothing and says why.
func (l *Lab) Import(name string, data []byte, err error) {
	if err == nil {
		r, derr := DecodeReport(data)
		if derr == nil {
			run := &Run{ID: fmt.Sprintf("import:%d", len(l.Imported)+1), Kind: ImportedRun, Report: r,
				Title: runTitle(&r) + " (" + clip(name, 40) + ")"}
			l.Imported = append(l.Imported, run)
			l.Show(run.ID)
			l.Notice = &Notice{Text: "Imported " + clip(name, 60) + ": " + runTitle(&r) + "."}
			return
		}
		err = derr
	}
	l.Notice = &Notice{Text: fmt.Sprintf("Could not import %s: %v. Nothing was changed.", clip(name, 60), err), Error: true}
}

// Export offers the shown run as "json" (the schema of `copsd run -json`)
// or "csv". The live run's report comes from the trainer, once its
// outstanding evaluations are in.
func (l *Lab) Export(kind string) {
	r := l.Shown()
	if r == nil {
		return
	}
	if r.Kind != LiveRun {
		l.offer(kind, &r.Report)
		return
	}
	if !l.CanRun() {
		return
	}
	l.pendingExports = append(l.pendingExports, kind)
	l.Exporting = "preparing the export…"
	l.Port.Trainer(lab.Request{Op: lab.OpReport, Seq: l.nextSeq()})
}

func (l *Lab) onReport(rr *lab.RunReport) {
	if len(l.pendingExports) == 0 {
		return
	}
	if rr.Pending > 0 {
		l.Exporting = fmt.Sprintf("waiting for %d evaluation(s) to finish…", rr.Pending)
		if l.Playing {
			l.Exporting += " (the teacher's own measurements run while the run is paused)"
		}
		return // onRecorded asks again when none are left
	}
	for _, k := range l.pendingExports {
		l.offer(k, &rr.Report)
	}
	l.pendingExports = nil
}

func (l *Lab) offer(kind string, rep *distill.Report) {
	base := fmt.Sprintf("copsd-%s-%s-s%d", rep.Recipe, trimModel(rep.Model), rep.Seed)
	switch kind {
	case "csv":
		l.Port.Download(base+".csv", "text/csv", ReportCSV(rep))
		l.LastExport = base + ".csv"
	default:
		l.Port.Download(base+".json", "application/json", ReportJSON(rep))
		l.LastExport = base + ".json"
	}
	l.Exporting = ""
}

// CanExportTrace reports whether the live run has a step whose probe
// records the trainer can give in full.
func (l *Lab) CanExportTrace() bool {
	return l.Live != nil && l.Live.Step > 0 && l.CanRun() && l.Shown() != nil && l.Shown().Kind == LiveRun
}

// ExportTrace offers the latest step's probe records with both models'
// full next-token log-probabilities at every token, as JSON lines: the
// lines `copsd run -trace F -trace-full` writes for that step, from which
// a reader recomputes every number the token view shows.
func (l *Lab) ExportTrace() {
	if !l.CanExportTrace() {
		return
	}
	l.Exporting = "preparing the trace…"
	l.Port.Trainer(lab.Request{Op: lab.OpTrace, Seq: l.nextSeq()})
}

func (l *Lab) onTrace(t *lab.Trace) {
	live := l.Live
	if live == nil || t.RunID != live.RunID || live.Started == nil {
		l.Exporting = ""
		return // an old run's
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range t.Records {
		if err := enc.Encode(r); err != nil {
			l.Exporting = ""
			l.Notice = &Notice{Text: "The trace could not be written: " + err.Error(), Error: true}
			return
		}
	}
	c := live.Started.Config
	name := fmt.Sprintf("copsd-trace-%s-%s-s%d-step%d.jsonl", c.Recipe, trimModel(live.Started.Model), c.Seed, t.Step)
	l.Port.Download(name, "application/jsonl", buf.Bytes())
	l.LastExport, l.Exporting = name, ""
}

// ExportChart offers one chart as an SVG file.
func (l *Lab) ExportChart(testid string) {
	name := "copsd-" + testid + ".svg"
	if r := l.Shown(); r != nil {
		name = fmt.Sprintf("copsd-%s-%s-%s-s%d.svg", testid, r.Report.Recipe, trimModel(r.Report.Model), r.Report.Seed)
	}
	l.Port.DownloadSVG(testid, name)
}

// ParetoPoint is one run's place in the safety-vs-helpfulness plane.
type ParetoPoint struct {
	RunID       string
	Label       string
	Kind        RunKind
	Base        bool // the base model before distillation
	Headline    bool // one of the examples the page opens with
	Safety      float64
	Helpfulness float64
	Diversity   float64
	Fill        string // its colour ("": by its kind)
	Detail      string // more to say in its tooltip ("": nothing)
}

// Pareto places every run's latest evaluation, and each base model once.
func (l *Lab) Pareto() []ParetoPoint {
	var out []ParetoPoint
	bases := map[string]bool{}
	for _, r := range l.Runs() {
		m := r.Latest()
		if m == nil {
			continue
		}
		model := trimModel(r.Report.Model)
		if !bases[model] {
			bases[model] = true
			i := r.Report.Steps[0]
			label := "base " + model
			if rho, ok := r.Rho(); ok {
				label = fmt.Sprintf("base, rho %g", rho)
			}
			out = append(out, ParetoPoint{RunID: r.ID, Label: label, Kind: r.Kind, Base: true,
				Safety: i.Safety, Helpfulness: i.Helpfulness, Diversity: i.Diversity})
		}
		label := r.Report.Recipe
		if model != "base-rho50" {
			label += " (" + strings.TrimPrefix(model, "base-") + ")"
		}
		if r.Kind == LiveRun {
			label = "your run"
		}
		out = append(out, ParetoPoint{RunID: r.ID, Label: label, Kind: r.Kind, Headline: r.Role != "",
			Safety: m.Safety, Helpfulness: m.Helpfulness, Diversity: m.Diversity})
	}
	return out
}

// Awaited is the step of the live run's next evaluation still out, or -1
// when none is: a run that has trained past its latest evaluation says so,
// rather than read as settled at that evaluation.
func (l *Lab) Awaited() int {
	lv := l.Live
	if lv == nil || lv.Pending == 0 || lv.Report.Config.EvalEvery <= 0 {
		return -1
	}
	next := 0
	if n := len(lv.Report.Steps); n > 0 {
		last := lv.Report.Steps[n-1].Step
		if last >= lv.Step {
			return -1 // what is out is the teacher's measurements
		}
		next = last + lv.Report.Config.EvalEvery
	}
	return min(next, lv.Step)
}
