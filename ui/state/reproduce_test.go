package state

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/report"
)

// fakeRunner records the runs the view hands out.
type fakeRunner struct {
	slots   int
	started map[int]startCall
	order   []int
	stopped []int
}

type startCall struct {
	model string
	cfg   distill.Config
}

func (f *fakeRunner) Slots() int { return f.slots }
func (f *fakeRunner) StartRun(id int, model string, cfg distill.Config) {
	if f.started == nil {
		f.started = map[int]startCall{}
	}
	f.started[id] = startCall{model, cfg}
	f.order = append(f.order, id)
}
func (f *fakeRunner) StopRun(id int) { f.stopped = append(f.stopped, id) }

// memStore is a Store in memory; its answers wait for flush, as the
// browser's come later.
type memStore struct {
	runs    map[string][]byte
	pending []func(*Reproduce)
}

func (m *memStore) Put(key string, data []byte) {
	if m.runs == nil {
		m.runs = map[string][]byte{}
	}
	m.runs[key] = data
	m.pending = append(m.pending, func(r *Reproduce) { r.OnStorePut(key, data, nil) })
}
func (m *memStore) List() {
	c := map[string][]byte{}
	for k, v := range m.runs {
		c[k] = v
	}
	m.pending = append(m.pending, func(r *Reproduce) { r.OnStoreList(c, nil) })
}
func (m *memStore) Clear() {
	m.runs = nil
	m.pending = append(m.pending, func(r *Reproduce) { r.OnStoreList(map[string][]byte{}, nil) })
}
func (m *memStore) Usage() {
	n := 0
	for _, v := range m.runs {
		n += len(v)
	}
	m.pending = append(m.pending, func(r *Reproduce) { r.OnStoreUsage(int64(n), nil) })
}
func (m *memStore) flush(r *Reproduce) {
	for len(m.pending) > 0 {
		f := m.pending[0]
		m.pending = m.pending[1:]
		f(r)
	}
}

