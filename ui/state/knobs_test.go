package state

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/lab"
)

// configField names the run config's JSON field each bounded run knob
// writes, and its Go type, so that the test can hand Validate a value the
// table refuses and find the values just beyond a bound.
var configField = map[string]struct{ name, typ string }{
	"steps": {"steps", "int"}, "beta": {"beta", "float64"}, "temp": {"temperature", "float32"},
	"g": {"g", "int"}, "lr": {"lr", "float32"}, "sft": {"cross_sft_epochs", "int"},
}

// engineRange is the bound core/distill itself puts on a knob, where the
// table narrows it for the browser.
var engineRange = map[string]distill.Range{"steps": distill.StepsRange}

// validateWith is Validate on opsd-rkl's config with one JSON field set to
// the literal v.
func validateWith(t *testing.T, field, v string) error {
	t.Helper()
	c, _ := distill.Recipe("opsd-rkl")
	b, _ := json.Marshal(c)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m[field]; !ok {
		t.Fatalf("the config has no field %q", field)
	}
	m[field] = json.RawMessage(v)
	b, _ = json.Marshal(m)
	var out distill.Config
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s = %s: %v", field, v, err)
	}
	return out.Validate()
}

// edges are the values at a range's ends and just outside them, in the
// knob's own type, written as a link writes them.
func edges(r distill.Range, typ string) (inside, outside []string) {
	switch typ {
	case "int":
		lo, hi := int(r.Lo), int(r.Hi)
		return []string{strconv.Itoa(lo), strconv.Itoa(hi)}, []string{strconv.Itoa(lo - 1), strconv.Itoa(hi + 1)}
	case "float32":
		lo, hi := float32(r.Lo), float32(r.Hi)
		f := func(x float32) string { return strconv.FormatFloat(float64(x), 'g', -1, 32) }
		return []string{f(lo), f(hi)}, []string{f(math.Nextafter32(lo, float32(math.Inf(-1)))), f(math.Nextafter32(hi, float32(math.Inf(1))))}
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return []string{f(r.Lo), f(r.Hi)}, []string{f(math.Nextafter(r.Lo, math.Inf(-1))), f(math.Nextafter(r.Hi, math.Inf(1)))}
}

// Every bounded run knob: the values at its bounds are accepted by the link
// and by Config.Validate; the values just outside are refused by both
// (steps: the browser caps a run below the engine's bound).
func TestKnobTableAgreesWithValidate(t *testing.T) {
	n := 0
	for _, k := range knobs {
		if k.rng == nil || k.toConfig == nil {
			continue
		}
		n++
		cf, ok := configField[k.key]
		if !ok {
			t.Errorf("knob %s: no config field named for it in this test", k.key)
			continue
		}
		field := cf.name
		inside, outside := edges(*k.rng, cf.typ)
		for _, v := range inside {
			if _, err := ParseHash("v=1&"+k.key+"="+v, DefaultSettings()); err != nil {
				t.Errorf("link %s=%s refused: %v", k.key, v, err)
			}
			if err := validateWith(t, field, v); err != nil {
				t.Errorf("Validate %s = %s refused: %v", field, v, err)
			}
		}
		for _, v := range outside {
			if _, err := ParseHash("v=1&"+k.key+"="+v, DefaultSettings()); err == nil || !strings.Contains(err.Error(), k.key) {
				t.Errorf("link %s=%s: %v, want it refused", k.key, v, err)
			}
			err := validateWith(t, field, v)
			if er, narrowed := engineRange[k.key]; narrowed {
				if !(er.Lo <= k.rng.Lo && k.rng.Hi <= er.Hi) {
					t.Errorf("knob %s: [%g, %g] is not within the engine's [%g, %g]", k.key, k.rng.Lo, k.rng.Hi, er.Lo, er.Hi)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("Validate %s = %s: %v, want it refused", field, v, err)
			}
		}
	}
	if n < len(configField) {
		t.Errorf("%d bounded run knobs, want %d", n, len(configField))
	}
}

// Links the lab wrote before the knob table (format v=1) replay the same
// run: each gives the config it gave then.
func TestLinksMadeBeforeReplayTheSameRun(t *testing.T) {
	recipe := func(name string, f func(*distill.Config)) distill.Config {
		c, _ := distill.Recipe(name)
		c.Seed = 1
		f(&c)
		return c
	}
	for _, tc := range []struct {
		link string
		want distill.Config
	}{
		{"v=1&model=base-rho50&recipe=opsd-rkl&seed=1&steps=120&div=rkl&beta=0&temp=1&g=8&lr=0.001&teacher=frozen&sft=0&self=0&c=refuse+weapons+.+refuse+hacking+.+refuse+theft+.+refuse+poison+.+be+helpful+.&speed=0&stop=0",
			recipe("opsd-rkl", func(*distill.Config) {})},
		{"v=1&model=base-rho50&recipe=opsd-jsd&seed=7&steps=90&div=jsd&beta=0.35&temp=1.3&g=4&lr=0.002&teacher=frozen&sft=0&self=0&c=refuse+weapons+.+refuse+hacking+.+refuse+theft+.+refuse+poison+.+be+helpful+.&speed=0&stop=0",
			recipe("opsd-jsd", func(c *distill.Config) {
				c.Seed, c.Steps, c.Beta, c.Temperature, c.G, c.LR = 7, 90, 0.35, 1.3, 4, 0.002
			})},
		{"v=1&model=base-rho0&recipe=copsd&seed=1&steps=120&div=rkl&beta=0&temp=0.05&g=8&lr=1e-06&teacher=ema&sft=3&self=0&c=refuse+weapons+.+be+brief+.&speed=0&stop=0",
			recipe("copsd", func(c *distill.Config) {
				c.Temperature, c.LR, c.Teacher, c.CrossSFTEpochs, c.CrossSFTSelfData = 0.05, 1e-6, distill.EMA, 3, false
				c.Constitution = "refuse weapons . be brief ."
			})},
		{"v=1&model=base-rho50&recipe=grpo&seed=1&steps=120&div=reward&beta=0&temp=5&g=8&lr=0.1&teacher=frozen&sft=0&self=0&c=refuse+weapons+.+refuse+hacking+.+refuse+theft+.+refuse+poison+.+be+helpful+.&speed=2&stop=30",
			recipe("grpo", func(c *distill.Config) { c.Temperature, c.LR = 5, 0.1 })},
		// The page wrote this one when a learner switched opsd-rkl to JSD:
		// beta 0 is Config's zero value, which the engine ran as 0.5.
		{"v=1&recipe=opsd-rkl&div=jsd&beta=0&seed=4",
			recipe("opsd-rkl", func(c *distill.Config) { c.Objective, c.Beta, c.Seed = distill.JSD, 0.5, 4 })},
	} {
		s, err := ParseHash(tc.link, DefaultSettings())
		if err != nil {
			t.Errorf("%s: %v", tc.link, err)
			continue
		}
		got, err := s.Config()
		if err != nil || got != tc.want {
			t.Errorf("%s:\n got %+v (%v)\nwant %+v", tc.link, got, err, tc.want)
		}
	}
}

// The page's inputs take the nearest value the knob's row allows, and the
// run then has it.
func TestSettersTakeTheRowsNearestValue(t *testing.T) {
	l, p := booted(t, "")
	l.SetG(100)
	l.SetBeta(-1)
	l.SetSteps(MaxSteps + 5)
	if s := l.Settings; s.G != 64 || s.Beta != 0 || s.Steps != MaxSteps {
		t.Errorf("G %d, beta %g, steps %d", s.G, s.Beta, s.Steps)
	}
	if c := p.last(lab.OpStart).Run.Config; c.G != 64 || c.Steps != MaxSteps {
		t.Errorf("started G %d, steps %d", c.G, c.Steps)
	}
	l.SetLR(1)
	l.SetTemperature(0)
	if s := l.Settings; s.LR != float32(distill.LRRange.Hi) || s.Temperature != float32(distill.TemperatureRange.Lo) {
		t.Errorf("lr %g, temperature %g", s.LR, s.Temperature)
	}
	// Switching to JSD from a recipe without it shows the beta that runs.
	l.SetDivergence(distill.JSD)
	if c := p.last(lab.OpStart).Run.Config; l.Settings.Beta != c.Beta || c.Beta != (distill.Config{Objective: distill.JSD}).Defaults().Beta {
		t.Errorf("jsd: settings beta %g, run beta %g", l.Settings.Beta, c.Beta)
	}
}
