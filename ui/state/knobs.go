package state

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// A knob is one setting a link carries, written once: its URL key, its
// bounds, how it is written and read back, where a recipe's default comes
// from and how it enters the run's config, and whether changing it starts
// the run again. The URL (Hash, ParseHash), the page's setters (change),
// ApplyRecipe and Config all read the table below; adding a setting is
// adding a row.
type knob struct {
	key string
	// rng bounds a number (nil: not a number, or any uint64 for the seed).
	// The run's rows take their bounds from core/distill, the very values
	// Config.Validate checks; a test walks the table against Validate.
	rng *distill.Range
	// page: a transport or classroom setting, which leaves the run alone;
	// every other row defines the run, and changing it starts the run again
	// unless live changes the playing run in place (a link's value still
	// defines the run from step 0).
	page bool
	// omit: the value Hash leaves out (classroom keys only when set).
	omit       *string
	get        func(*Settings) string
	set        func(*Settings, string) error
	fromRecipe func(*Settings, distill.Config) // the recipe's default (nil: none)
	toConfig   func(Settings, *distill.Config) // into the run's config (nil: none)
	live       func(Settings) lab.Knobs        // the in-place change (nil: restart)
}

// inPlace marks a run knob the playing run takes without restarting.
func (k knob) inPlace(f func(Settings) lab.Knobs) knob {
	k.live = f
	return k
}

// onPage marks a setting outside the run; Hash leaves it out at omit.
func (k knob) onPage(omit *string) knob {
	k.page, k.omit = true, omit
	return k
}

// MaxSteps bounds a run's length in the browser, within the engine's
// distill.StepsRange: the page holds every step's metrics.
const MaxSteps = 2000

var knobs = []knob{
	{key: "model", get: func(s *Settings) string { return s.Model }, set: setModel},
	{key: "recipe", get: func(s *Settings) string { return s.Recipe }, set: setRecipeName},
	{key: "seed", get: func(s *Settings) string { return strconv.FormatUint(s.Seed, 10) }, set: setSeed,
		toConfig: func(s Settings, c *distill.Config) { c.Seed = s.Seed }},
	number("steps", &distill.Range{Lo: distill.StepsRange.Lo, Hi: MaxSteps},
		func(s *Settings) *int { return &s.Steps }, func(c *distill.Config) *int { return &c.Steps }),
	{key: "div", get: func(s *Settings) string { return string(s.Divergence) }, set: setDivergence,
		fromRecipe: func(s *Settings, c distill.Config) { s.Divergence = c.Objective },
		toConfig:   func(s Settings, c *distill.Config) { c.Objective = s.Divergence }},
	number("beta", &distill.BetaRange,
		func(s *Settings) *float64 { return &s.Beta }, func(c *distill.Config) *float64 { return &c.Beta }),
	number("temp", &distill.TemperatureRange,
		func(s *Settings) *float32 { return &s.Temperature }, func(c *distill.Config) *float32 { return &c.Temperature }).
		inPlace(func(s Settings) lab.Knobs { return lab.Knobs{Temperature: s.Temperature} }),
	number("g", &distill.GRange,
		func(s *Settings) *int { return &s.G }, func(c *distill.Config) *int { return &c.G }),
	number("lr", &distill.LRRange,
		func(s *Settings) *float32 { return &s.LR }, func(c *distill.Config) *float32 { return &c.LR }).
		inPlace(func(s Settings) lab.Knobs { return lab.Knobs{LR: s.LR} }),
	{key: "teacher", get: func(s *Settings) string { return string(s.Teacher) }, set: setTeacher,
		fromRecipe: func(s *Settings, c distill.Config) { s.Teacher = c.Teacher },
		toConfig:   func(s Settings, c *distill.Config) { c.Teacher = s.Teacher }},
	number("sft", &distill.CrossSFTEpochsRange,
		func(s *Settings) *int { return &s.SFTEpochs }, func(c *distill.Config) *int { return &c.CrossSFTEpochs }),
	flag("self", func(s *Settings) *bool { return &s.SelfData }, func(c *distill.Config) *bool { return &c.CrossSFTSelfData }),
	{key: "c", get: func(s *Settings) string { return s.Constitution }, set: setConstitution,
		// A recipe's constitution fills an empty one only: switching recipe
		// keeps the learner's rules.
		fromRecipe: func(s *Settings, c distill.Config) {
			if s.Constitution == "" {
				s.Constitution = c.Constitution
			}
		},
		toConfig: func(s Settings, c *distill.Config) {
			if c.Privileged == distill.WithConstitution {
				c.Constitution = s.Constitution
			}
		}},
	number("speed", &distill.Range{Lo: 0, Hi: 1000}, func(s *Settings) *float64 { return &s.Speed }, nil).onPage(nil),
	number("stop", &distill.Range{Lo: 0, Hi: MaxSteps}, func(s *Settings) *int { return &s.StopAt }, nil).onPage(nil),
	knob{key: "hide", get: func(s *Settings) string { return strings.Join(s.Hide, ",") }, set: setHide}.onPage(ptr("")),
	flag("guide", func(s *Settings) *bool { return &s.Guide }, nil).onPage(ptr("0")),
	knob{key: "class", get: func(s *Settings) string { return s.Class }, set: setClass}.onPage(ptr("")),
	knob{key: "goal", get: func(s *Settings) string { return s.Goal.String() }, set: setGoal}.onPage(ptr("")),
	number("workers", &distill.Range{Lo: 0, Hi: MaxWorkers}, func(s *Settings) *int { return &s.Workers }, nil).onPage(ptr("0")),
	knob{key: "view", get: func(s *Settings) string { return s.View }, set: setView}.onPage(ptr("")),
	knob{key: "suite", get: func(s *Settings) string { return s.Suite }, set: setSuite}.onPage(ptr("")),
	number("seeds", &distill.Range{Lo: 0, Hi: MaxSuiteSeeds}, func(s *Settings) *int { return &s.SuiteSeeds }, nil).onPage(ptr("0")),
	number("rsteps", &distill.Range{Lo: 0, Hi: MaxSteps}, func(s *Settings) *int { return &s.SuiteSteps }, nil).onPage(ptr("0")),
}

