// Package diag measures collapse: the eval metrics of a student on held-out
// prompts, the teacher's view of the same samples (its entropy, the full-
// vocabulary KL between them), the drift from the initial weights, sample
// diversity, the constitution's leakage, and a collapse detector.
package diag

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/num"
	"github.com/copsdlab/copsd/core/world"
)

// Metrics are the diagnostics of one evaluation. The embedded eval metrics are
// measured on the student's own samples without a constitution.
type Metrics struct {
	Step int `json:"step"`
	eval.Metrics
	TeacherEntropy float64 `json:"teacher_entropy"` // mean entropy of the teacher on the student's prefixes, nats
	KLTeacher      float64 `json:"kl_teacher"`      // mean full-vocabulary KL(student ‖ teacher) on those prefixes
	KLInitial      float64 `json:"kl_initial"`      // mean full-vocabulary KL(student ‖ initial student)
	SelfBLEU       float64 `json:"self_bleu"`       // mean self-BLEU-4 across pairs of a prompt's samples (needs ≥ 2 samples)
	Diversity      float64 `json:"diversity"`       // 1 − self-BLEU
}

// Subject is what an evaluation looks at.
type Subject struct {
	World   *world.World
	Student *model.Model
	Teacher *model.Model // nil: no teacher metrics
	Initial *model.Model // nil: no KL to initial
	// TeacherPrefix is the teacher's privileged context for a prompt (the
	// constitution, or a gold answer): tokens placed before "<user>".
	TeacherPrefix func(world.Prompt) []int32
}

// readViews is s with views of its models that run on workers goroutines.
func (s Subject) readViews(workers int) Subject {
	for _, m := range []**model.Model{&s.Student, &s.Teacher, &s.Initial} {
		if *m != nil {
			*m = (*m).ReadView(workers)
		}
	}
	return s
}

// Options controls the evaluation's sampling.
type Options struct {
	Samples     int // per held-out prompt; default 2
	Seed        uint64
	Temperature float32 // default 1
	TopK        int
	Workers     int    // default GOMAXPROCS
	Yield       func() // between decoding steps and scoring passes (eval.Options.Yield)
}

func (o Options) yield() {
	if o.Yield != nil {
		o.Yield()
	}
}

// An evaluation is split into chunks of held-out prompts that the number of
// samples per prompt alone fixes (at most scoreChunk answers each). Each
// chunk samples its prompts from their own streams and sums its scores; the
// chunks' results are combined in chunk order. So any number of goroutines,
// or of Web Workers each computing some chunks, gives the same bits.

// scoreChunk bounds how many answers one chunk, and so one scoring forward
// pass, holds.
const scoreChunk = 32

// Chunks is the number of chunks of an evaluation with o.Samples answers per
// held-out prompt of w.
func Chunks(w *world.World, o Options) int {
	per := chunkPrompts(o)
	return (len(w.Eval) + per - 1) / per
}

func chunkPrompts(o Options) int { return max(1, scoreChunk/o.withDefaults().Samples) }

func (o Options) withDefaults() Options {
	if o.Samples <= 0 {
		o.Samples = 2
	}
	return o
}

// Part is one chunk's evaluation: its graded answers, in prompt order, and
// the sums of its scores over their predicted positions.
type Part struct {
	Samples []eval.Sample
	Sums    ScoreSums
}

// ScoreSums are a chunk's sums over the predicted positions of its answers.
type ScoreSums struct {
	TeacherEntropy float64 `json:"h_t"`
	KLTeacher      float64 `json:"kl_t"`
	KLInitial      float64 `json:"kl_i"`
	N              int     `json:"n"`
}

// EvaluateChunk evaluates chunk c (0 ≤ c < Chunks) with one goroutine.
func EvaluateChunk(s Subject, o Options, c int) (Part, error) {
	o = o.withDefaults()
	per := chunkPrompts(o)
	if c < 0 || c*per >= len(s.World.Eval) {
		return Part{}, fmt.Errorf("diag: chunk %d of %d", c, Chunks(s.World, o))
	}
	lo, hi := c*per, min((c+1)*per, len(s.World.Eval))
	samples, err := eval.Run(s.Student, s.World, world.Constitution{}, s.World.Eval[lo:hi], sampling(o, lo, 1))
	if err != nil {
		return Part{}, err
	}
	p := Part{Samples: samples}
	if s.Teacher != nil || s.Initial != nil {
		o.yield()
		p.Sums = score(s, samples, o.yield)
	}
	return p, nil
}

func sampling(o Options, first, workers int) eval.Options {
	return eval.Options{Samples: o.Samples, Seed: o.Seed ^ 0x6576616c, Temperature: o.Temperature,
		TopK: o.TopK, Workers: workers, First: first, Yield: o.Yield}
}

