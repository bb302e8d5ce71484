package state

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// CanRun reports whether the trainer can take commands for the live run.
func (l *Lab) CanRun() bool {
	return l.Engine.Booted && l.Engine.Fatal == "" && l.Live != nil && l.Live.Started != nil && !l.Live.Preparing
}

// Reset starts the run the settings define, from step 0: back to the same
// model and seed. A model not yet loaded is loaded first.
func (l *Lab) Reset() {
	l.Playing, l.TrainerPlaying = false, false
	l.startWanted = true
	if !l.Engine.Booted || l.Engine.Fatal != "" {
		return
	}
	if l.Repro.Running {
		// Setting a run up trains (Cross-SFT) and evaluates on the engine
		// workers, which are the suite's: it waits for the suite (OnIdle).
		l.Notice = &Notice{Text: ResetQueued}
		return
	}
	cfg, err := l.Settings.Config()
	if err != nil {
		l.Notice = &Notice{Text: "These settings do not make a run: " + err.Error(), Error: true}
		return
	}
	model := l.Settings.Model
	if _, ok := l.Engine.Models[model]; !ok {
		l.pendingModel = model
		if l.Engine.Loading != model {
			l.Engine.Loading = model
			l.Port.LoadModel(model)
		}
		return
	}
	l.startWanted, l.pendingModel = false, ""
	l.nextRunID++
	l.evalQueue = nil // jobs of the old run are worth nothing now
	l.pendingExports = nil
	l.Live = &Live{RunID: l.nextRunID, Preparing: true, Run: Run{ID: "live", Kind: LiveRun}}
	l.Live.Report.Config, l.Live.Report.Recipe, l.Live.Report.Model, l.Live.Report.Seed = cfg, cfg.Recipe, model, cfg.Seed
	l.Live.Title = runTitle(&l.Live.Report)
	l.Tokens.Token = -1
	l.HoverStep = -1
	l.Port.Trainer(lab.Request{Op: lab.OpStart, Seq: l.nextSeq(), Run: &lab.RunSpec{ID: l.nextRunID, Model: model, Config: cfg}})
	l.ShownID, l.CompareID = "", l.matchingExample()
	l.syncURL()
}

// matchingExample is the precomputed run of the settings' recipe on their
// model, drawn behind the live run, or "".
func (l *Lab) matchingExample() string {
	for _, e := range l.examples() {
		if e.Report.Recipe == l.Settings.Recipe && trimModel(e.Report.Model) == l.Settings.Model {
			return e.ID
		}
	}
	return ""
}

// Play steps continuously until Pause, the stop step or the end.
func (l *Lab) Play() {
	if !l.CanRun() || l.Playing {
		return
	}
	if l.Repro.Running {
		l.Notice = &Notice{Text: SuiteBusy, Error: true}
		return
	}
	if l.Live.Step >= l.Live.Report.Config.Steps {
		l.Notice = &Notice{Text: "The run is finished: Reset to run it again."}
		return
	}
	l.Playing = true
	l.Live.Paused = ""
	l.ShownID = ""
	l.playSeq = l.nextSeq()
	l.Port.Trainer(lab.Request{Op: lab.OpPlay, Seq: l.playSeq, Transport: l.transport()})
}

// Pause stops after the step in progress.
func (l *Lab) Pause() {
	if !l.Playing {
		return
	}
	l.Playing = false
	l.resumeOnShow = false
	l.Port.Trainer(lab.Request{Op: lab.OpPause, Seq: l.nextSeq()})
}

// StepOnce takes one distillation step.
func (l *Lab) StepOnce() {
	if !l.CanRun() || l.Playing || l.Live.Step >= l.Live.Report.Config.Steps {
		return
	}
	if l.Repro.Running {
		l.Notice = &Notice{Text: SuiteBusy, Error: true}
		return
	}
	l.ShownID = ""
	l.Port.Trainer(lab.Request{Op: lab.OpStep, Seq: l.nextSeq()})
}

