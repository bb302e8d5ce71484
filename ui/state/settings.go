// Package state is the browser lab's state and its wiring to the engine:
// the settings (and their URL form), the runs on show, the live run's data
// as the workers report it, and the commands the page sends. It has no
// browser dependency: the page's bridge (wasm/page) implements Port, and the
// tests use a fake one, so every behaviour here is tested natively.
//
// The Vugu components (package ui) read a *Lab and call its methods from
// their event handlers, under the render lock; replies from the workers
// arrive through the On* methods, under the same lock.
package state

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
)

// Models are the shipped base models, the default first.
var Models = []ModelChoice{
	{Name: "base-rho50", Rho: 0.5, About: "rho 0.5: safety and brevity are correlated in its data (the collapse world)"},
	{Name: "base-rho0", Rho: 0, About: "rho 0: the control, where they are independent"},
}

// ModelChoice is a base model the page can load.
type ModelChoice struct {
	Name  string
	Rho   float64
	About string
}

// Settings are everything a link carries: the run (model, recipe, knobs,
// constitution, seed, steps), the transport and the classroom options.
// Run returns the config they define; the same settings give the same run.
type Settings struct {
	Model        string
	Recipe       string
	Constitution string // rule text; "none" for no constitution
	Seed         uint64
	Steps        int

	// The recipe's main knobs; Reset copies them from the recipe.
	Divergence  distill.Divergence
	Beta        float64
	Temperature float32
	G           int
	LR          float32
	Teacher     distill.TeacherMode
	SFTEpochs   int
	SelfData    bool

	Speed  float64 // steps per second; 0: as fast as the engine goes
	StopAt int     // pause at this step; 0: at the end of the run

	Hide  []string // classroom: controls not shown (see Hideable)
	Guide bool     // classroom: show the guided "predict, then run" sequence
	Class string   // classroom: the class board's code ("" for none)
}

// Hideable are the controls a classroom link can hide.
var Hideable = []string{"model", "recipe", "knobs", "constitution", "seed", "speed", "export", "board"}

// URLVersion is the format version of the URL state. A link made by this
// version replays the same run as long as the recipes' other defaults stand.
// Keys added since, which a link carries only when set (class), leave the
// version as it is: every link made before them reads as it did.
const URLVersion = 1

// DefaultSettings is the collapse demo: opsd-rkl on rho 0.5, seed 1.
func DefaultSettings() Settings {
	s := Settings{Model: Models[0].Name, Seed: 1}
	s.ApplyRecipe("opsd-rkl")
	return s
}

// ApplyRecipe sets the recipe and resets its knobs, steps and constitution
// to the recipe's.
func (s *Settings) ApplyRecipe(name string) error {
	c, err := distill.Recipe(name)
	if err != nil {
		return err
	}
	s.Recipe = name
	s.Divergence, s.Beta, s.Temperature, s.G, s.LR = c.Divergence, c.Beta, c.Temperature, c.G, c.LR
	s.Teacher, s.SFTEpochs, s.SelfData, s.Steps = c.Teacher, c.CrossSFTEpochs, c.CrossSFTSelfData, c.Steps
	if s.Constitution == "" {
		s.Constitution = c.Constitution
	}
	return nil
}

// Config is the run the settings define.
func (s Settings) Config() (distill.Config, error) {
	c, err := distill.Recipe(s.Recipe)
	if err != nil {
		return distill.Config{}, err
	}
	c.Divergence, c.Beta, c.Temperature, c.G, c.LR = s.Divergence, s.Beta, s.Temperature, s.G, s.LR
	c.Teacher, c.CrossSFTEpochs, c.CrossSFTSelfData = s.Teacher, s.SFTEpochs, s.SelfData
	c.Seed, c.Steps = s.Seed, s.Steps
	if c.Privileged == distill.WithConstitution {
		c.Constitution = s.Constitution
	}
	if err := c.Validate(); err != nil {
		return distill.Config{}, err
	}
	if c.CrossSFTEpochs > 0 && c.Teacher == distill.Live {
		return distill.Config{}, fmt.Errorf("a Cross-SFT teacher must be frozen or EMA, not live")
	}
	return c, nil
}

