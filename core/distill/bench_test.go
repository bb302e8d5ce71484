package distill

import (
	"os"
	"testing"

	"github.com/copsdlab/copsd/core/pretrain"
)

// BenchmarkLabStep is one step of the lab's default run (opsd-rkl on the
// rho 0.5 base model, one worker as in the browser), without evaluation.
func BenchmarkLabStep(b *testing.B) {
	f, err := os.Open("../../assets/models/base-rho50.ckpt")
	if err != nil {
		b.Skip(err)
	}
	base, err := pretrain.Decode(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	base.Model.Workers = 1
	cfg, _ := Recipe("opsd-rkl")
	cfg.Steps = 100000
	r, err := NewRun(base, cfg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.Step(); err != nil {
			b.Fatal(err)
		}
	}
}