func (l *Lab) transport() *lab.Transport {
	return &lab.Transport{Speed: l.Settings.Speed, StopAt: l.Settings.StopAt}
}

// Speeds are the transport's speed choices, in steps per second (0: as fast
// as the engine goes).
var Speeds = []float64{0, 4, 2, 1, 0.5}

// SpeedLabel names a speed.
func SpeedLabel(s float64) string {
	switch {
	case s == 0:
		return "fastest"
	case s >= 1:
		return strconv.FormatFloat(s, 'g', -1, 64) + " steps / s"
	default:
		return fmt.Sprintf("1 step / %g s", 1/s)
	}
}

// SetSpeed changes the speed without resetting.
func (l *Lab) SetSpeed(s float64) { setNumber(l, "speed", s) }

// SetStopAt sets the step at which playing pauses (0: none).
func (l *Lab) SetStopAt(step int) { setNumber(l, "stop", step) }

func (l *Lab) sendTransport() {
	if l.CanRun() {
		l.Port.Trainer(lab.Request{Op: lab.OpSpeed, Seq: l.nextSeq(), Transport: l.transport()})
	}
	l.syncURL()
}

// OnVisibility pauses when the tab is hidden and resumes, at the same step,
// when it shows again.
func (l *Lab) OnVisibility(hidden bool) {
	switch {
	case hidden && l.Playing:
		l.Pause()
		l.resumeOnShow = true
	case !hidden && l.resumeOnShow:
		l.resumeOnShow = false
		l.Play()
	}
}

// The setters below change one setting through its row of the knob table
// (knobs.go): a number takes the nearest value the row allows; a setting
// that defines the run resets it, unless the row changes it in place (the
// learning rate and the temperature).

func (l *Lab) SetRecipe(name string) {
	if name == l.Settings.Recipe {
		return
	}
	s := l.Settings
	if err := s.ApplyRecipe(name); err != nil {
		l.Notice = &Notice{Text: err.Error(), Error: true}
		return
	}
	l.Settings = s
	l.Reset()
}

func (l *Lab) SetModel(name string)              { l.change("model", name) }
func (l *Lab) SetSeed(v string)                  { l.change("seed", v) }
func (l *Lab) SetSteps(n int)                    { setNumber(l, "steps", n) }
func (l *Lab) SetDivergence(d distill.Objective) { l.change("div", string(d)) }
func (l *Lab) SetBeta(b float64)                 { setNumber(l, "beta", b) }
func (l *Lab) SetG(g int)                        { setNumber(l, "g", g) }
func (l *Lab) SetTeacher(t distill.TeacherMode)  { l.change("teacher", string(t)) }
func (l *Lab) SetSFTEpochs(n int)                { setNumber(l, "sft", n) }
func (l *Lab) SetSelfData(b bool)                { l.change("self", fmtBool(b)) }
func (l *Lab) SetLR(lr float32)                  { setNumber(l, "lr", lr) }
func (l *Lab) SetTemperature(t float32)          { setNumber(l, "temp", t) }

// setNumber changes a numeric setting to the nearest value its row allows.
func setNumber[T int | float32 | float64](l *Lab, key string, x T) {
	l.change(key, formatNumber(clamp(*knobNamed(key).rng, x)))
}

// change sets the row key to the text v, as a link would, and does what the
// row says a change does: nothing more for the transport and the classroom,
// an in-place change for a live knob, a new run for the rest. A value the
// row or the run refuses changes nothing and says why.
func (l *Lab) change(key, v string) {
	k := knobNamed(key)
	s := l.Settings
	if err := k.set(&s, v); err != nil {
		l.Notice = &Notice{Text: fmt.Sprintf("Not changed: %s %v", key, err), Error: true}
		return
	}
	switch {
	case k.page:
		l.Settings = s
		l.sendTransport()
	case k.live != nil:
		if _, err := s.Config(); err != nil {
			l.Notice = &Notice{Text: "Not changed: " + err.Error(), Error: true}
			return
		}
		l.Settings = s
		l.setKnobs(k.live(s))
	default:
		l.setRun(func(t *Settings) { *t = s })
	}
}

