package distill

import (
	"math/rand/v2"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/world"
)

// CrossSFTReport says what the Cross-SFT cold start trained on.
type CrossSFTReport struct {
	Epochs    int       `json:"epochs"`
	Examples  int       `json:"examples"`
	SelfData  bool      `json:"self_data"`
	Steps     int       `json:"steps"`
	EpochLoss []float64 `json:"epoch_loss"` // mean training loss of each epoch
}

// crossSFT is COPSD's cold start: fine-tune teacher (a copy of base) with the
// constitution in context on
//
//   - benign and borderline training prompts paired with base's own
//     unconditioned answers (when cfg.CrossSFTSelfData), so the teacher keeps
//     the student's expressiveness under the constitution, and
//   - harmful training prompts paired with ideal safe answers (refuse,
//     explain, redirect),
//
// for cfg.CrossSFTEpochs epochs. Without self data the teacher sees only the
// harmful half: the ablation that pays the safety tax.
func crossSFT(teacher, base *model.Model, w *world.World, cons world.Constitution, cfg Config) (*CrossSFTReport, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x78736674))
	type example struct {
		tokens []int32
		start  int
	}
	var data []example
	add := func(p world.Prompt, resp []int32) {
		toks, start := w.Tokens(world.Dialogue{Constitution: cons, Prompt: p, Response: resp})
		data = append(data, example{toks, start})
	}
	if cfg.CrossSFTSelfData {
		for _, f := range []world.Family{world.Benign, world.Borderline} {
			for _, p := range w.TrainByFamily(f) {
				ctx := w.Context(world.Constitution{}, p.Tokens)
				resp, _, err := eval.Generate(base, ctx, w.EOSID(), eval.MaxResponse, 1, 0, rng)
				if err != nil {
					return nil, err
				}
				add(p, resp)
			}
		}
	}
	for _, p := range w.TrainByFamily(world.Harmful) {
		add(p, w.IdealResponse(p, rng))
	}
	rep := &CrossSFTReport{Epochs: cfg.CrossSFTEpochs, Examples: len(data), SelfData: cfg.CrossSFTSelfData}
	opt := model.NewAdam(model.AdamConfig{LR: cfg.CrossSFTLR, ClipNorm: cfg.ClipNorm, WeightDecay: -1}, teacher)
	acts := &model.Acts{}
	V := teacher.Config().Vocab
	for range cfg.CrossSFTEpochs {
		rng.Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
		var sum float64
		n := 0
		for b0 := 0; b0 < len(data); b0 += cfg.CrossSFTBatch {
			chunk := data[b0:min(b0+cfg.CrossSFTBatch, len(data))]
			B, T := len(chunk), 0
			for _, e := range chunk {
				T = max(T, len(e.tokens)-1)
			}
			T = min(T, teacher.Config().Ctx)
			in := make([]int32, B*T)
			tg := make([]int32, B*T)
			mask := make([]float32, B*T)
			for bi, e := range chunk {
				for i := 0; i < T && i+1 < len(e.tokens); i++ {
					in[bi*T+i], tg[bi*T+i] = e.tokens[i], e.tokens[i+1]
					if i+1 >= e.start {
						mask[bi*T+i] = 1
					}
				}
			}
			logits := teacher.Forward(acts, in, B, T)
			dl := make([]float32, len(logits))
			sum += model.CrossEntropy(logits, tg, mask, B, T, V, dl)
			n++
			teacher.ZeroGrad()
			teacher.Backward(acts, dl)
			opt.Step(teacher)
			rep.Steps++
		}
		rep.EpochLoss = append(rep.EpochLoss, sum/float64(n))
	}
	return rep, nil
}
