package refstep

import (
	"fmt"
	"math"
	"testing"

	"github.com/copsdlab/copsd/core/model"
)

// TestStepsAreDeterministic runs a small OPSD and pretraining step twice
// from the same seed and requires the same parameters, bit for bit, and a
// finite divergence and loss.
func TestStepsAreDeterministic(t *testing.T) {
	s := Shape{Name: "tiny", Model: model.Config{Vocab: 23, Ctx: 32, Dim: 16, Layers: 1, Heads: 2},
		Prompts: 2, G: 2, PromptLen: 3, Response: 5, Prefix: 7}
	run := func() ([]float32, []float32, float64, float64) {
		o, err := NewOPSD(s, 3)
		if err != nil {
			t.Fatal(err)
		}
		var div float64
		for range 2 {
			div = o.Step()
		}
		p, err := NewPretrain(s.Model, 2, 6, 3)
		if err != nil {
			t.Fatal(err)
		}
		loss := p.Step()
		return append([]float32(nil), o.Student.Params()...), append([]float32(nil), p.M.Params()...), div, loss
	}
	a1, b1, div, loss := run()
	a2, b2, _, _ := run()
	if math.IsNaN(div) || math.IsInf(div, 0) || math.IsNaN(loss) || loss <= 0 {
		t.Fatalf("divergence %v, loss %v", div, loss)
	}
	for i := range a1 {
		if math.Float32bits(a1[i]) != math.Float32bits(a2[i]) {
			t.Fatalf("OPSD parameters differ at %d", i)
		}
	}
	for i := range b1 {
		if math.Float32bits(b1[i]) != math.Float32bits(b2[i]) {
			t.Fatalf("pretraining parameters differ at %d", i)
		}
	}
}

// BenchmarkOPSDStep times one reference OPSD step per shape (one worker).
func BenchmarkOPSDStep(b *testing.B) {
	for _, s := range Shapes {
		b.Run(s.Name, func(b *testing.B) {
			o, err := NewOPSD(s, 1)
			if err != nil {
				b.Fatal(err)
			}
			o.Step() // allocate outside the timing
			b.ResetTimer()
			for b.Loop() {
				o.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
		})
	}
}

// BenchmarkPretrainStep times one 16×64 pretraining step per shape.
func BenchmarkPretrainStep(b *testing.B) {
	for _, s := range Shapes {
		b.Run(s.Name, func(b *testing.B) {
			p, err := NewPretrain(s.Model, 16, 64, 1)
			if err != nil {
				b.Fatal(err)
			}
			p.Step()
			b.ResetTimer()
			for b.Loop() {
				p.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
		})
	}
}

// BenchmarkOPSDPhases times the three phases of the reference OPSD step
// separately: rollouts (KV-cache sampling), teacher scoring (prefix and
// ForwardWithPrefix), and the update (forward, divergence, backward, AdamW).
func BenchmarkOPSDPhases(b *testing.B) {
	for _, s := range Shapes {
		o, err := NewOPSD(s, 1)
		if err != nil {
			b.Fatal(err)
		}
		o.Step()
		for _, ph := range []struct {
			name string
			fn   func()
		}{{"rollouts", o.Rollouts}, {"teacher", o.TeacherScore}, {"update", func() { o.Update() }}} {
			b.Run(s.Name+"/"+ph.name, func(b *testing.B) {
				for b.Loop() {
					ph.fn()
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
			})
		}
	}
}

// BenchmarkTeacherPrefixCache measures what the shared prefix saves: the
// teacher's scoring as the engine does it (the prefix through the KV cache
// once, then ForwardWithPrefix over the rows) against the same logits from
// one pass over every row with the prefix prepended.
func BenchmarkTeacherPrefixCache(b *testing.B) {
	for _, s := range Shapes {
		o, err := NewOPSD(s, 1)
		if err != nil {
			b.Fatal(err)
		}
		o.Rollouts()
		T := s.PromptLen + s.Response
		full := make([]int32, 0, s.Rows()*(s.Prefix+T))
		for r := range s.Rows() {
			full = append(full, o.prefixTokens...)
			full = append(full, o.tokens[r*T:(r+1)*T]...)
		}
		acts := new(model.Acts)
		b.Run(s.Name+"/cached", func(b *testing.B) {
			for b.Loop() {
				o.TeacherScore()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
		b.Run(s.Name+"/uncached", func(b *testing.B) {
			for b.Loop() {
				o.Teacher.ForwardWithPrefix(nil, acts, full, s.Rows(), s.Prefix+T)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}

// TestShardedSameBitsForAnyWorkers takes sharded reference steps with 1 to
// 4 goroutines, and with separate replicas that exchange their shards'
// gradients as the browser benchmark's Web Workers do, and requires the
// same parameters, bit for bit, everywhere; and that the steps train.
func TestShardedSameBitsForAnyWorkers(t *testing.T) {
	s := Shape{Name: "tiny", Model: model.Config{Vocab: 23, Ctx: 32, Dim: 16, Layers: 1, Heads: 2},
		Prompts: 4, G: 2, PromptLen: 3, Response: 5, Prefix: 7}
	const steps = 3
	var want uint64
	for k := 1; k <= 4; k++ {
		o, err := NewSharded(s, 5)
		if err != nil {
			t.Fatal(err)
		}
		before := model.HashFloats(o.Student.Params())
		o.UseWorkers(k)
		for range steps {
			if div := o.Step(); math.IsNaN(div) || math.IsInf(div, 0) || div < 0 {
				t.Fatalf("%d workers: divergence %v", k, div)
			}
		}
		h := model.HashFloats(o.Student.Params())
		if h == before {
			t.Fatalf("%d workers: the steps left the parameters unchanged", k)
		}
		if k == 1 {
			want = h
		} else if h != want {
			t.Fatalf("%d workers: parameters hash %016x, want %016x (1 worker)", k, h, want)
		}
	}
	// Three replicas, shard i on replica i mod 3; each applies every shard's gradient.
	var reps []*Sharded
	for range 3 {
		o, err := NewSharded(s, 5)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, o)
	}
	for step := range steps {
		grads := make([][]float32, s.Prompts)
		for i := range grads {
			g, _ := reps[i%3].Shard(step, i)
			grads[i] = append([]float32(nil), g...)
		}
		for _, o := range reps {
			if err := o.Apply(grads); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, o := range reps {
		if h := model.HashFloats(o.Student.Params()); h != want {
			t.Fatalf("replica %d: parameters hash %016x, want %016x", i, h, want)
		}
	}
	if err := reps[0].Apply(make([][]float32, 1)); err == nil {
		t.Fatal("Apply took one gradient for four shards")
	}
}

// BenchmarkShardedStep times the sharded reference step with 1 and 2
// goroutines.
func BenchmarkShardedStep(b *testing.B) {
	for _, s := range Shapes {
		for _, k := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", s.Name, k), func(b *testing.B) {
				o, err := NewSharded(s, 1)
				if err != nil {
					b.Fatal(err)
				}
				o.UseWorkers(k)
				o.Step()
				b.ResetTimer()
				for b.Loop() {
					o.Step()
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
			})
		}
	}
}
