// Package lab is the engine the browser talks to: it holds loaded models and
// answers requests. Requests and responses are plain structs encoded as JSON,
// shared by the Web Worker binding (wasm/engine) and the UI; the package has
// no browser dependency and is tested natively.
package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// Request is one command to the engine. Op selects which fields matter.
type Request struct {
	Op           string  `json:"op"`                     // "info", "sample", "eval"
	Model        string  `json:"model,omitempty"`        // a loaded model's name
	Constitution string  `json:"constitution,omitempty"` // preset name or rule text
	Prompt       string  `json:"prompt,omitempty"`       // sample: the request text
	N            int     `json:"n,omitempty"`            // sample: number of samples (default 4, at most 16)
	Seed         uint64  `json:"seed,omitempty"`         //
	Temperature  float32 `json:"temperature,omitempty"`  // default 1
}

// Response is the engine's answer; Error is set when the request failed and
// then nothing else is.
type Response struct {
	Error   string        `json:"error,omitempty"`
	Info    *Info         `json:"info,omitempty"`
	Samples []SampleOut   `json:"samples,omitempty"`
	Metrics *eval.Metrics `json:"metrics,omitempty"`
}

// Info describes the loaded models and the world.
type Info struct {
	Models      []ModelInfo     `json:"models"`
	Presets     []world.Preset  `json:"presets"`
	EvalPrompts []string        `json:"eval_prompts"`
	Vocab       []string        `json:"vocab"`
	Families    map[string]int  `json:"families"`
	Extra       json.RawMessage `json:"extra,omitempty"`
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

// Engine holds the loaded base models. It is not safe for concurrent use; the
// browser runs it in one Web Worker.
type Engine struct {
	bases map[string]*pretrain.Base
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
// panics on bad input: a malformed request is an error response.
func (e *Engine) Call(reqJSON []byte) []byte {
	var req Request
	var resp Response
	dec := json.NewDecoder(bytesReader(reqJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		resp.Error = "bad request: " + err.Error()
	} else {
		resp = e.Handle(req)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		out, _ = json.Marshal(Response{Error: "internal: " + err.Error()})
	}
	return out
}

// Handle answers one request.
func (e *Engine) Handle(req Request) Response {
	r, err := e.handle(req)
	if err != nil {
		return Response{Error: err.Error()}
	}
	return r
}

func (e *Engine) handle(req Request) (Response, error) {
	switch req.Op {
	case "info":
		return Response{Info: e.info()}, nil
	case "sample":
		return e.sample(req)
	case "eval":
		b, c, err := e.resolve(req)
		if err != nil {
			return Response{}, err
		}
		m, _, err := eval.Evaluate(b.Model, b.World, c, eval.Options{Samples: 1, Seed: req.Seed, Temperature: req.Temperature, Workers: 1})
		if err != nil {
			return Response{}, err
		}
		return Response{Metrics: &m}, nil
	case "":
		return Response{}, errors.New("bad request: missing op")
	default:
		return Response{}, fmt.Errorf("bad request: unknown op %q (want info, sample or eval)", req.Op)
	}
}

func (e *Engine) info() *Info {
	in := &Info{Presets: world.Presets, Families: map[string]int{}}
	names := make([]string, 0, len(e.bases))
	for n := range e.bases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		in.Models = append(in.Models, modelInfo(n, e.bases[n]))
	}
	if len(names) > 0 {
		w := e.bases[names[0]].World
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
	c, err := lookupConstitution(b.World, req.Constitution)
	if err != nil {
		return nil, world.Constitution{}, fmt.Errorf("constitution: %w", err)
	}
	return b, c, nil
}

// lookupConstitution resolves a preset name or rule text, never a file: the
// browser has no file system and a request must not probe one.
func lookupConstitution(w *world.World, spec string) (world.Constitution, error) {
	for _, p := range world.Presets {
		if p.Name == spec {
			return w.ParseConstitution(p.Text)
		}
	}
	return w.ParseConstitution(spec)
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
