package lab

import (
	"encoding/json"

	"github.com/copsdlab/copsd/core/diag"
	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/world"
)

// The lab runs in three kinds of places, all speaking this protocol:
//
//   - the trainer (one Web Worker) holds the run: start, step, play, pause,
//     set, record, report. Every evaluation step it hands out a Job: a
//     snapshot of the weights to evaluate;
//   - evaluators (one or more Web Workers) run Jobs: the held-out evaluation
//     of a snapshot, and, once, the teacher's own evaluation and the
//     constitution's leakage as the run starts. They answer with a Measured, which the page passes back to the
//     trainer (record), so the trainer's Report is the run's one record;
//   - the page (the UI, Go too) sends Requests and renders Responses.
//
// Evaluations are the slow part of a run (seconds in a browser); taking them
// off the trainer keeps each uninterrupted piece of work down to one training
// step, so Pause is honoured quickly, and lets them run beside training.
//
// Requests and Responses are JSON. Model weights travel beside them as raw
// bytes (Blobs, Job.Blobs), never inside the JSON.

// Ops of a Request.
const (
	OpInfo     = "info"     // models, presets, vocabulary, probe prompts
	OpSample   = "sample"   // sample answers from a base model
	OpEval     = "eval"     // evaluate a base model under a constitution
	OpCheck    = "check"    // parse a constitution: canonical text or a located error
	OpStart    = "start"    // begin a run (replacing any); answers Started and the step-0 Jobs
	OpStep     = "step"     // take N steps (default 1) now; answers the last StepEvent
	OpSet      = "set"      // change the learning rate or temperature between steps
	OpRecord   = "record"   // file an evaluator's Measured into the run's report
	OpReport   = "report"   // the run's report so far
	OpPlay     = "play"     // step continuously (Driver only), with Transport settings
	OpPause    = "pause"    // stop stepping after the current step (Driver only)
	OpSpeed    = "speed"    // change Transport settings without playing or pausing (Driver only)
	OpEvaluate = "evaluate" // evaluator: run a Job
	OpTrace    = "trace"    // the latest step's probe records with both models' full distributions
)

// Job kinds.
const (
	JobEval    = "eval"    // held-out evaluation of the student (and the teacher on its samples)
	JobTeacher = "teacher" // the teacher's own evaluation with its constitution
	JobLeakage = "leakage" // the constitution's leakage on the teacher
)

// Request is one command to the engine. Op selects which fields matter.
type Request struct {
	Op  string `json:"op"`
	Seq int    `json:"seq,omitempty"` // echoed in the Response, so a caller can match replies

	Model        string  `json:"model,omitempty"`        // info/sample/eval: a loaded model's name
	Constitution string  `json:"constitution,omitempty"` // sample/eval/check: preset name or rule text
	Prompt       string  `json:"prompt,omitempty"`       // sample: the request text
	N            int     `json:"n,omitempty"`            // sample: samples (default 4, at most 16); step: steps (default 1, at most 1000)
	Seed         uint64  `json:"seed,omitempty"`         // sample/eval
	Temperature  float32 `json:"temperature,omitempty"`  // sample/eval: default 1

	Run       *RunSpec   `json:"run,omitempty"`       // start
	Knobs     *Knobs     `json:"knobs,omitempty"`     // set
	Measured  *Measured  `json:"measured,omitempty"`  // record
	Job       *Job       `json:"job,omitempty"`       // evaluate; its weights are in Blobs
	Transport *Transport `json:"transport,omitempty"` // play, speed

	// Blobs are the raw bytes that travel beside the JSON: an evaluate
	// request's weight snapshots, in the order Job.Blobs gave them.
	Blobs [][]byte `json:"-"`
}

// Response is the engine's answer; Error is set when the request failed and
// then nothing else but Seq is.
type Response struct {
	Seq   int    `json:"seq,omitempty"`
	Error string `json:"error,omitempty"`

	Info     *Info         `json:"info,omitempty"`
	Samples  []SampleOut   `json:"samples,omitempty"`
	Metrics  *eval.Metrics `json:"metrics,omitempty"`
	Check    *Check        `json:"check,omitempty"`
	Started  *Started      `json:"started,omitempty"`
	Step     *StepEvent    `json:"step,omitempty"`
	Paused   *Paused       `json:"paused,omitempty"`
	Recorded *Recorded     `json:"recorded,omitempty"`
	Report   *RunReport    `json:"report,omitempty"`
	Trace    *Trace        `json:"trace,omitempty"` // trace
	Measured *Measured     `json:"measured,omitempty"`
	Knobs    *Knobs        `json:"knobs,omitempty"` // set: the knobs now in force

	// Jobs are evaluations the trainer asks the page to hand to an
	// evaluator, each with its weight snapshots in Job.Blobs.
	Jobs []Job `json:"jobs,omitempty"`
}