// committedRun is a run of the committed report (assets/report/runs).
func committedRun(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "assets", "report", "runs", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// finish plays the runner: every run handed out trains its steps and ends
// with the committed run of its job, until none is left.
func finish(t *testing.T, r *Reproduce, f *fakeRunner, clock *time.Time) {
	t.Helper()
	for guard := 0; r.Running && guard < 1000; guard++ {
		var row *ReproRow
		for _, x := range r.Rows {
			if x.Status == Running {
				row = x
				break
			}
		}
		if row == nil {
			t.Fatal("running, but no row runs")
		}
		call := f.started[row.id]
		want, _ := row.Job.Config(r.Steps)
		if call.model != row.Job.Model || !sameConfig(call.cfg, want) {
			t.Fatalf("%s started as %s %+v", row.Job.Name(), call.model, call.cfg)
		}
		*clock = clock.Add(time.Duration(row.Steps()) * time.Second)
		r.OnRunProgress(row.id, row.Steps()/2)
		if row.Step != row.Steps()/2 {
			t.Fatalf("%s: step %d after progress to %d", row.Job.Name(), row.Step, row.Steps()/2)
		}
		if left, ok := r.Left(); !ok || left <= 0 {
			t.Fatalf("no estimate of the time left while running (%v, %v)", left, ok)
		}
		r.OnRunDone(row.id, committedRun(t, row.Job.Name()))
		if row.Status != Done {
			t.Fatalf("%s: %s after its run ended (%s)", row.Job.Name(), row.Status, row.Err)
		}
	}
}

func sameConfig(a, b distill.Config) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

// The full suite of three seeds is copsd reproduce's job list; run to the
// end with the committed runs, its tables are the report's, its export is
// assets/report's report.md and runs byte for byte.
func TestFullSuiteExportIsTheCommittedReport(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce&suite=full&seeds=3")
	r := &l.Repro
	var names []string
	for _, row := range r.Rows {
		names = append(names, row.Job.Name())
	}
	var want []string
	for _, j := range report.FullJobs(3, nil) {
		want = append(want, j.Name())
	}
	if !slices.Equal(names, want) {
		t.Fatalf("rows %v\nwant copsd reproduce's %v", names, want)
	}
	f := &fakeRunner{slots: 2}
	clock := time.Unix(1e9, 0)
	r.Now = func() time.Time { return clock }
	r.Attach(f, nil)
	r.Start()
	if len(f.order) != 2 || r.Count(Running) != 2 || r.Rows[0].Status != Running || r.Rows[1].Status != Running {
		t.Fatalf("started %v; rows %s, %s", f.order, r.Rows[0].Status, r.Rows[1].Status)
	}
	finish(t, r, f, &clock)
	if r.Count(Done) != 33 || r.Progress() != 1 || r.Running {
		t.Fatalf("%d done, progress %v, running %v", r.Count(Done), r.Progress(), r.Running)
	}
	p := &fakePort{}
	l.Port = p
	l.ExportSuite()
	files := untar(t, p.downloads[BundleName])
	committed, _ := os.ReadFile(filepath.Join("..", "..", "assets", "report", "report.md"))
	if !bytes.Equal(files["report.md"], committed) {
		t.Errorf("the export's report.md differs from assets/report/report.md:\n%s", files["report.md"])
	}
	if len(files) != 34 {
		t.Errorf("%d files in the bundle, want report.md and 33 runs", len(files))
	}
	for _, n := range want {
		if !bytes.Equal(files["runs/"+n+".json"], committedRun(t, n)) {
			t.Errorf("runs/%s.json differs from the committed run", n)
		}
	}
	// The tables on show are the report's.
	var md strings.Builder
	for _, tb := range r.Tables() {
		md.WriteString("| " + strings.Join(tb.Rows[len(tb.Rows)-1], " | ") + " |\n")
	}
	for _, line := range strings.Split(strings.TrimSpace(md.String()), "\n") {
		if !strings.Contains(string(committed), line) {
			t.Errorf("table row %q is not in report.md", line)
		}
	}
}

// The quick suite: the collapse, the control and the remedy; as each run
// finishes its claims appear, and with the committed runs they hold.
func TestQuickSuiteChecksItsClaimsAsRunsFinish(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce")
	r := &l.Repro
	if r.Suite != SuiteQuick || len(r.Rows) != 3 {
		t.Fatalf("suite %q with %d rows", r.Suite, len(r.Rows))
	}
	f := &fakeRunner{slots: 1}
	clock := time.Unix(1e9, 0)
	r.Now = func() time.Time { return clock }
	r.Attach(f, nil)
	r.Start()
	if len(r.Claims()) != 0 || len(r.Tables()) != 1 || len(r.Tables()[0].Rows) != 0 {
		t.Errorf("claims %v tables %v before any run", r.Claims(), r.Tables())
	}
	row := r.Rows[0]
	r.OnRunProgress(row.id, 10)
	clock = clock.Add(10 * time.Second)
	left, ok := r.Left()
	all := row.Steps()*3 - 10
	if !ok || left != time.Duration(all)*time.Second {
		t.Errorf("time left %v (%v), want %ds at a step a second", left, ok, all)
	}
	r.OnRunDone(row.id, committedRun(t, "base-rho50-opsd-rkl-s1"))
	if c := r.Claims(); len(c) != 2 || !strings.HasPrefix(c[0].Name, "opsd-rkl on rho 0.5 collapses") {
		t.Errorf("after the collapse run: %v", c)
	}
	finish(t, r, f, &clock)
	claims := r.Claims()
	native := report.Claims(&report.Suite{Runs: []report.Run{
		{Model: "base-rho50", Rho: 0.5, Report: decoded(t, "base-rho50-opsd-rkl-s1")},
		{Model: "base-rho0", Rho: 0, Report: decoded(t, "base-rho0-opsd-rkl-s1")},
		{Model: "base-rho50", Rho: 0.5, Report: decoded(t, "base-rho50-copsd-s1")},
	}})
	if len(claims) != len(native) {
		t.Fatalf("claims %v, native %v", claims, native)
	}
	asserted := 0
	for i, c := range claims {
		if c != native[i] {
			t.Errorf("claim %d: %+v, native %+v", i, c, native[i])
		}
		if c.Asserted {
			asserted++
			if !c.Holds {
				t.Errorf("asserted claim does not hold: %s: %s", c.Name, c.Detail)
			}
		}
	}
	if asserted != 4 {
		t.Errorf("%d asserted claims, want the collapse, its entropy, the control and copsd's", asserted)
	}
}

func decoded(t *testing.T, name string) *distill.Report {
	rep, err := DecodeReport(committedRun(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return &rep
}

// Stopping loses the runs in progress only; a reload resumes from the
// store, and the suite's order is kept.
func TestStopAndReloadResumeTheSuite(t *testing.T) {
	store := &memStore{}
	l := New(&fakePort{}, "#v=1&view=reproduce")
	r := &l.Repro
	f := &fakeRunner{slots: 2}
	r.Attach(f, store)
	store.flush(r)
	r.Start()
	first, second := r.Rows[0], r.Rows[1]
	r.OnRunDone(first.id, committedRun(t, "base-rho50-opsd-rkl-s1"))
	store.flush(r)
	if r.Stored != 1 || r.Usage != int64(len(committedRun(t, "base-rho50-opsd-rkl-s1"))) {
		t.Errorf("stored %d runs, usage %d", r.Stored, r.Usage)
	}
	// The third row took the free slot.
	if r.Rows[2].Status != Running {
		t.Fatalf("third row %s", r.Rows[2].Status)
	}
	secondID := second.id
	r.OnRunProgress(secondID, 5)
	r.Stop()
	if !slices.Contains(f.stopped, secondID) || second.Status != Queued || second.Step != 0 || r.Rows[2].Status != Queued || first.Status != Done {
		t.Fatalf("after stop: stopped %v, rows %s %s %s", f.stopped, first.Status, second.Status, r.Rows[2].Status)
	}
	r.OnRunDone(secondID, committedRun(t, "base-rho0-opsd-rkl-s1"))
	if second.Status != Queued {
		t.Errorf("a stopped run's late end was taken: %s", second.Status)
	}

	// Reload: a new page with the same link and the same store.
	l2 := New(&fakePort{}, "#v=1&view=reproduce")
	r2 := &l2.Repro
	f2 := &fakeRunner{slots: 2}
	r2.Attach(f2, store)
	store.flush(r2)
	if r2.Rows[0].Status != Done || r2.Rows[1].Status != Queued || !bytes.Equal(r2.Rows[0].JSON, first.JSON) {
		t.Fatalf("after reload: %s %s", r2.Rows[0].Status, r2.Rows[1].Status)
	}
	r2.Start()
	if len(f2.order) != 2 || f2.started[f2.order[0]].cfg.Seed != 1 || r2.Rows[1].Status != Running || r2.Rows[2].Status != Running {
		t.Errorf("resumed with %v", f2.order)
	}

	// A shortened suite (rsteps) does not take the full-length run.
	l3 := New(&fakePort{}, "#v=1&view=reproduce&rsteps=6")
	l3.Repro.Attach(&fakeRunner{slots: 1}, store)
	store.flush(&l3.Repro)
	if l3.Repro.Rows[0].Status != Queued || l3.Repro.Rows[0].Steps() != 6 {
		t.Errorf("rsteps=6: row %s of %d steps", l3.Repro.Rows[0].Status, l3.Repro.Rows[0].Steps())
	}
	l3.Repro.ClearStore()
	store.flush(&l3.Repro)
	if l3.Repro.Stored != 0 || l3.Repro.Usage != 0 || len(store.runs) != 0 {
		t.Errorf("after clear: %d stored, %d bytes", l3.Repro.Stored, l3.Repro.Usage)
	}
}

// A run that is not the job's (another config, a bad file) fails its row
// with the reason; Start tries it again.
func TestAWrongRunFailsItsRow(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce")
	r := &l.Repro
	f := &fakeRunner{slots: 1}
	r.Attach(f, nil)
	r.Start()
	row := r.Rows[0]
	r.OnRunDone(row.id, committedRun(t, "base-rho0-opsd-rkl-s1"))
	if row.Status != Failed || !strings.Contains(row.Err, "not base-rho50-opsd-rkl-s1") || r.Error == "" {
		t.Fatalf("row %s (%s)", row.Status, row.Err)
	}
	if r.Rows[1].Status != Running {
		t.Errorf("the next row did not start: %s", r.Rows[1].Status)
	}
	r.OnRunFailed(r.Rows[1].id, "worker lost")
	r.Stop()
	r.Start()
	if row.Status != Running || row.Err != "" {
		t.Errorf("a failed row was not tried again: %s", row.Status)
	}
}

// A custom suite runs the quick recipes with the link's constitution.
func TestCustomSuiteRunsTheLinksConstitution(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce&suite=custom&seeds=2&c=refuse%20weapons%20.")
	r := &l.Repro
	if r.Suite != SuiteCustom || len(r.Rows) != 6 || r.Error != "" {
		t.Fatalf("suite %q, %d rows, %q", r.Suite, len(r.Rows), r.Error)
	}
	for _, row := range r.Rows {
		if row.Config.Constitution != "refuse weapons ." || row.Job.Key() == row.Job.Name() {
			t.Errorf("%s: constitution %q key %s", row.Job.Name(), row.Config.Constitution, row.Job.Key())
		}
	}
	l.ChooseSuite(SuiteCustom, 1, "refuse dragons .")
	if r.Error == "" || len(r.Rows) != 6 {
		t.Errorf("a constitution of unknown words: %q, %d rows", r.Error, len(r.Rows))
	}
	l.ChooseSuite(SuiteFull, 2, "")
	if len(r.Rows) != 22 || l.Settings.Suite != SuiteFull || !strings.Contains(l.Settings.Hash(), "suite=full&seeds=2") {
		t.Errorf("full, 2 seeds: %d rows, hash %s", len(r.Rows), l.Settings.Hash())
	}
	l.ChooseSuite(SuiteQuick, 9, "")
	if r.Seeds != MaxSuiteSeeds {
		t.Errorf("seeds %d, want them capped at %d", r.Seeds, MaxSuiteSeeds)
	}
	r.Running = true
	l.ChooseSuite(SuiteFull, 1, "")
	if r.Suite != SuiteQuick || r.Error == "" {
		t.Errorf("the suite changed while running")
	}
}

// A finished row's link opens its run in the main lab view, the same run.
func TestRowLinkOpensTheRunInTheLab(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce&rsteps=7")
	row := l.Repro.Rows[1]
	l.ApplyHash(row.RunLink())
	if l.Settings.View != "" || l.Settings.Model != "base-rho0" || l.Settings.Recipe != "opsd-rkl" || l.Settings.Seed != 1 {
		t.Fatalf("the link %s opened %+v", row.RunLink(), l.Settings)
	}
	if cfg, err := l.Settings.Config(); err != nil || !sameConfig(cfg, row.Config) {
		t.Errorf("the lab runs %+v, the row ran %+v", cfg, row.Config)
	}
}

func TestBundleImportShowsItsRuns(t *testing.T) {
	l := New(&fakePort{}, "#v=1&view=reproduce")
	r := &l.Repro
	f := &fakeRunner{slots: 3}
	clock := time.Unix(0, 0)
	r.Now = func() time.Time { return clock }
	r.Attach(f, nil)
	r.Start()
	finish(t, r, f, &clock)
	tarball, err := r.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := r.Bundle()
	if !bytes.Equal(tarball, again) {
		t.Error("the same runs gave two bundles")
	}
	tables, claims := r.Tables(), r.Claims()
	other := New(&fakePort{}, "#v=1&view=reproduce")
	other.ImportSuite("x.tar", tarball, nil)
	if other.Repro.Error != "" || other.Repro.Suite != SuiteBundle || other.Repro.Count(Done) != 3 {
		t.Fatalf("import: %q, %d done", other.Repro.Error, other.Repro.Count(Done))
	}
	var order []string
	for _, row := range other.Repro.Rows {
		order = append(order, row.Job.Name())
	}
	if want := []string{"base-rho50-opsd-rkl-s1", "base-rho50-copsd-s1", "base-rho0-opsd-rkl-s1"}; !slices.Equal(order, want) {
		t.Errorf("imported rows %v, want the suites' order %v", order, want)
	}
	if b, _ := other.Repro.Bundle(); !bytes.Equal(b, tarball) {
		t.Error("the imported runs export another bundle")
	}
	if got, _ := json.Marshal(other.Repro.Tables()); string(got) != string(must(json.Marshal(tables))) {
		t.Errorf("imported tables %s", got)
	}
	if len(other.Repro.Claims()) != len(claims) {
		t.Errorf("imported claims %v", other.Repro.Claims())
	}
	// The same files zipped.
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	for name, data := range untar(t, tarball) {
		w, _ := zw.Create("copsd/" + name)
		w.Write(data)
	}
	zw.Close()
	if runs, err := ReadBundle(z.Bytes()); err != nil || len(runs) != 3 {
		t.Errorf("zip: %d runs, %v", len(runs), err)
	}
}

func must(b []byte, _ error) []byte { return b }

func tarOf(files ...string) []byte {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Size: int64(len(files[i+1])), Typeflag: tar.TypeReg})
		w.Write([]byte(files[i+1]))
	}
	w.Close()
	return b.Bytes()
}

