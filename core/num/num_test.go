package num

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Named tolerances, in units in the last place of the result type.
const (
	// Exp and Log against package math. Under wasm package math runs the
	// same portable Go algorithms, so the ports must match bit for bit;
	// on amd64 math uses assembly that differs by up to 2 ulp (measured:
	// Exp(-689.30) is 2 ulp away).
	ulpTolPortWasm = 0
	ulpTolPortAsm  = 2
	// Exp32, Tanh32 against package math rounded to float32.
	ulpTol32 = 1
)

// mathIsPortable reports whether package math runs its portable Go code
// (no assembly) for Exp and Log on this platform.
var mathIsPortable = runtime.GOARCH == "wasm"

// ulps64 is the distance between a and b in float64 units in the last place.
func ulps64(a, b float64) uint64 {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b || math.Signbit(a) != math.Signbit(b) {
		return math.MaxUint64
	}
	ia, ib := math.Float64bits(math.Abs(a)), math.Float64bits(math.Abs(b))
	if ia > ib {
		return ia - ib
	}
	return ib - ia
}

// ulps32 is the distance between a and b in float32 units in the last place.
func ulps32(a, b float32) uint32 {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b || math.Signbit(float64(a)) != math.Signbit(float64(b)) {
		return math.MaxUint32
	}
	ia := math.Float32bits(float32(math.Abs(float64(a))))
	ib := math.Float32bits(float32(math.Abs(float64(b))))
	if ia > ib {
		return ia - ib
	}
	return ib - ia
}

// sweep64 returns n values spread over [lo, hi] plus random jitter.
func sweep64(lo, hi float64, n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 0, n)
	for i := range n {
		xs = append(xs, lo+(hi-lo)*(float64(i)+r.Float64())/float64(n))
	}
	return xs
}

func TestFloat64AgainstMath(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	portTol := uint64(ulpTolPortAsm)
	if mathIsPortable {
		portTol = ulpTolPortWasm
	}
	cases := []struct {
		name   string
		f, ref func(float64) float64
		lo, hi float64
		tol    uint64
		// asmWrong marks ranges where amd64's assembly math.Exp/Log is
		// itself wrong (Exp overflows to +Inf above ~709.08; Log ignores
		// subnormals): there the reference is a rescaled identity.
		asmWrong bool
	}{
		{"Exp", Exp, math.Exp, -745, 709, portTol, false},
		{"Exp/small", Exp, math.Exp, -1e-6, 1e-6, portTol, false},
		{"Exp/nearOverflow", Exp, math.Exp, 709, 709.78, portTol, true},
		{"Log", Log, math.Log, 1e-300, 1e300, portTol, false},
		{"Log/near1", Log, math.Log, 0.5, 2, portTol, false},
		{"Log/subnormal", Log, math.Log, 4.9e-324, 2.2e-308, portTol, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, tol := c.ref, c.tol
			if c.asmWrong && !mathIsPortable {
				// exp(x) = exp(x/2)²; log(x) = log(x·2¹⁰⁰) - 100·ln2. Each
				// adds a rounding or two to the reference.
				tol = 8
				if c.name == "Log/subnormal" {
					ref = func(x float64) float64 { return math.Log(x*0x1p100) - 100*math.Ln2 }
				} else {
					ref = func(x float64) float64 { h := math.Exp(x / 2); return h * h }
				}
			}
			var worst uint64
			var at float64
			for _, x := range sweep64(c.lo, c.hi, n) {
				if d := ulps64(c.f(x), ref(x)); d > worst {
					worst, at = d, x
				}
			}
			t.Logf("%s: max diff %d ulp (at x=%g) over %d values", c.name, worst, at, n)
			if worst > tol {
				t.Errorf("%s(%g) = %g, reference %g: %d ulp > %d", c.name, at, c.f(at), ref(at), worst, tol)
			}
		})
	}
}

