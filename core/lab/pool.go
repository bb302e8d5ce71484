package lab

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/model"
)

// A pool is the trainer and K−1 helper Web Workers. Each helper holds a
// replica of the trainer's run (distill.NewReplica): the trainer hands
// each step's shard works out across the pool (distill.Executor), computes
// its own share, adds the shards' gradients in shard order, steps its
// optimizer and sends the summed gradient to every helper, which applies
// the same step. The replicas stay identical; every grad output carries a
// hash of the weights it was computed on, and the trainer checks it
// against its own. A helper that fails is dropped and its works are
// computed by the trainer: the run goes on, on fewer workers, with the same
// bits.
//
// Helpers and the trainer talk over MessagePorts, in PoolMsg messages;
// the Web Worker binding only carries them.

// Pool message types.
const (
	PoolReplica = "replica" // trainer → helper: a new run's replica (JSON ReplicaSpec; Bufs: the teacher, or none)
	PoolWork    = "work"    // trainer → helper: a distill.ShardWork
	PoolUpdate  = "update"  // trainer → helper: a distill.Update (Bufs: the summed gradient, or none)
	PoolOut     = "out"     // helper → trainer: a PoolResult (Bufs: the shard's gradient, a probe's full distributions, or none)
)

// PoolMsg is one message between the trainer and a helper: JSON and the
// raw float32 buffers beside it.
type PoolMsg struct {
	Type string
	JSON []byte
	Bufs [][]byte
}

// ReplicaSpec says which run a helper replicates.
type ReplicaSpec struct {
	RunID  int            `json:"run_id"`
	Model  string         `json:"model"`
	Config distill.Config `json:"config"`
}

type poolWork struct {
	RunID int `json:"run_id"`
	distill.ShardWork
}

type poolUpdate struct {
	RunID int `json:"run_id"`
	distill.Update
}

// PoolResult is a helper's answer to a work.
type PoolResult struct {
	RunID int              `json:"run_id"`
	Step  int              `json:"step"`
	Shard int              `json:"shard"`
	Stage string           `json:"stage"`
	Epoch int              `json:"epoch"`
	Out   distill.ShardOut `json:"out"`
	Hash  uint64           `json:"hash,string"` // the replica's weights as it computed the work
	Error string           `json:"error,omitempty"`
}

// Pool is the trainer's side of the pool; it is the run's distill.Executor.
type Pool struct {
	send  func(helper int, m PoolMsg)
	alive []bool

	run   *distill.Run
	runID int
	works []distill.ShardWork
	outs  []distill.ShardOut
	got   []bool
	owner []int // the helper computing each work, -1 for the trainer
	local []int // the trainer's works not yet computed
	want  uint64
	err   error

	waitFrom time.Time     // when Collect last found nothing to do but wait
	waited   time.Duration // time spent waiting on helpers since the last step
	sent     time.Time     // when the stage's works went out

	// Timeout drops a helper that has not answered a stage's work this
	// long after it went out (a worker the browser stopped, or one that
	// hangs); a shard takes milliseconds.
	Timeout time.Duration

	// Alone keeps a stage's works on the trainer (Driver.HelpersEvaluate);
	// the helpers still apply every update.
	Alone bool

	// Lost says which helpers were dropped and why; Verified counts the
	// helpers' grad outputs whose weights hash matched the trainer's.
	Lost     []string
	Verified int
}

// NewPool is a pool of the trainer and helpers helpers, reached by send.
func NewPool(helpers int, send func(helper int, m PoolMsg)) *Pool {
	p := &Pool{send: send, alive: make([]bool, helpers), Timeout: 30 * time.Second}
	for i := range p.alive {
		p.alive[i] = true
	}
	return p
}

// Workers is the pool's size: the trainer and its live helpers.
func (p *Pool) Workers() int {
	n := 1
	for _, a := range p.alive {
		if a {
			n++
		}
	}
	return n
}

