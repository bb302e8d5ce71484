// Package diag measures collapse: the eval metrics of a student on held-out
// prompts, the teacher's view of the same samples (its entropy, the full-
// vocabulary KL between them), the drift from the initial weights, sample
// diversity, the constitution's leakage, and a collapse detector.
package diag

import (
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

// Options controls the evaluation's sampling.
type Options struct {
	Samples     int // per held-out prompt; default 2
	Seed        uint64
	Temperature float32 // default 1
	TopK        int
	Workers     int // default GOMAXPROCS
}

// Evaluate samples the student on every held-out prompt, grades the answers,
// and scores the same answers with the teacher and the initial student.
func Evaluate(s Subject, o Options) (Metrics, error) {
	if o.Samples <= 0 {
		o.Samples = 2
	}
	w := s.World
	samples, err := eval.Run(s.Student, w, world.Constitution{}, w.Eval, eval.Options{
		Samples: o.Samples, Seed: o.Seed ^ 0x6576616c, Temperature: o.Temperature, TopK: o.TopK, Workers: o.Workers,
	})
	if err != nil {
		return Metrics{}, err
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
	if s.Teacher != nil || s.Initial != nil {
		m.TeacherEntropy, m.KLTeacher, m.KLInitial = score(s, samples)
	}
	return m, nil
}

// scoreChunk bounds how many rows one scoring forward pass holds.
const scoreChunk = 32

// score runs the student, teacher and initial model over the sampled answers
// and averages, over every predicted position, the teacher's entropy,
// KL(student ‖ teacher) and KL(student ‖ initial).
func score(s Subject, samples []eval.Sample) (hT, klT, klI float64) {
	w := s.World
	V := s.Student.Config().Vocab
	sa, ta, ia := &model.Acts{}, &model.Acts{}, &model.Acts{}
	ls, lt, li := make([]float64, V), make([]float64, V), make([]float64, V)
	ps, pt, pi := make([]float64, V), make([]float64, V), make([]float64, V)
	n := 0
	for c0 := 0; c0 < len(samples); c0 += scoreChunk {
		chunk := samples[c0:min(c0+scoreChunk, len(samples))]
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
			var tTok []int32
			tTok, tT = pad(tRows, w.PadID(), s.Teacher.Config().Ctx)
			tLog = s.Teacher.Forward(ta, tTok, len(chunk), tT)
		}
		if s.Initial != nil {
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
					hT += num.Entropy64(pt, lt)
					klT += num.KL64(ps, ls, lt)
				}
				if iLog != nil {
					num.LogProbs64(li, pi, iLog[off:off+V])
					klI += num.KL64(ps, ls, li)
				}
				n++
			}
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	return hT / float64(n), klT / float64(n), klI / float64(n)
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