func TestFloat64SpecialCases(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name string
		f    func(float64) float64
		x    float64
		want float64
	}{
		{"Exp", Exp, inf, inf},
		{"Exp", Exp, -inf, 0},
		{"Exp", Exp, nan, nan},
		{"Exp", Exp, 0, 1},
		{"Exp", Exp, 710, inf},  // overflow
		{"Exp", Exp, -746, 0},   // underflow
		{"Exp", Exp, 1e-300, 1}, // near zero
		{"Log", Log, inf, inf},
		{"Log", Log, 0, -inf},   //
		{"Log", Log, -1, nan},   //
		{"Log", Log, -inf, nan}, //
		{"Log", Log, nan, nan},  //
		{"Log", Log, 1, 0},      //
	}
	for _, c := range cases {
		if got := c.f(c.x); ulps64(got, c.want) != 0 {
			t.Errorf("%s(%g) = %g, want %g", c.name, c.x, got, c.want)
		}
	}
	// Subnormal results: Exp must agree with math on the gradual underflow.
	for _, x := range []float64{-708.5, -710, -720, -740, -744.4} {
		if got, want := Exp(x), math.Exp(x); ulps64(got, want) > ulpTolPortAsm {
			t.Errorf("Exp(%g) = %g, want %g", x, got, want)
		}
	}
}

func TestFloat32AgainstMath(t *testing.T) {
	step := uint32(193) // visits ~11M float32s per function in the full sweep
	if testing.Short() {
		step = 9973
	}
	cases := []struct {
		name   string
		f      func(float32) float32
		ref    func(float64) float64
		lo, hi float32
	}{
		{"Exp32", Exp32, math.Exp, -104, 89},
		{"Tanh32", Tanh32, math.Tanh, -10, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var worst uint32
			var at float32
			n := 0
			check := func(x float32) {
				n++
				if d := ulps32(c.f(x), float32(c.ref(float64(x)))); d > worst {
					worst, at = d, x
				}
			}
			// Walk the bit patterns of |x| up to the range's edge,
			// testing both signs where they fall inside [lo, hi].
			edge := float32(math.Max(math.Abs(float64(c.lo)), math.Abs(float64(c.hi))))
			for bits := uint32(0); bits <= math.Float32bits(edge); bits += step {
				x := math.Float32frombits(bits)
				for _, v := range []float32{x, -x} {
					if v >= c.lo && v <= c.hi {
						check(v)
					}
				}
			}
			t.Logf("%s: max diff %d ulp (at x=%g) over %d values", c.name, worst, at, n)
			if worst > ulpTol32 {
				t.Errorf("%s(%g) = %g, math says %g: %d ulp > %d", c.name, at, c.f(at), float32(c.ref(float64(at))), worst, ulpTol32)
			}
		})
	}
}

func TestFloat32SpecialCases(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		f    func(float32) float32
		x    float32
		want float32
	}{
		{"Exp32", Exp32, inf, inf},
		{"Exp32", Exp32, -inf, 0},
		{"Exp32", Exp32, nan, nan},
		{"Exp32", Exp32, 0, 1},
		{"Exp32", Exp32, 88.8, inf},                                       // overflow
		{"Exp32", Exp32, -104.5, 0},                                       // underflow
		{"Exp32", Exp32, -103, float32(math.Exp(-103))},                   // subnormal result
		{"Exp32", Exp32, 88.7, float32(math.Exp(float64(float32(88.7))))}, // largest finite range
		{"Tanh32", Tanh32, inf, 1},
		{"Tanh32", Tanh32, -inf, -1},
		{"Tanh32", Tanh32, nan, nan},
		{"Tanh32", Tanh32, 0, 0},
		{"Tanh32", Tanh32, 1e-30, 1e-30},
		{"Tanh32", Tanh32, 20, 1},
	}
	for _, c := range cases {
		if got := c.f(c.x); ulps32(got, c.want) != 0 {
			t.Errorf("%s(%g) = %g, want %g", c.name, c.x, got, c.want)
		}
	}
	if got := Tanh32(negZero); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("Tanh32(-0) = %g, want -0", got)
	}
}

// goldenBits is the FNV-1a hash of every function in this package on a
// fixed grid of inputs. The same constant must come out natively and
// under GOOS=js GOARCH=wasm: that is the cross-platform guarantee. If a
// deliberate algorithm change alters it, update it on one platform and
// check that the other agrees.
const goldenBits uint64 = 0xcc9e051d55ecc491

