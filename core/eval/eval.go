// Package eval samples a model's answers to the world's held-out prompts and
// grades them with the exact judge: safety, helpfulness, over-refusal,
// reasoning, length, entropy and diversity.
//
// Sampling is deterministic: the sample j of prompt i draws from its own PCG
// stream (seed, i*Samples+j), so results do not depend on how the work is split
// across goroutines, and are the same natively and in wasm.
package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

// MaxResponse is the longest response sampled, in tokens (without <eos>).
const MaxResponse = 48

// Options controls sampling. The zero value means: 4 samples per prompt,
// temperature 1, full vocabulary, seed 0, all prompts, GOMAXPROCS workers.
type Options struct {
	Samples     int     // samples per prompt (default 4)
	Temperature float32 // sampling temperature (default 1)
	TopK        int     // 0: full vocabulary
	Seed        uint64  //
	Workers     int     // goroutines (default GOMAXPROCS; 1 in wasm)
	// First is the index of the first prompt given to Run among all the
	// prompts of the evaluation: sample j of prompt i draws from the stream
	// (Seed, i*Samples+j), so an evaluation split into slices of prompts
	// gives the same samples as one call.
	First int
	// Yield, when set, is called between decoding steps: a caller that
	// shares its thread with more urgent work (a Web Worker that also
	// trains) lets that work run there. The samples do not depend on it.
	Yield func()
}

// yield calls o.Yield, if any.
func (o Options) yield() {
	if o.Yield != nil {
		o.Yield()
	}
}

// MaxSamples bounds Options.Samples: every sample of every held-out prompt is
// kept until the metrics are summarised, so the bound is the memory bound.
const MaxSamples = 64

// MaxTemperature is the hottest sampling temperature accepted, as for a
// distillation run.
const MaxTemperature = 5

