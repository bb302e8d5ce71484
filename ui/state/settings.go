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
	Divergence  distill.Objective
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
	Goal  Goal     // classroom: the exercise's goal (nil for none)

	// Workers fixes the size of the page's pool of engine Web Workers
	// (0: one per core but one, at most MaxWorkers, within the device's
	// memory; see PoolSize). It changes speed
	// only, never a number of the run; it is read once, as the page loads.
	Workers int

	// The Reproduce view (reproduce.go): View is "" for the main lab or
	// ViewReproduce; Suite "" for the quick suite, else SuiteFull or
	// SuiteCustom; SuiteSeeds the seeds it runs (0: seed 1 only); SuiteSteps
	// each run's steps (0: its recipe's; fewer make a shortened suite).
	View       string
	Suite      string
	SuiteSeeds int
	SuiteSteps int
}

// ViewReproduce is the View of the Reproduce view (#v=1&view=reproduce).
const ViewReproduce = "reproduce"

// MaxWorkers caps the pool of engine Web Workers.
const MaxWorkers = 8

// workerMemoryMB is about what one engine worker adds to the browser's
// memory while the default demo trains (Chromium: 1, 2 and 4 workers took
// 1.34, 1.57 and 1.93–1.96 GB in all, about 200 MB a worker).
const workerMemoryMB = 200

// PoolSize is how many engine Web Workers the page boots: the link's
// workers=K when it gives one; otherwise one per core but one for the page
// (two where the browser does not say how many cores, cores 0), at most
// MaxWorkers, and no more than a quarter of the device's memory holds, so
// that a laptop with many cores and little memory does not swap or lose
// the tab. deviceGB is navigator.deviceMemory, 0 where the browser does not
// say (Firefox, Safari).
func PoolSize(link, cores int, deviceGB float64) int {
	if link > 0 {
		return min(link, MaxWorkers)
	}
	n := 2
	if cores > 0 {
		n = cores - 1
	}
	if deviceGB > 0 {
		n = min(n, int(deviceGB*1024/4/workerMemoryMB))
	}
	return min(max(n, 1), MaxWorkers)
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
	s.adopt(c)
	return nil
}

// adopt sets the run's knobs from c (the constitution only when empty).
func (s *Settings) adopt(c distill.Config) {
	for _, k := range knobs {
		if k.fromRecipe != nil {
			k.fromRecipe(s, c)
		}
	}
}

// Config is the run the settings define, with the engine's defaults in
// force: JSD's beta of 0 is Config's zero value, which the engine runs as its
// default 0.5, so Config says 0.5 too (and ParseHash and the setters show
// it).
func (s Settings) Config() (distill.Config, error) {
	c, err := distill.Recipe(s.Recipe)
	if err != nil {
		return distill.Config{}, err
	}
	for _, k := range knobs {
		if k.toConfig != nil {
			k.toConfig(s, &c)
		}
	}
	if err := c.Validate(); err != nil {
		return distill.Config{}, err
	}
	return c.Defaults(), nil
}

// Hidden reports whether a classroom link hides the control.
func (s Settings) Hidden(control string) bool { return slices.Contains(s.Hide, control) }

// Hash is the settings as a URL fragment (without "#"). Every run setting is
// written, defaults included, so that a link replays the same run even if a
// later version changes a default; the classroom keys only when set.
func (s Settings) Hash() string {
	q := []string{"v=" + strconv.Itoa(URLVersion)}
	for _, k := range knobs {
		v := k.get(&s)
		if k.omit != nil && v == *k.omit {
			continue
		}
		q = append(q, k.key+"="+url.QueryEscape(v))
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
	for _, k := range knobs {
		known[k.key] = true
		vals, ok := q[k.key]
		if !ok {
			continue
		}
		if len(vals) != 1 {
			return base, fmt.Errorf("the link gives %q %d times", k.key, len(vals))
		}
		if err := k.set(&s, vals[0]); err != nil {
			return base, fmt.Errorf("the link's %s: %v", k.key, err)
		}
	}
	for k := range q {
		if !known[k] {
			return base, fmt.Errorf("the link has an unknown setting %q", clip(k, 20))
		}
	}
	c, err := s.Config()
	if err != nil {
		return base, fmt.Errorf("the link's run is invalid: %v", err)
	}
	s.adopt(c)
	return s, nil
}