// Bad bundles are refused with an error that says what is wrong, and the
// view keeps what it showed.
func TestBadBundlesAreRefusedClearly(t *testing.T) {
	run := string(committedRun(t, "base-rho50-opsd-rkl-s1"))
	cut := tarOf("runs/base-rho50-opsd-rkl-s1.json", run)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"empty":      {nil, "not a tar or zip"},
		"text":       {[]byte("hello, this is not a tar file at all"), "not a tar or zip"},
		"no runs":    {tarOf("report.md", "# hi"), "no runs/*.json"},
		"bad run":    {tarOf("runs/base-rho50-opsd-rkl-s1.json", "{"), "runs/base-rho50-opsd-rkl-s1.json: not a COPSD Lab run JSON"},
		"misnamed":   {tarOf("runs/base-rho0-copsd-s2.json", run), "holds the run base-rho50-opsd-rkl-s1"},
		"twice":      {tarOf("runs/base-rho50-opsd-rkl-s1.json", run, "a/runs/base-rho50-opsd-rkl-s1.json", run), "twice"},
		"cut short":  {cut[:len(cut)/2], "cut short"},
		"broken zip": {[]byte("PK\x03\x04garbage"), "not a zip bundle"},
	} {
		l := New(&fakePort{}, "#v=1&view=reproduce")
		l.ImportSuite("b.tar", c.data, nil)
		if !strings.Contains(l.Repro.Error, c.want) || l.Repro.Suite != SuiteQuick || len(l.Repro.Rows) != 3 {
			t.Errorf("%s: error %q (want %q), suite %s", name, l.Repro.Error, c.want, l.Repro.Suite)
		}
	}
}