// Hidden reports whether a classroom link hides the control.
func (s Settings) Hidden(control string) bool { return slices.Contains(s.Hide, control) }

// A prop is one URL key: how to write it and how to read it back. Adding a
// setting to the URL is adding a row.
type prop struct {
	key string
	get func(s *Settings) string
	set func(s *Settings, v string) error
}

var props = []prop{
	{"model", func(s *Settings) string { return s.Model }, func(s *Settings, v string) error {
		for _, m := range Models {
			if m.Name == v {
				s.Model = v
				return nil
			}
		}
		return fmt.Errorf("unknown model %q", v)
	}},
	{"recipe", func(s *Settings) string { return s.Recipe }, func(s *Settings, v string) error {
		if _, err := distill.Recipe(v); err != nil {
			return err
		}
		s.Recipe = v
		return nil
	}},
	{"seed", func(s *Settings) string { return strconv.FormatUint(s.Seed, 10) }, func(s *Settings, v string) (err error) {
		s.Seed, err = strconv.ParseUint(v, 10, 64)
		return err
	}},
	{"steps", func(s *Settings) string { return strconv.Itoa(s.Steps) }, intProp(func(s *Settings) *int { return &s.Steps }, 1, MaxSteps)},
	{"div", func(s *Settings) string { return string(s.Divergence) }, func(s *Settings, v string) error {
		if d := distill.Divergence(v); d.Valid() {
			s.Divergence = d
			return nil
		}
		return fmt.Errorf("unknown divergence %q", v)
	}},
	{"beta", func(s *Settings) string { return strconv.FormatFloat(s.Beta, 'g', -1, 64) }, func(s *Settings, v string) (err error) {
		s.Beta, err = parseFloat(v, 0, 1)
		return err
	}},
	{"temp", func(s *Settings) string { return fmtFloat(float64(s.Temperature)) }, func(s *Settings, v string) error {
		f, err := parseFloat(v, 0.05, 5)
		s.Temperature = float32(f)
		return err
	}},
	{"g", func(s *Settings) string { return strconv.Itoa(s.G) }, intProp(func(s *Settings) *int { return &s.G }, 1, 64)},
	{"lr", func(s *Settings) string { return fmtFloat(float64(s.LR)) }, func(s *Settings, v string) error {
		f, err := parseFloat(v, 1e-6, 0.1)
		s.LR = float32(f)
		return err
	}},
	{"teacher", func(s *Settings) string { return string(s.Teacher) }, func(s *Settings, v string) error {
		switch t := distill.TeacherMode(v); t {
		case distill.Frozen, distill.EMA, distill.Live:
			s.Teacher = t
			return nil
		}
		return fmt.Errorf("unknown teacher %q (want frozen, ema or live)", v)
	}},
	{"sft", func(s *Settings) string { return strconv.Itoa(s.SFTEpochs) }, intProp(func(s *Settings) *int { return &s.SFTEpochs }, 0, 20)},
	{"self", func(s *Settings) string { return fmtBool(s.SelfData) }, boolProp(func(s *Settings) *bool { return &s.SelfData })},
	{"c", func(s *Settings) string { return s.Constitution }, func(s *Settings, v string) error {
		if len(v) > 600 {
			return fmt.Errorf("constitution of %d characters; at most 600", len(v))
		}
		s.Constitution = v
		return nil
	}},
	{"speed", func(s *Settings) string { return strconv.FormatFloat(s.Speed, 'g', -1, 64) }, func(s *Settings, v string) (err error) {
		s.Speed, err = parseFloat(v, 0, 1000)
		return err
	}},
	{"stop", func(s *Settings) string { return strconv.Itoa(s.StopAt) }, intProp(func(s *Settings) *int { return &s.StopAt }, 0, MaxSteps)},
	{"hide", func(s *Settings) string { return strings.Join(s.Hide, ",") }, func(s *Settings, v string) error {
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
	}},
	{"guide", func(s *Settings) string { return fmtBool(s.Guide) }, boolProp(func(s *Settings) *bool { return &s.Guide })},
	{"class", func(s *Settings) string { return s.Class }, func(s *Settings, v string) error {
		c := NormalizeClass(v)
		if err := CheckClass(c); err != nil {
			return err
		}
		s.Class = c
		return nil
	}},
}

