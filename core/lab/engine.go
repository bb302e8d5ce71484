// Package lab is the engine the browser talks to: it holds loaded models,
// runs distillation in steps and answers requests. Requests and responses are
// plain structs encoded as JSON (protocol.go), shared by the Web Worker
// binding (wasm/engine) and the UI (ui/state); the package has no browser
// dependency and is tested natively.
//
// A run in the browser gives the same report, bit for bit, as `copsd run`
// does natively for the same model, config and seed: the trainer (trainer.go)
// and the evaluators (evaluator.go) split distill.Session's work between Web
// Workers without changing a number of it (see TestLabMatchesSession).
package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// Engine holds the loaded base models and, in a trainer, the current run.
// It is not safe for concurrent use; the browser runs one per Web Worker.
type Engine struct {
	bases   map[string]*pretrain.Base
	run     *trainer   // the trainer's current run, if any
	evalRun *evalCache // an evaluator's reusable run skeleton

	// Pool, when the trainer has helpers, computes the runs' shards
	// across them; replica is a helper's copy of the trainer's run.
	Pool    *Pool
	replica *replica

	// Yield, when set, is called between the steps of an evaluation job
	// (distill.Run.Yield): a Web Worker that also computes a pool's shards
	// answers them there instead of after the whole job.
	Yield func()
}

// New returns an engine with no models loaded.
func New() *Engine { return &Engine{bases: map[string]*pretrain.Base{}} }

// Load decodes a checkpoint and keeps it under name.
func (e *Engine) Load(name string, ckpt []byte) (ModelInfo, error) {
	b, err := pretrain.DecodeBytes(ckpt)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("model %s: %w", name, err)
	}
	e.bases[name] = b
	return modelInfo(name, b), nil
}

func modelInfo(name string, b *pretrain.Base) ModelInfo {
	c := b.Model.Config()
	return ModelInfo{Name: name, Rho: b.Meta.Config.World.Rho, Seed: b.Meta.Config.Seed, Params: b.Model.NumParams(),
		Dim: c.Dim, Layers: c.Layers, Heads: c.Heads, Steps: b.Meta.Config.Steps, Loss: b.Meta.FinalLoss}
}

// Call decodes a JSON request, handles it and encodes the response. It never
// panics on bad input: a malformed request is an error response. blobs are
// the bytes that travelled beside the request; the Jobs of the response
// carry theirs in Job.Blobs.
func (e *Engine) Call(reqJSON []byte, blobs ...[]byte) []byte {
	req, err := DecodeRequest(reqJSON)
	var resp Response
	if err != nil {
		resp.Error = err.Error()
	} else {
		req.Blobs = blobs
		resp = e.Handle(req)
	}
	return EncodeResponse(resp)
}

// DecodeRequest decodes one JSON request, refusing unknown fields.
func DecodeRequest(b []byte) (Request, error) {
	var req Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Request{}, errors.New("bad request: " + err.Error())
	}
	return req, nil
}

// EncodeResponse encodes a response; it cannot fail (an encoding error
// becomes an error response).
func EncodeResponse(r Response) []byte {
	out, err := json.Marshal(r)
	if err != nil {
		out, _ = json.Marshal(Response{Seq: r.Seq, Error: "internal: " + err.Error()})
	}
	return out
}

// Handle answers one request.
func (e *Engine) Handle(req Request) Response {
	r, err := e.handle(req)
	if err != nil {
		return Response{Seq: req.Seq, Error: err.Error()}
	}
	r.Seq = req.Seq
	return r
}