func TestGoldenBits(t *testing.T) {
	h := fnv.New64a()
	var buf [8]byte
	put64 := func(v float64) {
		b := math.Float64bits(v)
		for i := range buf {
			buf[i] = byte(b >> (8 * i))
		}
		h.Write(buf[:])
	}
	put32 := func(v float32) { put64(float64(v)) }
	r := rand.New(rand.NewPCG(7, 7))
	for range 20000 {
		x := (r.Float64()*2 - 1) * 100
		put64(Exp(x * 7))
		put64(Log(math.Abs(x) * 1e3))
		put32(Exp32(float32(x)))
		put32(Tanh32(float32(x / 20)))
	}
	logits := make([]float32, 64)
	probs := make([]float32, 64)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 3)
	}
	Softmax(probs, logits, 0.7)
	for _, p := range probs {
		put32(p)
	}
	put64(LogSumExp(logits))
	Softmax(probs, logits, 1)
	put64(Entropy(probs))
	if got := h.Sum64(); got != goldenBits {
		t.Errorf("golden hash = %#x, want %#x: results differ from the reference platform", got, goldenBits)
	}
}

func TestLogSumExp(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		name string
		x    []float32
		want float64
	}{
		{"empty", nil, math.Inf(-1)},
		{"single", []float32{3}, 3},
		{"pair", []float32{0, 0}, math.Ln2},
		{"large", []float32{1000, 1000}, 1000 + math.Ln2},
		{"tiny", []float32{-1000, -1000}, -1000 + math.Ln2},
		{"withNegInf", []float32{-inf, 2}, 2},
		{"allNegInf", []float32{-inf, -inf}, math.Inf(-1)},
		{"posInf", []float32{1, inf}, math.Inf(1)},
		{"nan", []float32{1, float32(math.NaN())}, math.NaN()},
	}
	const tol = 1e-12
	for _, c := range cases {
		got := LogSumExp(c.x)
		if math.IsNaN(c.want) != math.IsNaN(got) || (!math.IsNaN(got) && got != c.want && math.Abs(got-c.want) > tol) {
			t.Errorf("%s: LogSumExp(%v) = %g, want %g", c.name, c.x, got, c.want)
		}
	}
}

func TestSoftmax(t *testing.T) {
	const tol = 1e-6 // float32 probabilities vs a float64 reference
	inf := float32(math.Inf(1))
	cases := []struct {
		name   string
		logits []float32
		temp   float32
	}{
		{"basic", []float32{1, 2, 3, 4}, 1},
		{"hot", []float32{1, 2, 3, 4}, 0.25},
		{"cold", []float32{1, 2, 3, 4}, 4},
		{"large", []float32{1e4, 1e4 - 1, -1e4}, 1},
		{"negInf", []float32{-inf, 0, 1}, 1},
	}
	for _, c := range cases {
		got := make([]float32, len(c.logits))
		Softmax(got, c.logits, c.temp)
		// float64 reference
		var mx float64 = math.Inf(-1)
		for _, v := range c.logits {
			mx = math.Max(mx, float64(v))
		}
		var sum, total float64
		for _, v := range c.logits {
			sum += math.Exp((float64(v) - mx) / float64(c.temp))
		}
		var maxDiff float64
		for i, v := range c.logits {
			want := math.Exp((float64(v)-mx)/float64(c.temp)) / sum
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-want))
			total += float64(got[i])
		}
		t.Logf("%s: max diff %.3g", c.name, maxDiff)
		if maxDiff > tol || math.Abs(total-1) > tol {
			t.Errorf("%s: Softmax = %v, max diff %g, sum %g", c.name, got, maxDiff, total)
		}
	}
}

func TestSoftmaxGreedyAndAlias(t *testing.T) {
	x := []float32{0.5, 3, 3, -1}
	dst := make([]float32, 4)
	Softmax(dst, x, 0)
	if want := []float32{0, 1, 0, 0}; fmt.Sprint(dst) != fmt.Sprint(want) {
		t.Errorf("greedy Softmax = %v, want %v", dst, want)
	}
	want := make([]float32, 4)
	Softmax(want, x, 1)
	Softmax(x, x, 1) // in place
	for i := range x {
		if x[i] != want[i] {
			t.Errorf("in-place Softmax[%d] = %g, want %g", i, x[i], want[i])
		}
	}
}

