package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
)

// Numeric flags are checked as they are parsed: a value that is not a
// number, not finite, or outside the flag's range is an error naming the flag
// and the range, never a silent default. Flags whose default is "the
// recipe's" are told apart from an explicit value with set, not with a
// sentinel value such as 0 or -1.

// maxSeed is the largest seed: 2^53, the largest integer a JSON number holds
// exactly in the browser, so every run can be posted to the class board and
// replayed from a link.
const maxSeed = 1 << 53

// tempRange is a sampling temperature's range, as a distillation run takes
// it.
var tempRange = closed(distill.TemperatureRange)

// closed is a knob's range from core/distill, both ends included.
func closed(r distill.Range) floatRange { return floatRange{lo: r.Lo, hi: r.Hi} }

// maxTopK bounds -topk before the vocabulary is known; checkTopK then holds
// it to the vocabulary.
const maxTopK = 1 << 16

// checkTopK refuses a top-k larger than the vocabulary it samples from.
func checkTopK(k, vocab int) error {
	if k > vocab {
		return usageError{fmt.Sprintf("invalid value \"%d\" for flag -topk: want an integer in [0, %d] (the vocabulary size; 0 samples from all of it)", k, vocab)}
	}
	return nil
}

// floatRange is a closed or half-open interval of finite numbers.
type floatRange struct {
	lo, hi         float64
	openLo, openHi bool
}

func (r floatRange) contains(v float64) bool {
	return (v > r.lo || !r.openLo && v == r.lo) && (v < r.hi || !r.openHi && v == r.hi)
}

func (r floatRange) String() string {
	lb, rb := "[", "]"
	if r.openLo {
		lb = "("
	}
	if r.openHi {
		rb = ")"
	}
	return fmt.Sprintf("a number in %s%s, %s%s", lb, fmtNum(r.lo), fmtNum(r.hi), rb)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

type floatValue struct {
	p *float64
	r floatRange
}

func (f *floatValue) String() string {
	if f.p == nil {
		return ""
	}
	return fmtNum(*f.p)
}

func (f *floatValue) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(v) || math.IsInf(v, 0) || !f.r.contains(v) {
		return fmt.Errorf("want %v", f.r)
	}
	*f.p = v
	return nil
}

// floatFlag defines a float flag that only takes finite values in r.
func floatFlag(fs *flag.FlagSet, name string, def float64, r floatRange, usage string) *float64 {
	p := new(float64)
	*p = def
	fs.Var(&floatValue{p, r}, name, usage+" ("+r.String()+")")
	return p
}

type intValue struct {
	p      *int
	lo, hi int
}

func (v *intValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v *intValue) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < int64(v.lo) || n > int64(v.hi) {
		return fmt.Errorf("want an integer in [%d, %d]", v.lo, v.hi)
	}
	*v.p = int(n)
	return nil
}

// intFlag defines an integer flag that only takes values in [lo, hi].
func intFlag(fs *flag.FlagSet, name string, def, lo, hi int, usage string) *int {
	p := new(int)
	*p = def
	fs.Var(&intValue{p, lo, hi}, name, fmt.Sprintf("%s (an integer in [%d, %d])", usage, lo, hi))
	return p
}

// seedFlag defines a seed flag: an integer in [0, 2^53].
func seedFlag(fs *flag.FlagSet, name string, def uint64, usage string) *uint64 {
	p := new(uint64)
	*p = def
	fs.Var(&seedValue{p}, name, fmt.Sprintf("%s (an integer in [0, %d])", usage, uint64(maxSeed)))
	return p
}

type seedValue struct{ p *uint64 }

func (v *seedValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.FormatUint(*v.p, 10)
}

func (v *seedValue) Set(s string) error {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n > maxSeed {
		return fmt.Errorf("want an integer in [0, %d]", uint64(maxSeed))
	}
	*v.p = n
	return nil
}

// isSet reports whether the flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
