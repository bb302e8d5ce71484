package lab

import (
	"errors"
	"fmt"
	"time"
)

// Driver is the trainer's transport: it plays a run step by step, pausing on
// request, at a stop step, at the end of the run, or when a step's loss or
// divergence is not finite. It answers every Engine request too.
//
// The Web Worker binding calls Tick in a loop while Playing, and between two
// ticks gives the browser's event loop a turn, so a Pause sent by the page
// is handled within one phase of a step (a step is a few of them).
type Driver struct {
	E *Engine

	// KeepUp makes the driver wait, before a step, while the step would
	// take training more than one evaluation interval past an evaluation
	// not yet filed: each evaluation, and so the collapse banner, then
	// comes at most one interval after its step. The page sets it; a caller that files no
	// evaluations while playing leaves it off.
	KeepUp bool

	// HelpersEvaluate says that the pool's helpers are evaluators too (the
	// page hands them evaluation chunks): while an evaluation of a step is
	// out, the trainer then computes each step's works itself (Pool.Alone)
	// and the helpers evaluate. A step of the lab's model gains little from
	// sharding, and every helper computes each step's update besides; the
	// evaluation gains a whole worker. The bits do not change.
	HelpersEvaluate bool

	playing   bool
	transport Transport
	stepStart time.Time // when the step in progress began (for the speed)
}

// NewDriver returns a driver over a fresh engine.
func NewDriver() *Driver { return &Driver{E: New()} }

// Playing reports whether Tick should be called.
func (d *Driver) Playing() bool { return d.playing }

// Handle answers a request: transport ops here, the rest by the engine.
// Starting a run, stepping by hand or recording never changes whether the
// driver plays, except that a new run starts paused.
func (d *Driver) Handle(req Request) Response {
	var resp Response
	var err error
	switch req.Op {
	case OpPlay:
		resp, err = d.play(req)
	case OpPause:
		resp = d.pause("paused", false)
	case OpSpeed:
		if req.Transport == nil {
			err = errors.New("speed: missing transport")
		} else if err = checkTransport(*req.Transport); err == nil {
			d.transport = *req.Transport
		}
	case OpStart:
		d.playing = false
		resp = d.E.Handle(req)
	default:
		resp = d.E.Handle(req)
	}
	if err != nil {
		return Response{Seq: req.Seq, Error: err.Error()}
	}
	resp.Seq = req.Seq
	return resp
}

func checkTransport(t Transport) error {
	if t.Speed < 0 || t.Speed > 1000 || t.StopAt < 0 {
		return fmt.Errorf("transport: speed %v, stop at %d: want speed 0 (fastest) to 1000 steps/s and a stop step ≥ 0", t.Speed, t.StopAt)
	}
	return nil
}

func (d *Driver) play(req Request) (Response, error) {
	t, err := d.E.current(0)
	if err != nil {
		return Response{}, err
	}
	if req.Transport != nil {
		if err := checkTransport(*req.Transport); err != nil {
			return Response{}, err
		}
		d.transport = *req.Transport
	}
	if t.run.Done() {
		return Response{}, fmt.Errorf("the run is finished: all %d steps have run; reset to play again", t.run.Cfg.Steps)
	}
	d.playing = true
	return Response{}, nil
}

// pause stops playing and says so.
func (d *Driver) pause(reason string, auto bool) Response {
	d.playing = false
	p := &Paused{Reason: reason, Auto: auto}
	if t := d.E.run; t != nil {
		p.RunID, p.Step = t.id, t.run.StepNum()
	}
	return Response{Paused: p}
}

// evalWait is how long Tick waits before it looks again whether the
// evaluations have caught up.
const evalWait = 20 * time.Millisecond

// waits says whether the trainer waits for an evaluation before its next
// step (KeepUp and trainer.evalLag).
func (d *Driver) waits(t *trainer) bool { return d.KeepUp && t.evalLag() }

// WaitingOnPool reports whether the trainer can do nothing until a helper
// of its pool answers: the binding then sleeps until one does.
func (d *Driver) WaitingOnPool() bool { return d.playing && d.E.Pool != nil && d.E.Pool.Waiting() }

// Tick does one phase of a step while playing (distill.Run.Advance), so the
// caller can answer requests, a Pause above all, between phases instead of
// after a whole step. When a step completes it returns the step's event
// (with any Paused the step caused) and how long to wait before the next
// tick to keep to the transport's speed; before that, a zero Response. It
// returns a zero Response when not playing.
func (d *Driver) Tick() (Response, time.Duration) {
	if !d.playing {
		return Response{}, 0
	}
	t, err := d.E.current(0)
	if err != nil {
		r := d.pause(err.Error(), true)
		return r, 0
	}
	if !t.run.MidStep() {
		if d.waits(t) {
			return Response{}, evalWait
		}
		d.stepStart = time.Now()
		if t.pool != nil {
			t.pool.Alone = d.HelpersEvaluate && t.evaluating()
		}
	}
	ev, job, err := t.advance()
	if err != nil {
		r := d.pause(err.Error(), true)
		r.Error = err.Error()
		return r, 0
	}
	if ev == nil {
		return Response{}, 0
	}
	ev.Held = d.waits(t) // the page may hand the trainer evaluation chunks till then
	resp := Response{Step: ev}
	if job != nil {
		resp.Jobs = []Job{*job}
	}
	switch {
	case ev.Warning != "":
		resp.Paused = d.pause(ev.Warning+". Paused: lower the learning rate or the temperature, or reset.", true).Paused
	case ev.Done:
		resp.Paused = d.pause(fmt.Sprintf("finished: all %d steps have run", ev.Step), true).Paused
	case ev.Step == d.transport.StopAt:
		resp.Paused = d.pause(fmt.Sprintf("stop step %d reached", d.transport.StopAt), true).Paused
	}
	var wait time.Duration
	if d.transport.Speed > 0 {
		wait = time.Duration(float64(time.Second)/d.transport.Speed) - time.Since(d.stepStart)
	}
	return resp, max(wait, 0)
}
