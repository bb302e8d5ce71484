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
// degree-7 Taylor polynomial for e**r. Callers handle special values. Its
// parts are small enough for the compiler to inline, which Exp32 relies on:
// in wasm a call costs about a quarter of Exp32's time.
func expKernel(x float64) float64 {
	kf, r := expReduce(x)
	return scaleByPow2(expPoly(r), kf)
}

// The Taylor coefficients 1/n! of expPoly.
const (
	expC2 = 1.0 / 2
	expC3 = 1.0 / 6
	expC4 = 1.0 / 24
	expC5 = 1.0 / 120
	expC6 = 1.0 / 720
	expC7 = 1.0 / 5040
)

// expReduce splits x into kf·ln2 + r with kf a whole number and |r| <= ln2/2.
func expReduce(x float64) (kf, r float64) {
	// Adding then subtracting 1.5×2**52 rounds a float64 of magnitude
	// below 2**51 to the nearest integer (ties to even).
	const roundMagic = 0x1.8p52
	kf = (float64(x*log2e) + roundMagic) - roundMagic
	return kf, (x - float64(kf*ln2Hi)) - float64(kf*ln2Lo)
}

// expPoly is e**r for |r| <= ln2/2, Horner's rule with every product rounded.
func expPoly(r float64) float64 {
	p := expC6 + float64(r*expC7)
	p = expC5 + float64(r*p)
	p = expC4 + float64(r*p)
	p = expC3 + float64(r*p)
	p = expC2 + float64(r*p)
	p = 1 + float64(r*p)
	return 1 + float64(r*p)
}

// scaleByPow2 is p·2**kf for a whole kf within [-1022, 1023].
func scaleByPow2(p, kf float64) float64 {
	return float64(p * math.Float64frombits(uint64(int64(kf)+1023)<<52))
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
	kf, r := expReduce(float64(x))
	return float32(scaleByPow2(expPoly(r), kf))
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
