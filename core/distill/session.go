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
	s.Report = Report{Recipe: run.Cfg.Recipe, Seed: run.Cfg.Seed, Model: modelName, Config: run.Cfg,
		CrossSFT: run.CrossSFT, Constitution: run.cons.Text}
	init, err := run.Evaluate()
	if err != nil {
		return nil, err
	}
	s.Report.Initial, s.Report.Final = init, init
	s.Report.Steps = []diag.Metrics{init}
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
	s.Report.Train = append(s.Report.Train, res.Train)
	if res.Warning != "" {
		s.Report.Warnings = append(s.Report.Warnings, res.Warning)
	}
	step := s.Run.StepNum()
	if step%s.Run.Cfg.EvalEvery != 0 && !s.Run.Done() {
		return res, nil, nil
	}
	m, err := s.Run.Evaluate()
	if err != nil {
		return res, nil, err
	}
	m.Step = step
	s.Report.Steps = append(s.Report.Steps, m)
	s.Report.Final = m
	cs, why := s.opt.Detector.Detect(s.Report.Steps, s.Run.Done())
	if cs >= 0 {
		s.Report.CollapseStep = &cs
		s.Report.Collapse = why
	} else {
		s.Report.CollapseStep, s.Report.Collapse = nil, ""
	}
	return res, &m, nil
}