// Info describes the loaded models and the world.
type Info struct {
	Models       []ModelInfo     `json:"models"`
	Presets      []world.Preset  `json:"presets"`
	EvalPrompts  []string        `json:"eval_prompts"`
	ProbePrompts []string        `json:"probe_prompts"` // the prompts traced token by token, in order
	Vocab        []string        `json:"vocab"`
	Families     map[string]int  `json:"families"`
	Extra        json.RawMessage `json:"extra,omitempty"`
}

// ModelInfo describes one loaded base model.
type ModelInfo struct {
	Name   string  `json:"name"`
	Rho    float64 `json:"rho"`
	Seed   uint64  `json:"seed"`
	Params int     `json:"params"`
	Dim    int     `json:"dim"`
	Layers int     `json:"layers"`
	Heads  int     `json:"heads"`
	Steps  int     `json:"steps"`
	Loss   float64 `json:"final_loss"`
}

// SampleOut is one sampled answer with the judge's verdict.
type SampleOut struct {
	Response string         `json:"response"`
	Tokens   int            `json:"tokens"`
	Entropy  float64        `json:"entropy"` // mean per-token entropy, nats
	Verdict  *world.Verdict `json:"verdict,omitempty"`
}

// Check is the verdict on a constitution's text. Exactly one of Text (the
// canonical text, "" for no constitution) and Error is meaningful.
type Check struct {
	OK      bool                `json:"ok"`
	Text    string              `json:"text"`              // canonical: "refuse weapons . be helpful ."
	Rules   int                 `json:"rules"`             // sentences
	Tokens  int                 `json:"tokens"`            // with its <sys> markers
	Error   string              `json:"error,omitempty"`   // the whole message
	Unknown []world.UnknownWord `json:"unknown,omitempty"` // unknown words, each with suggestions
	BadRule *BadRule            `json:"bad_rule,omitempty"`
}

