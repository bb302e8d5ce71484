package state

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/report"
)

// The Reproduce view: a suite of whole runs (core/report's job lists, the
// very ones copsd reproduce runs) handed to the engine workers, one run per
// worker, with the report's tables and claims filled in as runs finish by
// core/report's own code. Finished runs persist in a Store, so a reload
// resumes the suite where it stopped.

// The suites the view offers.
const (
	SuiteQuick  = "quick"  // the collapse, the control and the remedy
	SuiteFull   = "full"   // copsd reproduce's job list
	SuiteCustom = "custom" // the quick recipes under the learner's constitution
	SuiteBundle = "bundle" // the runs of an imported bundle
)

// Suites are the suites a learner chooses from, in the view's order.
var Suites = []string{SuiteQuick, SuiteFull, SuiteCustom}

// MaxSuiteSeeds bounds the seeds a suite runs in the page.
const MaxSuiteSeeds = 5

// ReportDir is the output directory the exported report.md names, that of
// the committed report: a full suite's export is then assets/report's.
const ReportDir = "assets/report"

// Runner runs whole runs: the page's pool of engine workers, one run per
// worker. Calls return at once; a run's progress and end come back through
// Reproduce's OnRunProgress, OnRunDone and OnRunFailed with its id.
type Runner interface {
	// Slots is how many runs may go at once.
	Slots() int
	// StartRun starts the run of cfg on the base model.
	StartRun(id int, model string, cfg distill.Config)
	// StopRun abandons a run in progress; nothing more comes of it.
	StopRun(id int)
}