// setRun applies a change that defines a new run, if the result is valid.
func (l *Lab) setRun(f func(*Settings)) {
	s := l.Settings
	f(&s)
	c, err := s.Config()
	if err != nil {
		l.Notice = &Notice{Text: "Not changed: " + err.Error(), Error: true}
		return
	}
	s.adopt(c)
	if s.Hash() == l.Settings.Hash() {
		return
	}
	l.Settings = s
	l.Reset()
}

func (l *Lab) setKnobs(k lab.Knobs) {
	if l.CanRun() {
		if l.Live.Step == 0 {
			// Nothing has run: the new value is simply the run's config.
			l.Reset()
			return
		}
		l.Port.Trainer(lab.Request{Op: lab.OpSet, Seq: l.nextSeq(), Knobs: &k})
	}
	l.syncURL()
}

func (l *Lab) syncURL() { l.Port.SetHash(l.Settings.Hash()) }

// ApplyHash replaces the settings with a link's (when the page's fragment
// changes). A bad fragment leaves everything as it is and says why.
func (l *Lab) ApplyHash(hash string) {
	if hash == "#"+l.Settings.Hash() || hash == l.Settings.Hash() {
		return
	}
	s, err := ParseHash(hash, l.Settings)
	if err != nil {
		l.Notice = &Notice{Text: err.Error() + ". Nothing was changed.", Error: true}
		return
	}
	runChanged := s.runKey() != l.Settings.runKey()
	suiteChanged := s.suiteKey() != l.Settings.suiteKey()
	l.Settings = s
	if suiteChanged && !l.Repro.Running {
		l.initReproduce()
	}
	l.Cons.Draft, l.Cons.Check = s.Constitution, nil
	l.Guide.Open = s.Guide
	if s.Class != "" && s.Class != l.Board.Class {
		l.Board.ClassDraft = s.Class
		l.loadBoard(s.Class)
	}
	if runChanged {
		l.Reset()
	} else {
		l.sendTransport()
	}
}

// suiteKey is the part of the settings that lists the Reproduce view's
// jobs.
func (s Settings) suiteKey() string {
	c := ""
	if s.suiteName() == SuiteCustom {
		c = s.Constitution
	}
	return fmt.Sprint(s.suiteName(), s.SuiteSeeds, s.SuiteSteps, c)
}

// runKey is the part of the settings that defines the run: the table's
// rows not on the page.
func (s Settings) runKey() string {
	var b strings.Builder
	for _, k := range knobs {
		if !k.page {
			b.WriteString(k.key + "=" + k.get(&s) + "\x00")
		}
	}
	return b.String()
}

// Routine says whether an engine worker's message may wait for the page's
// next paced render (see wasm/page's bridge) rather than render at once:
// a training step's event, an evaluator's part of an evaluation (the
// trainer files it), and the trainer's answer to a part that completed no
// evaluation (also when the trainer evaluated the part and filed it). What
// a reader waits for renders at once: an evaluation's point (and with it
// the collapse banner), the teacher's measurements, a pause, a start, a
// report, an error, any other answer.
func Routine(resp lab.Response, fromEvaluator bool) bool {
	if resp.Error != "" {
		return false
	}
	if fromEvaluator && resp.Recorded == nil {
		return true
	}
	other := resp.Info != nil || resp.Samples != nil || resp.Metrics != nil || resp.Check != nil || resp.Started != nil ||
		resp.Paused != nil || resp.Report != nil || resp.Trace != nil || resp.Measured != nil || resp.Knobs != nil
	switch r := resp.Recorded; {
	case other:
		return false
	case r != nil:
		return resp.Step == nil && len(r.Points) == 0 && r.Teacher == nil && r.Leakage == nil
	}
	return resp.Step != nil
}