// MaxSteps bounds a run's length in the browser.
const MaxSteps = 2000

// Hash is the settings as a URL fragment (without "#"). Every run setting is
// written, defaults included, so that a link replays the same run even if a
// later version changes a default; the classroom keys only when set.
func (s Settings) Hash() string {
	q := []string{"v=" + strconv.Itoa(URLVersion)}
	for _, p := range props {
		v := p.get(&s)
		if ((p.key == "hide" || p.key == "class") && v == "") || (p.key == "guide" && v == "0") {
			continue
		}
		q = append(q, p.key+"="+url.QueryEscape(v))
	}
	return strings.Join(q, "&")
}

// ParseHash reads settings from a URL fragment (with or without "#"),
// starting from base for keys the link leaves out. It returns an error, and
// no settings, for a fragment that is not this lab's (no "v" key), from a
// newer format, with an unknown key or a bad value, or whose run is invalid.
func ParseHash(h string, base Settings) (Settings, error) {
	h = strings.TrimPrefix(h, "#")
	q, err := url.ParseQuery(h)
	if err != nil {
		return base, fmt.Errorf("the link's settings cannot be read: %v", err)
	}
	v := q.Get("v")
	switch {
	case v == "":
		return base, fmt.Errorf("the link's #%s is not COPSD Lab settings (they start with v=%d)", clip(h, 40), URLVersion)
	case v != strconv.Itoa(URLVersion):
		return base, fmt.Errorf("the link's settings are format v=%s; this lab reads v=%d", clip(v, 10), URLVersion)
	}
	s := base
	if r := q.Get("recipe"); r != "" && r != s.Recipe {
		// A link that names another recipe starts from that recipe's knobs.
		s.Constitution = ""
		if err := s.ApplyRecipe(r); err != nil {
			return base, fmt.Errorf("the link's recipe: %v", err)
		}
	}
	known := map[string]bool{"v": true}
	for _, p := range props {
		known[p.key] = true
		vals, ok := q[p.key]
		if !ok {
			continue
		}
		if len(vals) != 1 {
			return base, fmt.Errorf("the link gives %q %d times", p.key, len(vals))
		}
		if err := p.set(&s, vals[0]); err != nil {
			return base, fmt.Errorf("the link's %s: %v", p.key, err)
		}
	}
	for k := range q {
		if !known[k] {
			return base, fmt.Errorf("the link has an unknown setting %q", clip(k, 20))
		}
	}
	if _, err := s.Config(); err != nil {
		return base, fmt.Errorf("the link's run is invalid: %v", err)
	}
	return s, nil
}

func intProp(f func(*Settings) *int, lo, hi int) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q: want a whole number from %d to %d", clip(v, 12), lo, hi)
		}
		*f(s) = n
		return nil
	}
}

func boolProp(f func(*Settings) *bool) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		switch v {
		case "0", "false":
			*f(s) = false
		case "1", "true":
			*f(s) = true
		default:
			return fmt.Errorf("%q: want 0 or 1", clip(v, 12))
		}
		return nil
	}
}

func parseFloat(v string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) {
		return 0, fmt.Errorf("%q: want a number from %g to %g", clip(v, 12), lo, hi)
	}
	return f, nil
}

// fmtFloat writes a float32 knob as the shortest text that reads back to
// the same float32.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 32) }

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