// Bounds is the range the row key allows, for the page's inputs.
func Bounds(key string) distill.Range { return *knobNamed(key).rng }

// knobNamed is the table's row for key; it panics for a key not in the
// table, a programming error.
func knobNamed(key string) *knob {
	i := slices.IndexFunc(knobs, func(k knob) bool { return k.key == key })
	if i < 0 {
		panic("state: no knob " + key)
	}
	return &knobs[i]
}

// number is a numeric row: its value is written as the shortest text that
// reads back to the same T, and read back only within rng. A nil toConfig
// is a setting outside the run.
func number[T int | float32 | float64](key string, rng *distill.Range, field func(*Settings) *T, cfg func(*distill.Config) *T) knob {
	k := knob{key: key, rng: rng,
		get: func(s *Settings) string { return formatNumber(*field(s)) },
		set: func(s *Settings, v string) error {
			x, err := parseNumber[T](v, *rng)
			if err == nil {
				*field(s) = x
			}
			return err
		},
	}
	if cfg != nil {
		k.fromRecipe = func(s *Settings, c distill.Config) { *field(s) = *cfg(&c) }
		k.toConfig = func(s Settings, c *distill.Config) { *cfg(c) = *field(&s) }
	}
	return k
}

// flag is a yes/no row, written 0 or 1.
func flag(key string, field func(*Settings) *bool, cfg func(*distill.Config) *bool) knob {
	k := knob{key: key,
		get: func(s *Settings) string { return fmtBool(*field(s)) },
		set: func(s *Settings, v string) error {
			switch v {
			case "0", "false":
				*field(s) = false
			case "1", "true":
				*field(s) = true
			default:
				return fmt.Errorf("%q: want 0 or 1", clip(v, 12))
			}
			return nil
		},
	}
	if cfg != nil {
		k.fromRecipe = func(s *Settings, c distill.Config) { *field(s) = *cfg(&c) }
		k.toConfig = func(s Settings, c *distill.Config) { *cfg(c) = *field(&s) }
	}
	return k
}