func TestViewAndSuiteKnobs(t *testing.T) {
	s, err := ParseHash("#v=1&view=reproduce&suite=full&seeds=3&rsteps=20", DefaultSettings())
	if err != nil || s.View != ViewReproduce || s.Suite != SuiteFull || s.SuiteSeeds != 3 || s.SuiteSteps != 20 {
		t.Fatalf("%+v, %v", s, err)
	}
	if h := s.Hash(); !strings.HasSuffix(h, "&view=reproduce&suite=full&seeds=3&rsteps=20") {
		t.Errorf("hash %s", h)
	}
	if h := DefaultSettings().Hash(); strings.Contains(h, "view") || strings.Contains(h, "suite") || strings.Contains(h, "seeds") {
		t.Errorf("default hash %s carries the view's keys", h)
	}
	for _, bad := range []string{"view=x", "suite=all", "seeds=6", "rsteps=-1"} {
		if _, err := ParseHash("#v=1&"+bad, DefaultSettings()); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	l := New(&fakePort{}, "")
	l.SetView(ViewReproduce)
	if l.Settings.View != ViewReproduce || !strings.Contains(l.Port.(*fakePort).hash, "view=reproduce") {
		t.Errorf("SetView: %q %q", l.Settings.View, l.Port.(*fakePort).hash)
	}
}
