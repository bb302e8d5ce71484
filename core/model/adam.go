package model

import (
	"fmt"
	"math"
)

// AdamConfig sets the optimiser. The zero value of every field selects
// its documented default.
type AdamConfig struct {
	LR          float32 // learning rate; 0 means 1e-3
	Beta1       float32 // first-moment decay; 0 means 0.9
	Beta2       float32 // second-moment decay; 0 means 0.95
	Eps         float32 // added to sqrt(v̂); 0 means 1e-8
	WeightDecay float32 // decoupled (AdamW) decay of weight matrices; 0 means 0.1, negative means none
	ClipNorm    float32 // clip the global gradient norm to this; 0 means 1, negative means no clipping
}

// withDefaults returns c with zero fields replaced by their defaults and
// disabled (negative) settings replaced by 0.
func (c AdamConfig) withDefaults() AdamConfig {
	def := func(v *float32, d float32) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&c.LR, 1e-3)
	def(&c.Beta1, 0.9)
	def(&c.Beta2, 0.95)
	def(&c.Eps, 1e-8)
	def(&c.WeightDecay, 0.1)
	def(&c.ClipNorm, 1)
	return c
}

// Adam is AdamW with global-norm gradient clipping. Its embedded config
// holds the resolved settings (0 meaning "off" for WeightDecay and
// ClipNorm); change LR between steps to follow a schedule.
type Adam struct {
	AdamConfig
	step       int       // updates taken
	mt, vt     []float32 // first and second moments, layout of Params
	decay      []bool    // per tensor: is it a weight matrix?
	specs      []tensorSpec
	pow1, pow2 float64 // Beta1^step, Beta2^step
}

// NewAdam returns an optimiser for m's parameters with zeroed moments.
func NewAdam(cfg AdamConfig, m *Model) *Adam {
	o := &Adam{AdamConfig: cfg.withDefaults(), mt: make([]float32, len(m.params)),
		vt: make([]float32, len(m.params)), specs: m.specs, pow1: 1, pow2: 1}
	return o
}

// Steps returns how many updates o has made.
func (o *Adam) Steps() int { return o.step }

// Step updates m's parameters from m.Grads() and returns the global
// gradient norm before clipping. The norm sums squares over all gradients
// in layout order in float64. If ClipNorm > 0 and the norm exceeds it,
// every gradient is scaled by ClipNorm/norm. Then, per parameter,
//
//	m = β1·m + (1-β1)·g        v = β2·v + (1-β2)·g²
//	p -= LR·( m/(1-β1^t) / (sqrt(v/(1-β2^t)) + Eps) + WeightDecay·p )
//
// with the decay term only for weight matrices (embeddings and linear
// weights, not biases or layernorm parameters). Step does not zero the
// gradients. It panics if m is not the model o was made for (size).
func (o *Adam) Step(m *Model) (gradNorm float32) {
	if len(m.params) != len(o.mt) {
		panic(fmt.Sprintf("model: Adam built for %d parameters stepped on %d", len(o.mt), len(m.params)))
	}
	var ss float64
	for _, g := range m.grads {
		ss += float64(float64(g) * float64(g))
	}
	norm := math.Sqrt(ss)
	scale := float32(1)
	if o.ClipNorm > 0 && norm > float64(o.ClipNorm) {
		scale = float32(float64(o.ClipNorm) / norm)
	}
	o.step++
	o.pow1 *= float64(o.Beta1)
	o.pow2 *= float64(o.Beta2)
	c1 := float32(1 - o.pow1)
	c2 := float32(1 - o.pow2)
	b1, b2, lr, eps := o.Beta1, o.Beta2, o.LR, o.Eps
	for _, s := range o.specs {
		wd := float32(0)
		if s.matrix() {
			wd = o.WeightDecay
		}
		p := m.params[s.off : s.off+s.size]
		g := m.grads[s.off : s.off+s.size][:len(p)]
		mt := o.mt[s.off : s.off+s.size][:len(p)]
		vt := o.vt[s.off : s.off+s.size][:len(p)]
		parallelFor(m.workers(), (len(p)+4095)/4096, func(_, lo, hi int) {
			for i := lo * 4096; i < min(hi*4096, len(p)); i++ {
				gi := float32(g[i] * scale)
				mi := float32(b1*mt[i]) + float32((1-b1)*gi)
				vi := float32(b2*vt[i]) + float32(float32((1-b2)*gi)*gi)
				mt[i], vt[i] = mi, vi
				mhat := mi / c1
				vhat := vi / c2
				upd := mhat / (float32(math.Sqrt(float64(vhat))) + eps)
				upd += float32(wd * p[i])
				p[i] -= float32(lr * upd)
			}
		})
	}
	return float32(norm)
}