func (e *Engine) handle(req Request) (Response, error) {
	switch req.Op {
	case OpInfo:
		return Response{Info: e.info()}, nil
	case OpSample:
		return e.sample(req)
	case OpEval:
		b, c, err := e.resolve(req)
		if err != nil {
			return Response{}, err
		}
		m, _, err := eval.Evaluate(b.Model, b.World, c, eval.Options{Samples: 1, Seed: req.Seed, Temperature: req.Temperature, Workers: 1})
		if err != nil {
			return Response{}, err
		}
		return Response{Metrics: &m}, nil
	case OpCheck:
		return e.check(req)
	case OpStart:
		return e.start(req)
	case OpStep:
		return e.step(req)
	case OpSet:
		return e.set(req)
	case OpRecord:
		return e.record(req)
	case OpReport:
		return e.report()
	case OpTrace:
		return e.latestTrace()
	case OpEvaluate:
		resp, err := e.evaluate(req)
		if err != nil {
			return Response{}, err
		}
		return e.fileOwn(resp), nil
	case OpPlay, OpPause, OpSpeed:
		return Response{}, fmt.Errorf("bad request: %q is a transport op: send it to the trainer's Driver", req.Op)
	case "":
		return Response{}, errors.New("bad request: missing op")
	default:
		return Response{}, fmt.Errorf("bad request: unknown op %q (want %s)", req.Op, strings.Join(allOps, ", "))
	}
}

var allOps = []string{OpInfo, OpSample, OpEval, OpCheck, OpStart, OpStep, OpSet, OpRecord, OpReport, OpPlay, OpPause, OpSpeed, OpEvaluate}

// modelNames lists the loaded models in name order.
func (e *Engine) modelNames() []string {
	names := make([]string, 0, len(e.bases))
	for n := range e.bases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (e *Engine) info() *Info {
	in := &Info{Presets: world.Presets, Families: map[string]int{}}
	names := e.modelNames()
	for _, n := range names {
		in.Models = append(in.Models, modelInfo(n, e.bases[n]))
	}
	if len(names) > 0 {
		w := e.bases[names[0]].World
		for _, p := range distill.ProbePrompts(w) {
			in.ProbePrompts = append(in.ProbePrompts, p.Text)
		}
		for _, p := range w.Eval {
			in.EvalPrompts = append(in.EvalPrompts, p.Text)
			in.Families[p.Family.String()]++
		}
		in.Vocab = w.Vocab.Words()
	}
	return in
}

func (e *Engine) resolve(req Request) (*pretrain.Base, world.Constitution, error) {
	b, ok := e.bases[req.Model]
	if !ok {
		return nil, world.Constitution{}, fmt.Errorf("model %q is not loaded", req.Model)
	}
	c, err := b.World.LookupConstitution(req.Constitution)
	if err != nil {
		return nil, world.Constitution{}, fmt.Errorf("constitution: %w", err)
	}
	return b, c, nil
}

func (e *Engine) sample(req Request) (Response, error) {
	b, c, err := e.resolve(req)
	if err != nil {
		return Response{}, err
	}
	n := req.N
	if n == 0 {
		n = 4
	}
	if n < 1 || n > 16 {
		return Response{}, fmt.Errorf("n = %d, want 1 to 16 samples", n)
	}
	temp := req.Temperature
	if temp == 0 {
		temp = 1
	}
	if !(temp > 0 && temp <= 5) {
		return Response{}, fmt.Errorf("temperature = %v, want (0, 5]", temp)
	}
	w := b.World
	toks, err := w.Vocab.Encode(req.Prompt)
	if err != nil {
		return Response{}, fmt.Errorf("prompt: %w", err)
	}
	if len(toks) == 0 {
		return Response{}, errors.New("prompt is empty")
	}
	p, known := w.PromptFromText(req.Prompt)
	ctx := w.Context(c, toks)
	if len(ctx) >= b.Model.Config().Ctx {
		return Response{}, fmt.Errorf("constitution and prompt take %d tokens; the model's context is %d", len(ctx), b.Model.Config().Ctx)
	}
	var out []SampleOut
	for i := range n {
		rng := rand.New(rand.NewPCG(req.Seed, uint64(i)))
		resp, ents, err := eval.Generate(b.Model, ctx, w.EOSID(), min(eval.MaxResponse, b.Model.Config().Ctx-len(ctx)), temp, 0, rng)
		if err != nil {
			return Response{}, err
		}
		s := SampleOut{Response: w.Vocab.Decode(resp), Tokens: len(resp)}
		var sum float64
		for _, h := range ents {
			sum += float64(h)
		}
		if len(ents) > 0 {
			s.Entropy = sum / float64(len(ents))
		}
		if known == nil {
			v := w.Judge(p, resp)
			s.Verdict = &v
		}
		out = append(out, s)
	}
	return Response{Samples: out}, nil
}