// start makes every live helper replicate a new run.
func (p *Pool) start(runID int, modelName string, run *distill.Run) {
	p.run, p.runID, p.works, p.err = run, runID, nil, nil
	spec, _ := json.Marshal(ReplicaSpec{RunID: runID, Model: modelName, Config: run.Cfg})
	var bufs [][]byte
	if run.Teacher != run.Student {
		bufs = [][]byte{encodeParams(run.Teacher)}
	}
	for h, a := range p.alive {
		if a {
			p.send(h, PoolMsg{Type: PoolReplica, JSON: spec, Bufs: bufs})
		}
	}
	run.UseExecutor(p)
}

// Submit implements distill.Executor: works go to the live helpers and the
// trainer by their cost (distill.Balance), the trainer last, since it also
// coordinates the step.
func (p *Pool) Submit(works []distill.ShardWork) error {
	p.works, p.outs = works, make([]distill.ShardOut, len(works))
	p.got, p.owner, p.local = make([]bool, len(works)), make([]int, len(works)), nil
	p.sent = time.Now()
	var live []int
	for h, a := range p.alive {
		if a {
			live = append(live, h)
		}
	}
	if p.Alone {
		live = nil
	}
	bins := make([]int, len(works)) // all the trainer's without helpers
	if len(live) > 0 {
		bins = distill.Balance(p.run.WorkCosts(works), len(live)+1)
	}
	for i, w := range works {
		if bins[i] == len(live) {
			p.owner[i] = -1
			p.local = append(p.local, i)
			continue
		}
		h := live[bins[i]]
		p.owner[i] = h
		b, _ := json.Marshal(poolWork{RunID: p.runID, ShardWork: w})
		p.send(h, PoolMsg{Type: PoolWork, JSON: b})
	}
	// Once the helpers have their works: what their gradients' hashes must be.
	if len(p.local) < len(works) && works[0].Stage == distill.StageGrad {
		p.want = p.run.WeightsHash()
	}
	return nil
}

// Collect implements distill.Executor: one of the trainer's own works per
// call, then the helpers' outputs once all are in.
func (p *Pool) Collect() ([]distill.ShardOut, bool, error) {
	if !p.waitFrom.IsZero() {
		p.waited += time.Since(p.waitFrom)
		p.waitFrom = time.Time{}
	}
	if p.err != nil {
		return nil, false, p.err
	}
	if len(p.local) > 0 {
		i := p.local[0]
		p.local = p.local[1:]
		out, err := p.run.DoShard(p.works[i])
		if err != nil {
			return nil, false, err
		}
		p.outs[i], p.got[i] = out, true
	}
	for i, g := range p.got {
		if !g {
			if len(p.local) == 0 && time.Since(p.sent) > p.Timeout {
				p.Drop(p.owner[i], fmt.Sprintf("no answer in %v", p.Timeout))
				return nil, false, nil // its works are the trainer's now
			}
			if len(p.local) == 0 {
				p.waitFrom = time.Now()
			}
			return nil, false, nil
		}
	}
	return p.outs, true, nil
}

// takeWaited returns the time spent waiting on helpers since it was last
// called.
func (p *Pool) takeWaited() time.Duration {
	d := p.waited
	p.waited = 0
	return d
}

// Waiting reports whether the pool can do nothing until a helper answers.
func (p *Pool) Waiting() bool {
	if p.works == nil || p.err != nil || len(p.local) > 0 {
		return false
	}
	for _, g := range p.got {
		if !g {
			return true
		}
	}
	return false
}

// Apply implements distill.Executor: every live helper gets the update.
func (p *Pool) Apply(u distill.Update) error {
	b, _ := json.Marshal(poolUpdate{RunID: p.runID, Update: u})
	var bufs [][]byte
	if u.Grad != nil {
		bufs = [][]byte{encodeFloats(u.Grad)}
	}
	for h, a := range p.alive {
		if a {
			p.send(h, PoolMsg{Type: PoolUpdate, JSON: b, Bufs: bufs})
		}
	}
	p.works = nil
	return nil
}

