package state

import "fmt"

// The Reproduce view within the lab: its settings come from the link
// (view, suite, seeds, rsteps, and c for the custom suite), its bundle goes
// out and comes in through the page's Port.

// suiteName is the suite the settings choose.
func (s Settings) suiteName() string {
	if s.Suite == "" {
		return SuiteQuick
	}
	return s.Suite
}

// initReproduce lists the suite the settings choose (the quick one when
// they cannot: a custom suite's constitution that does not parse, say).
func (l *Lab) initReproduce() {
	r := &l.Repro
	r.Steps = l.Settings.SuiteSteps
	if l.Settings.suiteName() == SuiteCustom {
		r.Constitution = l.Settings.Constitution
	}
	if err := r.SetSuite(l.Settings.suiteName(), max(l.Settings.SuiteSeeds, 1)); err != nil {
		r.SetSuite(SuiteQuick, 1)
		r.Error = err.Error()
	}
}

// SetView opens the main lab ("") or the Reproduce view.
func (l *Lab) SetView(v string) {
	if setView(&l.Settings, v) == nil {
		l.syncURL()
	}
}

// ChooseSuite lists another suite, or the same with other seeds; a custom
// suite runs constitution. The link follows.
func (l *Lab) ChooseSuite(suite string, seeds int, constitution string) {
	r := &l.Repro
	old := r.Constitution
	if suite == SuiteCustom {
		r.Constitution = constitution
	}
	if err := r.SetSuite(suite, seeds); err != nil {
		r.Constitution, r.Error = old, err.Error()
		return
	}
	setSuite(&l.Settings, suite)
	l.Settings.SuiteSeeds = r.Seeds
	if r.Seeds == 1 {
		l.Settings.SuiteSeeds = 0
	}
	if suite == SuiteCustom {
		l.Settings.Constitution = r.Constitution
	}
	l.syncURL()
}

// ExportSuite offers the finished runs' report.md and JSON as one tar file.
func (l *Lab) ExportSuite() {
	b, err := l.Repro.Bundle()
	if err != nil {
		l.Repro.Error = "Nothing to export: " + err.Error()
		return
	}
	l.Port.Download(BundleName, "application/x-tar", b)
	l.LastExport = fmt.Sprintf("%s (%d runs)", BundleName, l.Repro.Count(Done))
}

// ImportSuite shows a bundle's runs (read from a file the learner chose).
func (l *Lab) ImportSuite(name string, data []byte, err error) {
	if err == nil {
		err = l.Repro.LoadBundle(data)
	}
	if err != nil {
		l.Repro.Error = fmt.Sprintf("%s cannot be imported: %v", name, err)
	}
}

// ExportSuiteChart offers one of the view's charts as an SVG file.
func (l *Lab) ExportSuiteChart(testid string) {
	l.Port.DownloadSVG(testid, fmt.Sprintf("copsd-%s-%s.svg", testid, l.Repro.Suite))
}

// The engine workers are shared: a suite runs its runs on all of them, the
// lab trains its run on them too. Each refuses to start while the other
// goes, and says why and what to do.
const (
	SuiteBusy = "A reproduce suite is using the engine workers: stop it (in the Reproduce view) or wait for it to finish, then press Play."
	LabBusy   = "The lab is training its run on the engine workers: pause it (or wait for it to finish), then start the suite."
	// A run the lab is to set up while a suite runs waits for it.
	ResetQueued = "A reproduce suite is using the engine workers: the lab sets this run up as soon as the suite stops or finishes."
)

// suiteIdle sets up the run the lab was asked for while the suite ran,
// keeping on show a run the reader chose meanwhile (one of the suite's,
// say).
func (l *Lab) suiteIdle() {
	if !l.startWanted {
		return
	}
	shown := l.ShownID
	l.Reset()
	if shown != "" && shown != "live" && l.Find(shown) != nil {
		l.ShownID = shown
	}
}

// StartSuite starts (or resumes) the suite unless the lab's run is playing.
func (l *Lab) StartSuite() {
	if l.Playing || l.TrainerPlaying {
		l.Repro.Error = LabBusy
		return
	}
	l.Repro.Start()
}

// OpenSuiteRun opens a finished run of the suite in the main lab view: on
// show in the charts (among the imported runs), with the settings that
// replay it (its link's), so Play trains it again to the same bits.
func (l *Lab) OpenSuiteRun(row *ReproRow) {
	if row == nil || row.Status != Done || row.Report == nil {
		return
	}
	l.ApplyHash(row.RunLink())
	id := "suite:" + row.Job.Key()
	if l.Find(id) == nil {
		l.Imported = append(l.Imported, &Run{ID: id, Kind: ImportedRun, Report: *row.Report,
			Title: runTitle(row.Report) + " (reproduced)"})
	}
	l.Show(id)
	l.syncURL()
}