// Row statuses, as the view's rows carry them (data-status).
const (
	Queued  = "queued"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// ReproRow is one job of the suite.
type ReproRow struct {
	Job    report.Job
	Config distill.Config // what the job runs (its recipe's, seed, steps, constitution)
	Status string
	Step   int // training steps done, while running
	Err    string
	Evals  []diag.Metrics  // its evaluations so far, while running (the charts')
	JSON   []byte          // the finished run as copsd run -json writes it
	Report *distill.Report // decoded from JSON
	id     int             // the runner's id while running
}

// Steps is the run's length in training steps.
func (r *ReproRow) Steps() int { return r.Config.Steps }

// Reproduce is the view's state.
type Reproduce struct {
	Runner Runner           // nil until the page has its workers
	Store  Store            // nil: nothing persists
	Now    func() time.Time // the clock of the estimate
	OnIdle func()           // called when the suite stops or ends (nil: nothing)

	Suite        string
	Seeds        int
	Constitution string // the custom suite's rules
	Steps        int    // steps per run; 0: each recipe's (the URL's rsteps)
	Rows         []*ReproRow
	Running      bool
	Error        string // the last thing that went wrong, for the view
	Usage        int64  // bytes the stored runs take
	Stored       int    // runs in the store

	stored  map[string][]byte // the store's runs by job key, as last listed
	nextID  int
	started time.Time // when the current stretch of running began
	ran     int       // training steps run since then
}

// SetSuite chooses the suite and its seeds (bounded to 1..MaxSuiteSeeds)
// and lists its jobs, the finished ones already done. It refuses while
// runs go: stop first.
func (r *Reproduce) SetSuite(suite string, seeds int) error {
	if r.Running {
		return fmt.Errorf("stop the suite before changing it")
	}
	seeds = min(max(seeds, 1), MaxSuiteSeeds)
	var jobs []report.Job
	switch suite {
	case SuiteQuick:
		jobs = report.QuickJobs(seeds)
	case SuiteFull:
		jobs = report.FullJobs(seeds, nil)
	case SuiteCustom:
		if r.Constitution == "" {
			return fmt.Errorf("write a constitution for the custom suite first")
		}
		jobs = report.CustomJobs(r.Constitution, seeds)
	default:
		return fmt.Errorf("unknown suite %q (want %s, %s or %s)", suite, SuiteQuick, SuiteFull, SuiteCustom)
	}
	rows := make([]*ReproRow, len(jobs))
	for i, j := range jobs {
		cfg, err := j.Config(r.Steps)
		if err != nil {
			return fmt.Errorf("%s: %v", j.Name(), err)
		}
		rows[i] = &ReproRow{Job: j, Config: cfg, Status: Queued}
	}
	r.Suite, r.Seeds, r.Rows, r.Error = suite, seeds, rows, ""
	r.resume()
	return nil
}

// resume marks done every queued row whose run the store holds with the
// row's very config.
func (r *Reproduce) resume() {
	for _, row := range r.Rows {
		if row.Status != Queued {
			continue
		}
		if b, ok := r.stored[row.Job.Key()]; ok {
			if rep, err := row.accept(b); err == nil {
				row.Status, row.JSON, row.Report = Done, b, rep
			}
		}
	}
}

// accept decodes a finished run's JSON and checks it is the row's run.
func (row *ReproRow) accept(b []byte) (*distill.Report, error) {
	rep, err := DecodeReport(b)
	if err != nil {
		return nil, err
	}
	got, _ := json.Marshal(rep.Config)
	want, _ := json.Marshal(row.Config)
	if string(got) != string(want) || trimModel(rep.Model) != row.Job.Model {
		return nil, fmt.Errorf("the run is not %s with the suite's config", row.Job.Name())
	}
	return &rep, nil
}

// Start runs the queued rows (and the failed ones again), as many at once
// as the runner has slots.
func (r *Reproduce) Start() {
	if r.Runner == nil {
		r.Error = "the engine workers are not ready yet"
		return
	}
	for _, row := range r.Rows {
		if row.Status == Failed {
			row.Status, row.Err = Queued, ""
		}
	}
	r.Running, r.Error = true, ""
	r.started, r.ran = r.now(), 0
	r.dispatch()
}

// Stop abandons the runs in progress (they go back to the queue); the
// finished ones stay.
func (r *Reproduce) Stop() {
	was := r.Running
	r.Running = false
	for _, row := range r.Rows {
		if row.Status == Running {
			if r.Runner != nil {
				r.Runner.StopRun(row.id)
			}
			row.Status, row.Step, row.id, row.Evals = Queued, 0, 0, nil
		}
	}
	if was {
		r.idle()
	}
}

// idle says the engine workers are free of the suite.
func (r *Reproduce) idle() {
	if r.OnIdle != nil {
		r.OnIdle()
	}
}

// dispatch hands queued rows to free slots, in the suite's order.
func (r *Reproduce) dispatch() {
	if !r.Running || r.Runner == nil {
		return
	}
	busy := 0
	for _, row := range r.Rows {
		if row.Status == Running {
			busy++
		}
	}
	for _, row := range r.Rows {
		if busy >= max(r.Runner.Slots(), 1) {
			return
		}
		if row.Status == Queued {
			r.nextID++
			row.Status, row.Step, row.id, row.Evals = Running, 0, r.nextID, nil
			busy++
			r.Runner.StartRun(row.id, row.Job.Model, row.Config)
		}
	}
	if busy == 0 {
		r.Running = false // every row is done or failed
		r.idle()
	}
}

func (r *Reproduce) running(id int) *ReproRow {
	for _, row := range r.Rows {
		if row.Status == Running && row.id == id && id != 0 {
			return row
		}
	}
	return nil
}

// OnRunProgress says run id has trained step steps.
func (r *Reproduce) OnRunProgress(id, step int) {
	if row := r.running(id); row != nil && step > row.Step && step <= row.Steps() {
		r.ran += step - row.Step
		row.Step = step
	}
}

// OnRunEvaluations takes run id's new evaluations, made as it trains.
func (r *Reproduce) OnRunEvaluations(id int, evals []diag.Metrics) {
	if row := r.running(id); row != nil {
		row.Evals = append(row.Evals, evals...)
	}
}

// OnRunDone takes run id's finished JSON: the row is done, and its run
// goes to the store.
func (r *Reproduce) OnRunDone(id int, data []byte) {
	row := r.running(id)
	if row == nil {
		return
	}
	rep, err := row.accept(data)
	if err != nil {
		r.OnRunFailed(id, err.Error())
		return
	}
	r.ran += row.Steps() - row.Step
	row.Status, row.Step, row.JSON, row.Report, row.id, row.Evals = Done, row.Steps(), data, rep, 0, nil
	if r.Store != nil {
		r.Store.Put(row.Job.Key(), data)
	}
	r.dispatch()
}

// OnRunFailed says run id failed, and why.
func (r *Reproduce) OnRunFailed(id int, why string) {
	row := r.running(id)
	if row == nil {
		return
	}
	row.Status, row.Err, row.id, row.Evals = Failed, why, 0, nil
	r.Error = fmt.Sprintf("%s failed: %s", row.Job.Name(), why)
	r.dispatch()
}

func (r *Reproduce) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Count is how many rows have the status.
func (r *Reproduce) Count(status string) int {
	n := 0
	for _, row := range r.Rows {
		if row.Status == status {
			n++
		}
	}
	return n
}

// Progress is the share of the suite's training steps done, 0 to 1.
func (r *Reproduce) Progress() float64 {
	done, all := 0, 0
	for _, row := range r.Rows {
		all += row.Steps()
		switch row.Status {
		case Done:
			done += row.Steps()
		case Running:
			done += row.Step
		}
	}
	if all == 0 {
		return 0
	}
	return float64(done) / float64(all)
}

// Left estimates the time the suite still needs, from the pace of the
// steps trained since Start (false: no estimate yet).
func (r *Reproduce) Left() (time.Duration, bool) {
	el := r.now().Sub(r.started)
	if !r.Running || r.ran == 0 || el <= 0 {
		return 0, false
	}
	left := 0
	for _, row := range r.Rows {
		switch row.Status {
		case Queued:
			left += row.Steps()
		case Running:
			left += row.Steps() - row.Step
		}
	}
	return time.Duration(float64(el) * float64(left) / float64(r.ran)), true
}
