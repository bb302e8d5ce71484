package distill

import (
	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/pretrain"
)

// Report is a run's record, the schema of `copsd run -json` and of the
// browser's export.
type Report struct {
	Recipe       string          `json:"recipe"`
	Seed         uint64          `json:"seed"`
	Model        string          `json:"model"`
	Config       Config          `json:"config"`
	Initial      diag.Metrics    `json:"initial"`
	Final        diag.Metrics    `json:"final"`
	Steps        []diag.Metrics  `json:"steps"` // every evaluation, step 0 first
	Train        []TrainMetrics  `json:"train"` // every step's training metrics
	Teacher      *eval.Metrics   `json:"teacher"`
	Leakage      *diag.Leakage   `json:"leakage,omitempty"`
	CrossSFT     *CrossSFTReport `json:"cross_sft,omitempty"`
	CollapseStep *int            `json:"collapse_step"`
	Collapse     string          `json:"collapse,omitempty"` // what collapsed, in words
	Warnings     []string        `json:"warnings,omitempty"`
	Constitution string          `json:"constitution"`
}

// NewReport starts the report of a run of cfg on the model named model, whose
// teacher reads constitution and was prepared by crossSFT (nil: none). The
// CLI's session, the lab's trainer and the page each build their report with
// NewReport, AddStep and AddEval, so that the three agree number for number.
func NewReport(model string, cfg Config, constitution string, crossSFT *CrossSFTReport) Report {
	return Report{Recipe: cfg.Recipe, Seed: cfg.Seed, Model: model, Config: cfg,
		CrossSFT: crossSFT, Constitution: constitution}
}

// AddStep files a step's training metrics and its warning, if any.
func (r *Report) AddStep(train TrainMetrics, warning string) {
	r.Train = append(r.Train, train)
	if warning != "" {
		r.Warnings = append(r.Warnings, warning)
	}
}

// AddEval files an evaluation; evaluations come in step order. The first is
// the starting point. Each later one is the final point so far, and the
// collapse detector d then reads the curve (done: the run has taken all its
// steps).
func (r *Report) AddEval(m diag.Metrics, d diag.Detector, done bool) {
	if r.AddPoint(m) == 0 {
		return
	}
	r.CollapseStep, r.Collapse = nil, ""
	if cs, why := d.Detect(r.Steps, done); cs >= 0 {
		r.CollapseStep, r.Collapse = &cs, why
	}
}

// AddPoint files an evaluation as AddEval does, without the detector, for a
// copy of a report whose collapse verdict comes with its points (the page's,
// from the lab's trainer). It returns the point's index in Steps.
func (r *Report) AddPoint(m diag.Metrics) int {
	if len(r.Steps) == 0 {
		r.Initial = m
	}
	r.Steps = append(r.Steps, m)
	r.Final = m
	return len(r.Steps) - 1
}

// SessionOptions says which one-off measurements a session makes at the start.
type SessionOptions struct {
	TeacherEval bool // the teacher's own eval metrics with its privileged context
	Leakage     bool // the constitution's leakage on the teacher
	Detector    diag.Detector
}

// Session drives a run and keeps its report: Step takes one distillation step
// and, every EvalEvery steps and at the end, an evaluation.
type Session struct {
	Run    *Run
	Report Report
	opt    SessionOptions
}

// NewSession prepares a run and measures the starting point.
func NewSession(base *pretrain.Base, modelName string, cfg Config, opt SessionOptions) (*Session, error) {
	run, err := NewRun(base, cfg)
	if err != nil {
		return nil, err
	}
	s := &Session{Run: run, opt: opt}
	s.Report = NewReport(modelName, run.Cfg, run.cons.Text, run.CrossSFT)
	init, err := run.Evaluate()
	if err != nil {
		return nil, err
	}
	s.Report.AddEval(init, opt.Detector, false)
	if opt.TeacherEval && run.Cfg.Privileged == WithConstitution {
		m, err := run.EvaluateTeacher()
		if err != nil {
			return nil, err
		}
		s.Report.Teacher = &m
	}
	if opt.Leakage && run.Cfg.Privileged == WithConstitution {
		l, err := run.MeasureLeakage()
		if err != nil {
			return nil, err
		}
		s.Report.Leakage = &l
	}
	return s, nil
}

// Step takes one step; eval is non-nil when the step ended with an evaluation.
func (s *Session) Step() (StepResult, *diag.Metrics, error) {
	res, err := s.Run.Step()
	if err != nil {
		return res, nil, err
	}
	s.Report.AddStep(res.Train, res.Warning)
	step := s.Run.StepNum()
	if step%s.Run.Cfg.EvalEvery != 0 && !s.Run.Done() {
		return res, nil, nil
	}
	m, err := s.Run.Evaluate()
	if err != nil {
		return res, nil, err
	}
	m.Step = step
	s.Report.AddEval(m, s.opt.Detector, s.Run.Done())
	return res, &m, nil
}