// Deliver files helper h's message.
func (p *Pool) Deliver(h int, m PoolMsg) {
	if h < 0 || h >= len(p.alive) || !p.alive[h] || m.Type != PoolOut {
		return
	}
	var r PoolResult
	if err := json.Unmarshal(m.JSON, &r); err != nil {
		p.Drop(h, "its answer could not be read: "+err.Error())
		return
	}
	if r.Error != "" {
		p.Drop(h, r.Error)
		return
	}
	if r.RunID != p.runID || p.works == nil {
		return // an earlier run's or step's answer
	}
	for i, w := range p.works {
		if p.owner[i] != h || p.got[i] || w.Step != r.Step || w.Shard != r.Shard || w.Stage != r.Stage || w.Epoch != r.Epoch {
			continue
		}
		out := r.Out
		if w.Stage == distill.StageProbe {
			if err := unpackFull(out.Probe, m.Bufs); err != nil {
				p.Drop(h, err.Error())
				return
			}
		}
		if w.Stage == distill.StageGrad {
			if r.Hash != p.want {
				p.err = fmt.Errorf("worker %d's weights differ from the trainer's at step %d: the replicas diverged", h+1, w.Step)
				return
			}
			if len(m.Bufs) != 1 {
				p.Drop(h, "a gradient went missing")
				return
			}
			g, err := decodeFloats(m.Bufs[0])
			if err != nil {
				p.Drop(h, err.Error())
				return
			}
			out.Grad = g
			p.Verified++
		}
		p.outs[i], p.got[i] = out, true
		return
	}
}

// Drop takes helper h out of the pool (it failed: why) and gives its
// outstanding works to the trainer.
func (p *Pool) Drop(h int, why string) {
	if h < 0 || h >= len(p.alive) || !p.alive[h] {
		return
	}
	p.alive[h] = false
	p.Lost = append(p.Lost, fmt.Sprintf("worker %d stopped (%s); training goes on with %d", h+1, why, p.Workers()))
	for i := range p.works {
		if p.owner[i] == h && !p.got[i] {
			p.owner[i] = -1
			p.local = append(p.local, i)
		}
	}
}

// Replica is a helper's side of the pool: the run it replicates.
type replica struct {
	id   int
	run  *distill.Run
	hash uint64 // the weights' hash since the last update (0: not taken)
}

// PoolMessage handles a message from the trainer in a helper and returns
// the answer to send back, if any.
func (e *Engine) PoolMessage(m PoolMsg) *PoolMsg {
	fail := func(res PoolResult, err error) *PoolMsg {
		res.Error = err.Error()
		b, _ := json.Marshal(res)
		return &PoolMsg{Type: PoolOut, JSON: b}
	}
	switch m.Type {
	case PoolReplica:
		var spec ReplicaSpec
		if err := json.Unmarshal(m.JSON, &spec); err != nil {
			return fail(PoolResult{}, err)
		}
		if err := e.newReplica(spec, m.Bufs); err != nil {
			e.replica = nil
			return fail(PoolResult{RunID: spec.RunID}, fmt.Errorf("replica of run %d: %w", spec.RunID, err))
		}
	case PoolWork:
		var w poolWork
		if err := json.Unmarshal(m.JSON, &w); err != nil {
			return fail(PoolResult{}, err)
		}
		res := PoolResult{RunID: w.RunID, Step: w.Step, Shard: w.Shard, Stage: w.Stage, Epoch: w.Epoch}
		if e.replica == nil || e.replica.id != w.RunID {
			return fail(res, fmt.Errorf("no replica of run %d", w.RunID))
		}
		out, err := e.replica.run.DoShard(w.ShardWork)
		if err != nil {
			return fail(res, err)
		}
		res.Out = out
		var bufs [][]byte
		if out.Probe != nil {
			bufs = packFull(out.Probe)
		}
		if out.Grad != nil {
			if e.replica.hash == 0 { // once per update, not once per shard
				e.replica.hash = e.replica.run.WeightsHash()
			}
			res.Hash = e.replica.hash
			bufs = [][]byte{encodeFloats(out.Grad)}
		}
		b, _ := json.Marshal(res)
		return &PoolMsg{Type: PoolOut, JSON: b, Bufs: bufs}
	case PoolUpdate:
		var u poolUpdate
		if err := json.Unmarshal(m.JSON, &u); err != nil {
			return fail(PoolResult{}, err)
		}
		if e.replica == nil || e.replica.id != u.RunID {
			return nil // an update of a run this helper does not replicate
		}
		if len(m.Bufs) == 1 {
			g, err := decodeFloats(m.Bufs[0])
			if err != nil {
				return fail(PoolResult{RunID: u.RunID}, err)
			}
			u.Grad = g
		}
		e.replica.hash = 0
		if err := e.replica.run.ApplyUpdate(u.Update); err != nil {
			return fail(PoolResult{RunID: u.RunID}, err)
		}
	}
	return nil
}