// Evaluate samples the student on every held-out prompt, grades the answers,
// and scores the same answers with the teacher and the initial student: all
// its chunks, on o.Workers goroutines, combined.
func Evaluate(s Subject, o Options) (Metrics, error) {
	o = o.withDefaults()
	n := Chunks(s.World, o)
	parts := make([]Part, n)
	errs := make([]error, n)
	workers := max(1, min(o.Workers, n))
	if o.Workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), n)
	}
	if workers > 1 { // chunks in parallel, each chunk's kernels serial
		s = s.readViews(1)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := w; c < n; c += workers {
				parts[c], errs[c] = EvaluateChunk(s, o, c)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Metrics{}, err
	}
	return Combine(parts, o, s.Teacher != nil || s.Initial != nil), nil
}

// Combine is the evaluation whose chunks, in order, are parts; scored says
// whether the parts carry scores.
func Combine(parts []Part, o Options, scored bool) Metrics {
	o = o.withDefaults()
	var samples []eval.Sample
	var sums ScoreSums
	for _, p := range parts {
		samples = append(samples, p.Samples...)
		sums.TeacherEntropy += p.Sums.TeacherEntropy
		sums.KLTeacher += p.Sums.KLTeacher
		sums.KLInitial += p.Sums.KLInitial
		sums.N += p.Sums.N
	}
	m := Metrics{Metrics: eval.Summarize(samples, o.Samples)}
	if o.Samples >= 2 {
		var sb float64
		groups := 0
		for _, resps := range eval.DiversityGroups(samples, o.Samples) {
			sb += SelfBLEU(resps, 4)
			groups++
		}
		m.SelfBLEU = sb / float64(groups)
		m.Diversity = 1 - m.SelfBLEU
	}
	if scored && sums.N > 0 {
		n := float64(sums.N)
		m.TeacherEntropy, m.KLTeacher, m.KLInitial = sums.TeacherEntropy/n, sums.KLTeacher/n, sums.KLInitial/n
	}
	return m
}

// score runs the student, teacher and initial model over one chunk's
// sampled answers and sums, over every predicted position, the teacher's
// entropy, KL(student ‖ teacher) and KL(student ‖ initial).
func score(s Subject, chunk []eval.Sample, yield func()) ScoreSums {
	w := s.World
	V := s.Student.Config().Vocab
	sa, ta, ia := &model.Acts{}, &model.Acts{}, &model.Acts{}
	ls, lt, li := make([]float64, V), make([]float64, V), make([]float64, V)
	ps, pt, pi := make([]float64, V), make([]float64, V), make([]float64, V)
	var out ScoreSums
	sRows, sStart := make([][]int32, len(chunk)), make([]int, len(chunk))
	tRows, tStart := make([][]int32, len(chunk)), make([]int, len(chunk))
	for i, smp := range chunk {
		turn := w.UserTurn(smp.Prompt.Tokens)
		sRows[i] = append(append([]int32{}, turn...), smp.Response...)
		sStart[i] = len(turn) - 1
		if s.Teacher != nil {
			pre := s.TeacherPrefix(smp.Prompt)
			tRows[i] = append(append([]int32{}, pre...), sRows[i]...)
			tStart[i] = len(pre) + sStart[i]
		}
	}
	sTok, sT := pad(sRows, w.PadID(), s.Student.Config().Ctx)
	sLog := s.Student.Forward(sa, sTok, len(chunk), sT)
	var tLog, iLog []float32
	var tT int
	if s.Teacher != nil {
		yield()
		var tTok []int32
		tTok, tT = pad(tRows, w.PadID(), s.Teacher.Config().Ctx)
		tLog = s.Teacher.Forward(ta, tTok, len(chunk), tT)
	}
	if s.Initial != nil {
		yield()
		iLog = s.Initial.Forward(ia, sTok, len(chunk), sT)
	}
	for i, smp := range chunk {
		npos := len(smp.Response) + 1 // every response token and <eos>
		for k := range npos {
			if sStart[i]+k >= sT || (tLog != nil && tStart[i]+k >= tT) {
				break
			}
			off := (i*sT + sStart[i] + k) * V
			num.LogProbs64(ls, ps, sLog[off:off+V])
			if tLog != nil {
				toff := (i*tT + tStart[i] + k) * V
				num.LogProbs64(lt, pt, tLog[toff:toff+V])
				out.TeacherEntropy += num.Entropy64(pt, lt)
				out.KLTeacher += num.KL64(ps, ls, lt)
			}
			if iLog != nil {
				num.LogProbs64(li, pi, iLog[off:off+V])
				out.KLInitial += num.KL64(ps, ls, li)
			}
			out.N++
		}
	}
	return out
}

// pad lays rows out in a [B*T] block padded with pad, T = longest row (at most ctx).
func pad(rows [][]int32, padID int32, ctx int) ([]int32, int) {
	T := 0
	for _, r := range rows {
		T = max(T, len(r))
	}
	T = min(T, ctx)
	out := make([]int32, len(rows)*T)
	for i, r := range rows {
		for t := range T {
			if t < len(r) {
				out[i*T+t] = r[t]
			} else {
				out[i*T+t] = padID
			}
		}
	}
	return out, T
}