func formatNumber[T int | float32 | float64](x T) string {
	switch v := any(x).(type) {
	case int:
		return strconv.Itoa(v)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	default:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	}
}

func parseNumber[T int | float32 | float64](v string, r distill.Range) (T, error) {
	if _, whole := any(T(0)).(int); whole {
		n, err := strconv.Atoi(v)
		if err != nil || !distill.In(r, n) {
			return 0, fmt.Errorf("%q: want a whole number from %g to %g", clip(v, 12), r.Lo, r.Hi)
		}
		return T(n), nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !distill.In(r, T(f)) {
		return 0, fmt.Errorf("%q: want a number from %g to %g", clip(v, 12), r.Lo, r.Hi)
	}
	return T(f), nil
}

// clamp is the number in r nearest to x: the page's inputs take the nearest
// allowed value rather than refuse one.
func clamp[T int | float32 | float64](r distill.Range, x T) T {
	return min(max(x, T(r.Lo)), T(r.Hi))
}

func setModel(s *Settings, v string) error {
	for _, m := range Models {
		if m.Name == v {
			s.Model = v
			return nil
		}
	}
	return fmt.Errorf("unknown model %q", v)
}

func setRecipeName(s *Settings, v string) error {
	if _, err := distill.Recipe(v); err != nil {
		return err
	}
	s.Recipe = v
	return nil
}

func setSeed(s *Settings, v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q: want a whole number ≥ 0", clip(v, 20))
	}
	s.Seed = n
	return nil
}

func setDivergence(s *Settings, v string) error {
	d := distill.Objective(v)
	if !d.Valid() {
		return fmt.Errorf("unknown divergence %q", v)
	}
	s.Divergence = d
	return nil
}

func setTeacher(s *Settings, v string) error {
	switch t := distill.TeacherMode(v); t {
	case distill.Frozen, distill.EMA, distill.Live:
		s.Teacher = t
		return nil
	}
	return fmt.Errorf("unknown teacher %q (want frozen, ema or live)", v)
}

func setConstitution(s *Settings, v string) error {
	if len(v) > 600 {
		return fmt.Errorf("constitution of %d characters; at most 600", len(v))
	}
	s.Constitution = v
	return nil
}

func setHide(s *Settings, v string) error {
	s.Hide = nil
	for _, h := range strings.Split(v, ",") {
		if h == "" {
			continue
		}
		if !slices.Contains(Hideable, h) {
			return fmt.Errorf("cannot hide %q (hideable: %s)", h, strings.Join(Hideable, ", "))
		}
		if !slices.Contains(s.Hide, h) {
			s.Hide = append(s.Hide, h)
		}
	}
	return nil
}

func setGoal(s *Settings, v string) error {
	g, err := ParseGoal(v)
	if err == nil {
		s.Goal = g
	}
	return err
}

func setClass(s *Settings, v string) error {
	c := NormalizeClass(v)
	if err := CheckClass(c); err != nil {
		return err
	}
	s.Class = c
	return nil
}

// setView opens the main lab ("lab", written as no key) or the Reproduce
// view.
func setView(s *Settings, v string) error {
	switch v {
	case "lab", "":
		s.View = ""
	case ViewReproduce:
		s.View = v
	default:
		return fmt.Errorf("unknown view %q (want lab or %s)", clip(v, 20), ViewReproduce)
	}
	return nil
}

// setSuite chooses the Reproduce view's suite (quick, written as no key).
func setSuite(s *Settings, v string) error {
	switch v {
	case SuiteQuick, "":
		s.Suite = ""
	case SuiteFull, SuiteCustom:
		s.Suite = v
	default:
		return fmt.Errorf("unknown suite %q (want %s, %s or %s)", clip(v, 20), SuiteQuick, SuiteFull, SuiteCustom)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func fmtBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