// BadRule locates a sentence that is not a rule.
type BadRule struct {
	Rule   int    `json:"rule"` // 1-based
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// RunSpec says which run to start: a base model and a full config. The same
// spec gives the same run, step for step, natively and in the browser.
type RunSpec struct {
	ID     int            `json:"id"`    // the caller's name for the run; echoed in everything the run produces
	Model  string         `json:"model"` // a loaded model's name, e.g. "base-rho50"
	Config distill.Config `json:"config"`
}

// Started says a run is ready to step.
type Started struct {
	RunID        int                     `json:"run_id"`
	Model        string                  `json:"model"`
	Config       distill.Config          `json:"config"` // with every default filled in
	Constitution string                  `json:"constitution"`
	CrossSFT     *distill.CrossSFTReport `json:"cross_sft,omitempty"`
	Probes       []string                `json:"probes"` // the probe prompts traced each step
	Millis       float64                 `json:"ms"`     // time to prepare (Cross-SFT included)
}

// StepEvent is one training step.
type StepEvent struct {
	RunID   int                  `json:"run_id"`
	Step    int                  `json:"step"`
	Train   distill.TrainMetrics `json:"train"`
	Probes  []distill.ProbeTrace `json:"probes,omitempty"`
	Warning string               `json:"warning,omitempty"` // non-finite loss or divergence: the update was skipped
	Done    bool                 `json:"done"`              // the configured steps have run
	Millis  float64              `json:"ms"`                // compute time of the step (pauses between its phases excluded)
	// Workers is how many Web Workers computed the step's shards;
	// Verified counts the helpers' gradients so far whose weights matched
	// the trainer's; Lost says which helpers failed and were dropped.
	Workers  int      `json:"workers,omitempty"`
	Verified int      `json:"verified,omitempty"`
	Lost     []string `json:"lost,omitempty"`
	// Held says that the trainer waits for an evaluation before its next
	// step (at most one eval_every between a step and its evaluation): it
	// is free to evaluate until then.
	Held bool `json:"held,omitempty"`
	// Memory is the trainer's memory, measured every MemoryEvery steps.
	Memory *Memory `json:"memory,omitempty"`
}

// MemoryEvery is how often (in steps) the trainer measures its memory.
const MemoryEvery = 100

// Memory is what the trainer's Go program holds: its live heap after a
// collection, and all the memory it has taken from the system (in a
// browser, the WebAssembly memory, which never shrinks).
type Memory struct {
	LiveHeap uint64 `json:"live_heap"`
	Sys      uint64 `json:"sys"`
}

// Paused says the trainer stopped stepping, and why.
type Paused struct {
	RunID  int    `json:"run_id"`
	Step   int    `json:"step"`
	Reason string `json:"reason"`
	Auto   bool   `json:"auto"` // the trainer paused on its own (stop step, end of run, non-finite values)
}

// Transport is how the trainer plays.
type Transport struct {
	Speed  float64 `json:"speed"`   // steps per second; 0: as fast as the engine goes
	StopAt int     `json:"stop_at"` // pause when this step is reached (playing on from beyond it goes to the end); 0: none
}

// Knobs are the settings that change without restarting a run. Zero fields
// are left as they are.
type Knobs struct {
	LR          float32 `json:"lr,omitempty"`
	Temperature float32 `json:"temperature,omitempty"`
}

// Job is an evaluation of a weight snapshot, run by an evaluator.
type Job struct {
	RunID  int            `json:"run_id"`
	Kind   string         `json:"kind"` // JobEval, JobTeacher or JobLeakage
	Step   int            `json:"step"`
	Final  bool           `json:"final"` // the run's last step
	Model  string         `json:"model"`
	Config distill.Config `json:"config"` // as in force at Step (temperature may have changed)
	// Live says the teacher is the student itself: the eval job then carries
	// one snapshot instead of two.
	Live bool `json:"live"`
	// NChunks is how many chunks of held-out prompts a JobEval splits into
	// (distill.Run.EvalChunks). Chunks, when set, asks for those chunks
	// only: the page splits an evaluation across its evaluators, and the
	// trainer combines their parts, in chunk order, into the evaluation
	// one evaluator would have made.
	NChunks int   `json:"n_chunks,omitempty"`
	Chunks  []int `json:"chunks,omitempty"`

	// Blobs are the parameters, float32 little-endian in layout order: for
	// JobEval the student then (unless Live) the teacher; for JobTeacher and
	// JobLeakage the teacher.
	Blobs [][]byte `json:"-"`
}

// Measured is an evaluator's result for a Job.
type Measured struct {
	RunID   int           `json:"run_id"`
	Kind    string        `json:"kind"`
	Step    int           `json:"step"`
	Metrics *diag.Metrics `json:"metrics,omitempty"` // JobEval
	Parts   []EvalPart    `json:"parts,omitempty"`   // JobEval of some chunks
	Teacher *eval.Metrics `json:"teacher,omitempty"` // JobTeacher
	Leakage *diag.Leakage `json:"leakage,omitempty"` // JobLeakage
	Millis  float64       `json:"ms"`
}

// EvalPart is one chunk of an evaluation (diag.Part) as it crosses from an
// evaluator to the trainer: each answer names its held-out prompt by index.
type EvalPart struct {
	Chunk   int            `json:"chunk"`
	Samples []EvalSample   `json:"samples"`
	Sums    diag.ScoreSums `json:"sums"`
}

// EvalSample is an answer of an EvalPart; the trainer grades it again
// (the judge is exact and cheap), so that only tokens cross.
type EvalSample struct {
	Prompt   int       `json:"prompt"` // index among the world's held-out prompts
	Response []int32   `json:"response"`
	Entropy  []float32 `json:"entropy"`
}

// Recorded is what filing a Measured changed in the run's report.
type Recorded struct {
	RunID int `json:"run_id"`
	// Points are the evaluations that joined the report, in step order (an
	// evaluation that arrives before an earlier one waits for it).
	Points       []diag.Metrics `json:"points,omitempty"`
	CollapseStep *int           `json:"collapse_step"`
	Collapse     string         `json:"collapse,omitempty"`
	Teacher      *eval.Metrics  `json:"teacher,omitempty"`
	Leakage      *diag.Leakage  `json:"leakage,omitempty"`
	Pending      int            `json:"pending"` // evaluations handed out and not yet filed
}

// RunReport is the run's record, in the schema of `copsd run -json`, and
// whether evaluations are still outstanding.
type RunReport struct {
	Report  distill.Report `json:"report"`
	Pending int            `json:"pending"`
	Step    int            `json:"step"`
}

// Trace is the latest step's probe records, each token with both models'
// full next-token log-probabilities: the lines `copsd run -trace F
// -trace-full` writes for that step, so that a reader can recompute every
// number the token view shows.
type Trace struct {
	RunID   int                  `json:"run_id"`
	Step    int                  `json:"step"`
	Records []distill.ProbeTrace `json:"records"`
}