// validate refuses options that would allocate without bound or sample from
// a distribution that is not one (a temperature that is NaN or infinite).
func (o Options) validate() error {
	switch {
	case o.Samples < 0 || o.Samples > MaxSamples:
		return fmt.Errorf("eval: %d samples per prompt; want 1 to %d", o.Samples, MaxSamples)
	case math.IsNaN(float64(o.Temperature)) || o.Temperature < 0 || o.Temperature > MaxTemperature:
		return fmt.Errorf("eval: temperature %v; want (0, %d]", o.Temperature, MaxTemperature)
	case o.First < 0:
		return fmt.Errorf("eval: first prompt %d; want ≥ 0", o.First)
	case o.TopK < 0:
		return fmt.Errorf("eval: top-k %d; want ≥ 0 (0: the full vocabulary)", o.TopK)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Samples <= 0 {
		o.Samples = 4
	}
	if o.Temperature <= 0 {
		o.Temperature = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Metrics are the eval metrics of one model under one constitution. Rates are
// in [0, 1]; lengths in tokens (without <eos>); entropy in nats.
type Metrics struct {
	Safety                float64 `json:"safety"`                 // harmful prompts refused without complying
	Helpfulness           float64 `json:"helpfulness"`            // benign prompts answered with every core step
	BorderlineHelpfulness float64 `json:"borderline_helpfulness"` // borderline prompts answered with every core step
	OverRefusal           float64 `json:"over_refusal"`           // benign and borderline prompts refused
	Reasoning             float64 `json:"reasoning"`              // reasoning probes answered right
	LengthBenign          float64 `json:"length_benign"`          // mean response tokens on benign prompts
	Entropy               float64 `json:"entropy"`                // mean per-token entropy of the sampled responses
	Distinct2             float64 `json:"distinct2"`              // distinct bigrams / bigrams across pairs of a prompt's samples, mean over pairs
	NPrompts              int     `json:"n_prompts"`              // prompts evaluated
	NSamples              int     `json:"n_samples"`              // responses sampled
	NHarmful              int     `json:"n_harmful"`              // of which to harmful prompts: safety's denominator
}

// Sample is one graded response.
type Sample struct {
	Prompt   world.Prompt
	Response []int32
	Entropy  []float32 // per generated token (including <eos> when reached)
	Verdict  world.Verdict
}

// Generate samples one response to context (which ends with <bot>) with the
// KV cache, and returns the response (without <eos>) and the entropy of the
// sampling distribution at each generated position.
func Generate(m *model.Model, context []int32, eos int32, maxLen int, temp float32, topK int, rng *rand.Rand) ([]int32, []float32, error) {
	V := m.Config().Vocab
	cache := m.NewKVCache()
	logits := make([]float32, len(context)*V)
	if err := m.Extend(cache, context, logits); err != nil {
		return nil, nil, err
	}
	d, err := Decode(m, cache, logits[(len(context)-1)*V:], eos, maxLen, temp, topK, rng, true)
	if err != nil {
		return nil, nil, err
	}
	return d.Response, d.Entropy, nil
}

// Run samples and grades opt.Samples responses to every prompt under
// constitution c. Sample j of prompt i draws from its own stream (seeded
// by opt.Seed and its index), and the samples decode together in groups of
// rowGroup (DecodeRows), the groups spread over opt.Workers goroutines: a
// sample's response is the same whichever group or worker decodes it, and
// the same as Generate gives it alone.
func Run(m *model.Model, w *world.World, c world.Constitution, prompts []world.Prompt, opt Options) ([]Sample, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	n := len(prompts) * opt.Samples
	out := make([]Sample, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(opt.Workers, (n+rowGroup-1)/rowGroup) {
		wg.Go(func() {
			for g := range next {
				lo, hi := g, min(g+rowGroup, n)
				if err := runGroup(m, w, c, prompts, opt, lo, out[lo:hi]); err != nil {
					errs[lo] = err
				}
			}
		})
	}
	for g := 0; g < n; g += rowGroup {
		next <- g
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rowGroup is how many samples decode together: enough rows for the
// matrix products to run as such, few enough that their KV caches stay
// small.
const rowGroup = 32

// runGroup samples and grades the samples lo, lo+1, … (len(out) of them):
// each prompt's context into its own cache, then all of them decoded
// together.
func runGroup(m *model.Model, w *world.World, c world.Constitution, prompts []world.Prompt, opt Options, lo int, out []Sample) error {
	V := m.Config().Vocab
	caches := make([]*model.KVCache, len(out))
	lasts := make([][]float32, len(out))
	maxLens := make([]int, len(out))
	rngs := make([]*rand.Rand, len(out))
	for r := range out {
		k := lo + r
		i, j := k/opt.Samples, k%opt.Samples
		p := prompts[i]
		rngs[r] = rand.New(rand.NewPCG(opt.Seed, uint64((opt.First+i)*opt.Samples+j)))
		ctx := w.Context(c, p.Tokens)
		maxLens[r] = min(MaxResponse, m.Config().Ctx-len(ctx))
		caches[r] = m.NewKVCache()
		logits := make([]float32, len(ctx)*V)
		if err := m.Extend(caches[r], ctx, logits); err != nil {
			return fmt.Errorf("prompt %s: %w", p.ID, err)
		}
		lasts[r] = logits[(len(ctx)-1)*V:]
		opt.yield()
	}
	ds, err := DecodeRows(m, caches, lasts, w.EOSID(), maxLens, opt.Temperature, opt.TopK, rngs, true, opt.yield)
	if err != nil {
		return err
	}
	for r, d := range ds {
		p := prompts[(lo+r)/opt.Samples]
		out[r] = Sample{Prompt: p, Response: d.Response, Entropy: d.Entropy, Verdict: w.Judge(p, d.Response)}
	}
	return nil
}

// Evaluate runs the held-out prompts of w under c and summarises them.
func Evaluate(m *model.Model, w *world.World, c world.Constitution, opt Options) (Metrics, []Sample, error) {
	samples, err := Run(m, w, c, w.Eval, opt)
	if err != nil {
		return Metrics{}, nil, err
	}
	return Summarize(samples, opt.withDefaults().Samples), samples, nil
}

// Summarize turns graded samples (grouped by prompt, samplesPer each, in
// order) into Metrics.
func Summarize(samples []Sample, samplesPer int) Metrics {
	var m Metrics
	var nHarm, nBen, nBord, nReas, nOver, safe, help, bhelp, over, correct float64
	var lenSum, entSum, entN float64
	for _, s := range samples {
		v := s.Verdict
		switch s.Prompt.Family {
		case world.Harmful:
			nHarm++
			safe += b2f(v.Safe)
		case world.Benign:
			nBen++
			help += b2f(v.Helpful)
			lenSum += float64(len(s.Response))
		case world.Borderline:
			nBord++
			bhelp += b2f(v.Helpful)
		case world.Reasoning:
			nReas++
			correct += b2f(v.Correct)
		}
		if s.Prompt.Family == world.Benign || s.Prompt.Family == world.Borderline {
			nOver++
			over += b2f(v.Refused)
		}
		for _, e := range s.Entropy {
			entSum += float64(e)
			entN++
		}
	}
	m.Safety = ratio(safe, nHarm)
	m.Helpfulness = ratio(help, nBen)
	m.BorderlineHelpfulness = ratio(bhelp, nBord)
	m.OverRefusal = ratio(over, nOver)
	m.Reasoning = ratio(correct, nReas)
	m.LengthBenign = ratio(lenSum, nBen)
	m.Entropy = ratio(entSum, entN)
	m.NSamples = len(samples)
	m.NHarmful = int(nHarm)
	if samplesPer > 0 {
		m.NPrompts = len(samples) / samplesPer
		var d2 float64
		groups := 0
		for _, resps := range DiversityGroups(samples, samplesPer) {
			d2 += Distinct(resps, 2)
			groups++
		}
		m.Distinct2 = ratio(d2, float64(groups))
	}
	return m
}

// DiversityGroup is how many of a prompt's samples diversity is measured
// across: distinct-2 and self-BLEU compare a prompt's samples in disjoint
// pairs and average over the pairs, so their scale does not depend on how many
// samples an evaluation draws (more samples only make them more precise).
const DiversityGroup = 2

// DiversityGroups splits samples (grouped by prompt, samplesPer each, in
// order) into the disjoint groups of DiversityGroup responses of one prompt
// that diversity is measured across; with one sample per prompt each response
// is its own group. A prompt's odd sample out is left out.
func DiversityGroups(samples []Sample, samplesPer int) [][][]int32 {
	size := min(samplesPer, DiversityGroup)
	if size < 1 {
		return nil
	}
	var out [][][]int32
	for p := 0; p+samplesPer <= len(samples); p += samplesPer {
		for g := 0; g+size <= samplesPer; g += size {
			resps := make([][]int32, size)
			for j := range resps {
				resps[j] = samples[p+g+j].Response
			}
			out = append(out, resps)
		}
	}
	return out
}

// Distinct is distinct-n: the number of distinct n-grams across the responses
// over the number of n-grams (0 when there are none).
func Distinct(responses [][]int32, n int) float64 {
	seen := map[string]bool{}
	total := 0
	key := make([]byte, 0, 4*n)
	for _, r := range responses {
		for i := 0; i+n <= len(r); i++ {
			key = key[:0]
			for _, t := range r[i : i+n] {
				key = append(key, byte(t), byte(t>>8), byte(t>>16), byte(t>>24))
			}
			seen[string(key)] = true
			total++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(len(seen)) / float64(total)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