func (e *Engine) newReplica(spec ReplicaSpec, bufs [][]byte) error {
	base, ok := e.bases[spec.Model]
	if !ok {
		return fmt.Errorf("model %q is not loaded", spec.Model)
	}
	var teacher []float32
	if len(bufs) == 1 {
		var err error
		if teacher, err = decodeFloats(bufs[0]); err != nil {
			return err
		}
	}
	run, err := distill.NewReplica(base, spec.Config, teacher)
	if err != nil {
		return err
	}
	e.replica = &replica{id: spec.RunID, run: run}
	return nil
}

// encodeFloats is xs as float32 little-endian bytes.
func encodeFloats(xs []float32) []byte {
	b := make([]byte, 4*len(xs))
	for i, v := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func decodeFloats(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, errors.New("a float32 buffer of an odd length")
	}
	out := make([]float32, len(b)/4)
	readFloats(out, b)
	return out, nil
}

// readFloats fills dst from len(dst) float32 little-endian values of b.
func readFloats(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func encodeParams(m *model.Model) []byte { return encodeFloats(m.Params()) }

// packFull moves a probe's full distributions (TokenRecord.Full), when it
// has them, out of its JSON into one buffer: per token, the student's then
// the teacher's log-probabilities, float64 little-endian. Sent as JSON
// they would be some 500 kB a probe, every step.
func packFull(tr *distill.ProbeTrace) [][]byte {
	var b []byte
	for i := range tr.Tokens {
		f := tr.Tokens[i].Full
		if f == nil {
			continue
		}
		for _, xs := range [][]float64{f.LogPStudent, f.LogPTeacher} {
			for _, v := range xs {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
		f.LogPStudent, f.LogPTeacher = nil, nil
	}
	if b == nil {
		return nil
	}
	return [][]byte{b}
}

// unpackFull puts back what packFull took out of a probe's trace.
func unpackFull(tr *distill.ProbeTrace, bufs [][]byte) error {
	if tr == nil {
		return errors.New("a probe came back without its trace")
	}
	full := 0
	for _, t := range tr.Tokens {
		if t.Full != nil {
			full++
		}
	}
	switch {
	case full == 0 && len(bufs) == 0:
		return nil
	case len(bufs) != 1 || len(bufs[0])%(16*max(full, 1)) != 0:
		return errors.New("a probe's full distributions went missing")
	}
	v := len(bufs[0]) / (16 * full) // the vocabulary's size
	xs := make([]float64, len(bufs[0])/8)
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(bufs[0][8*i:]))
	}
	for i := range tr.Tokens {
		if f := tr.Tokens[i].Full; f != nil {
			f.LogPStudent, f.LogPTeacher, xs = xs[:v:v], xs[v:2*v:2*v], xs[2*v:]
		}
	}
	return nil
}
