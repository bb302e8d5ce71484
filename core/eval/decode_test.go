package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/copsdlab/copsd/core/pretrain"
)

// Samples decoded together (DecodeRows, as Run decodes them) get, bit for
// bit, the responses and entropies each gets decoded alone (Generate):
// prompts of different lengths, their own streams, some ending early.
func TestDecodeRowsIsDecodePerRow(t *testing.T) {
	b, err := pretrain.Open("../../assets/models/base-rho50.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	m, w := b.Model, b.World
	c, err := w.LookupConstitution("safety")
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Samples: 3, Seed: 9, Temperature: 1}.withDefaults()
	prompts := w.Eval[:7]
	got, err := Run(m, w, c, prompts, opt)
	if err != nil {
		t.Fatal(err)
	}
	lens := map[int]bool{}
	for k, s := range got {
		i, j := k/opt.Samples, k%opt.Samples
		ctx := w.Context(c, prompts[i].Tokens)
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(i*opt.Samples+j)))
		resp, ents, err := Generate(m, ctx, w.EOSID(), min(MaxResponse, m.Config().Ctx-len(ctx)), opt.Temperature, opt.TopK, rng)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Response, resp) || len(s.Entropy) != len(ents) {
			t.Fatalf("sample %d: %v (%d entropies) together, %v (%d) alone", k, s.Response, len(s.Entropy), resp, len(ents))
		}
		for p := range ents {
			if math.Float32bits(s.Entropy[p]) != math.Float32bits(ents[p]) {
				t.Fatalf("sample %d position %d: entropy %v together, %v alone", k, p, s.Entropy[p], ents[p])
			}
		}
		lens[len(resp)] = true
	}
	if len(lens) < 3 {
		t.Errorf("the %d samples have %d lengths: the rows should finish at different steps", len(got), len(lens))
	}
}
