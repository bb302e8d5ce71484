package num

import "math"

// The float32 functions in this file are the ones hot loops call
// (softmax, attention, GELU). Each evaluates a short kernel in float64
// whose error is far below half a float32 ulp, then rounds once, so
// results are faithful (almost always correctly rounded) and, like
// everything in this package, bit-identical on every platform.

// expKernel returns e**x for -700 < x < 700 with relative error below 1e-8
// (about a tenth of a float32 ulp). It is the float64 core of Exp32 and
// Tanh32: Cody–Waite reduction x = k·ln2 + r with |r| <= ln2/2, then a
// degree-7 Taylor polynomial for e**r. Callers handle special values.
func expKernel(x float64) float64 {
	const (
		// Adding then subtracting 1.5×2**52 rounds a float64 of
		// magnitude below 2**51 to the nearest integer (ties to even).
		roundMagic = 0x1.8p52
		c2         = 1.0 / 2
		c3         = 1.0 / 6
		c4         = 1.0 / 24
		c5         = 1.0 / 120
		c6         = 1.0 / 720
		c7         = 1.0 / 5040
	)
	kf := (float64(x*log2e) + roundMagic) - roundMagic
	r := (x - float64(kf*ln2Hi)) - float64(kf*ln2Lo)
	p := c6 + float64(r*c7)
	p = c5 + float64(r*p)
	p = c4 + float64(r*p)
	p = c3 + float64(r*p)
	p = c2 + float64(r*p)
	p = 1 + float64(r*p)
	p = 1 + float64(r*p)
	k := int64(kf) // within [-1022, 1023] on the documented domain
	return float64(p * math.Float64frombits(uint64(k+1023)<<52))
}

// Exp32 returns e**x in float32.
//
// Special cases are:
//
//	Exp32(+Inf) = +Inf
//	Exp32(-Inf) = 0
//	Exp32(NaN) = NaN
//
// Results above math.MaxFloat32 are +Inf; results below the smallest
// subnormal are 0. The error is within 1 float32 ulp.
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 89: // e**89 > MaxFloat32; includes +Inf
		return float32(math.Inf(1))
	case x < -104: // e**-104 < half the smallest subnormal; includes -Inf
		return 0
	}
	// expKernel, written out: in wasm the call costs about a quarter of
	// Exp32's time. Keep the two in step (TestExp32MatchesExpKernel).
	const (
		roundMagic = 0x1.8p52
		c2         = 1.0 / 2
		c3         = 1.0 / 6
		c4         = 1.0 / 24
		c5         = 1.0 / 120
		c6         = 1.0 / 720
		c7         = 1.0 / 5040
	)
	xd := float64(x)
	kf := (float64(xd*log2e) + roundMagic) - roundMagic
	r := (xd - float64(kf*ln2Hi)) - float64(kf*ln2Lo)
	p := c6 + float64(r*c7)
	p = c5 + float64(r*p)
	p = c4 + float64(r*p)
	p = c3 + float64(r*p)
	p = c2 + float64(r*p)
	p = 1 + float64(r*p)
	p = 1 + float64(r*p)
	k := int64(kf)
	return float32(float64(p * math.Float64frombits(uint64(k+1023)<<52)))
}

// Tanh32 returns the hyperbolic tangent of x in float32.
//
// Special cases are:
//
//	Tanh32(±0) = ±0
//	Tanh32(±Inf) = ±1
//	Tanh32(NaN) = NaN
//
// The error is within 1 float32 ulp.
func Tanh32(x float32) float32 {
	xd := float64(x)
	z := math.Abs(xd)
	switch {
	case z > 9.1: // 1 - tanh(9.1) < 2**-25: rounds to 1 in float32
		if x < 0 {
			return -1
		}
		return 1
	case z >= 0.625:
		s := expKernel(2 * z)
		z = 1 - 2/(s+1)
		if x < 0 {
			z = -z
		}
		return float32(z)
	default:
		if x == 0 || x != x {
			return x
		}
		// Cephes rational approximation, as in Tanh.
		s := float64(xd * xd)
		p := float64(tanhP[0]*s) + tanhP[1]
		p = float64(p*s) + tanhP[2]
		q := s + tanhQ[0]
		q = float64(q*s) + tanhQ[1]
		q = float64(q*s) + tanhQ[2]
		return float32(xd + float64(float64(xd*s)*p)/q)
	}
}