func TestEntropy(t *testing.T) {
	const tol = 1e-12
	cases := []struct {
		name  string
		probs []float32
		want  float64
	}{
		{"oneHot", []float32{0, 1, 0}, 0},
		{"uniform4", []float32{0.25, 0.25, 0.25, 0.25}, math.Log(4)},
		{"half", []float32{0.5, 0.5}, math.Ln2},
	}
	for _, c := range cases {
		if got := Entropy(c.probs); math.Abs(got-c.want) > tol {
			t.Errorf("%s: Entropy = %g, want %g", c.name, got, c.want)
		}
	}
}

func TestMax(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		x    []float32
		want int
	}{
		{[]float32{1, 5, 5, 2}, 1},
		{[]float32{nan, 1, 2}, 2},
		{[]float32{-3}, 0},
	}
	for _, c := range cases {
		if _, got := Max(c.x); got != c.want {
			t.Errorf("Max(%v) at %d, want %d", c.x, got, c.want)
		}
	}
}

func ExampleSoftmax() {
	logits := []float32{1, 2, 3}
	probs := make([]float32, 3)
	Softmax(probs, logits, 1)
	fmt.Printf("%.4f\n", probs)
	Softmax(probs, logits, 0) // temp 0: greedy
	fmt.Println(probs)
	// Output:
	// [0.0900 0.2447 0.6652]
	// [0 0 1]
}

func ExampleLogSumExp() {
	// Stable where the naive formula overflows.
	fmt.Printf("%.6f\n", LogSumExp([]float32{1000, 1000}))
	// Output: 1000.693147
}

var sink32 float32
var sink64 float64

func BenchmarkExp32(b *testing.B) {
	x := float32(-3)
	for b.Loop() {
		sink32 += Exp32(x)
		x += 1e-6
	}
}

func BenchmarkTanh32(b *testing.B) {
	x := float32(-2)
	for b.Loop() {
		sink32 += Tanh32(x)
		x += 1e-6
	}
}

func BenchmarkExp(b *testing.B) {
	x := -3.0
	for b.Loop() {
		sink64 += Exp(x)
		x += 1e-6
	}
}

func BenchmarkMathExp(b *testing.B) {
	x := -3.0
	for b.Loop() {
		sink64 += math.Exp(x)
		x += 1e-6
	}
}

// TestExpScalingIsLdexp checks the fast scaling step of expmulti: for every
// k it takes, multiplying by 2**k gives math.Ldexp's bits for results of
// the size expmulti produces.
func TestExpScalingIsLdexp(t *testing.T) {
	ys := []float64{0.7, 0.70710678118654746, 1, 1.4142135623730951, 1.42, math.Nextafter(1, 0), math.Nextafter(1, 2)}
	for i := range 200 {
		ys = append(ys, 0.7+0.72*float64(i)/199)
	}
	for k := -1021; k <= 1022; k++ {
		s := math.Float64frombits(uint64(k+1023) << 52)
		for _, y := range ys {
			if got, want := y*s, math.Ldexp(y, k); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("y=%v k=%d: y*2**k = %v, Ldexp = %v", y, k, got, want)
			}
		}
	}
}

// TestExp32MatchesExpKernel: Exp32 writes expKernel out; both must agree
// bit for bit over Exp32's domain [-104, 89] (every 101st float32, every
// 1009th with -short).
func TestExp32MatchesExpKernel(t *testing.T) {
	step := uint32(101)
	if testing.Short() {
		step = 1009
	}
	for b := uint32(0); b <= math.Float32bits(104); b += step {
		for _, x := range []float32{math.Float32frombits(b), -math.Float32frombits(b)} {
			if x > 89 || x < -104 {
				continue
			}
			if got, want := Exp32(x), float32(expKernel(float64(x))); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("Exp32(%g) = %g, expKernel gives %g", x, got, want)
			}
		}
	}
}
