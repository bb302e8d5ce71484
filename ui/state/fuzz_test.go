package state

import (
	"github.com/copsdlab/copsd/core/report"
	"reflect"
	"testing"
)

// A link's fragment is foreign input: any fragment gives settings or an
// error, never a panic, and accepted settings survive a round trip through
// Hash.
func FuzzParseHash(f *testing.F) {
	def := DefaultSettings()
	f.Add(def.Hash())
	for _, s := range []string{"", "#", "#v=1", "#v=2&seed=1", "#v=1&seed=-1", "#v=1&recipe=copsd&sft=9", "#v=1&c=refuse%20dragons",
		"#v=1&hide=model,board&guide=1&class=cs101", "#v=1&goal=safety>=0.9,over_refusal<=0.05", "#v=1&goal=safety%3E%3D1e-1", "#v=1&lr=1e309", "#v=1&steps=0", "#v=1&seed=1&seed=2", "#v=1&%zz", "#foo=bar",
		"#v=1&temp=NaN", "#v=1&beta=0.5&teacher=live", "#v=1&c=" + string([]byte{0xff, 0x00})} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		s, err := ParseHash(h, def)
		if err != nil {
			if !reflect.DeepEqual(s, def) {
				t.Fatalf("%q: rejected (%v) but the settings changed", h, err)
			}
			return
		}
		again, err := ParseHash(s.Hash(), def)
		if err != nil {
			t.Fatalf("%q: accepted, but its own link %q is not: %v", h, s.Hash(), err)
		}
		if again.Hash() != s.Hash() {
			t.Fatalf("%q: link %q reads back as %q", h, s.Hash(), again.Hash())
		}
	})
}

// An imported file is foreign input: anything gives a run or an error,
// never a panic.
func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(`{"recipe":"opsd-rkl","seed":1,"config":{"steps":2},"steps":[{"step":0},{"step":1}]}`))
	f.Add([]byte(`{"recipe":"x","config":{"steps":1},"steps":[{"step":1},{"step":0}]}`))
	f.Add([]byte(`{"recipe":"x","config":{"steps":1},"steps":[{"step":-5,"length_benign":1e308}],"train":[{},{}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"recipe":"x"} {"recipe":"y"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := DecodeReport(b)
		if err == nil && (rep.Recipe == "" || len(rep.Steps) == 0) {
			t.Fatalf("accepted a run without a recipe or evaluations: %q", b)
		}
	})
}

// TestImportedRunWithBOMIsRead: a run JSON saved with a UTF-8 byte order
// mark was refused with "invalid character 'ï'".
func TestImportedRunWithBOMIsRead(t *testing.T) {
	run := `{"recipe":"opsd-rkl","seed":1,"config":{"steps":2},"steps":[{"step":0},{"step":1}]}`
	rep, err := DecodeReport([]byte("\uFEFF" + run))
	if err != nil || rep.Recipe != "opsd-rkl" {
		t.Errorf("with a BOM: %+v, %v", rep.Recipe, err)
	}
}

// A goal is foreign input too: anything gives a goal or an error, never a
// panic; an accepted goal reads back as itself, and its parts are few and
// within their metrics' ranges.
func FuzzParseGoal(f *testing.F) {
	for _, s := range []string{"", "safety>=0.9", "safety>=0.95,over_refusal<=0.05,helpfulness>=0.9", "safety>0.9", "safety=>1",
		"length_benign<=64", "entropy>=1e3", "safety>=0.9,safety<=0.8", "over_refusal<=-0", ",", "safety>=.5", "safety>=NaN", "x>=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGoal(s)
		if err != nil {
			if g != nil {
				t.Fatalf("%q: rejected (%v) but gave a goal", s, err)
			}
			return
		}
		if len(g) > maxGoalParts {
			t.Fatalf("%q: %d parts", s, len(g))
		}
		for _, p := range g {
			m, ok := goalMetricNamed(p.Metric)
			if !ok || !(p.Value >= 0 && p.Value <= m.max) {
				t.Fatalf("%q: part %+v out of range", s, p)
			}
		}
		again, err := ParseGoal(g.String())
		if err != nil || !reflect.DeepEqual(again, g) {
			t.Fatalf("%q: written %q, read back %v (%v)", s, g.String(), again, err)
		}
	})
}

// An imported bundle is foreign input: any bytes give runs or an error,
// never a panic, and every run accepted is a run JSON under its own name.
func FuzzReadBundle(f *testing.F) {
	run := `{"model":"base-rho50","recipe":"opsd-rkl","seed":1,"config":{"steps":2},"steps":[{"step":0},{"step":1}]}`
	f.Add(tarOf("report.md", "# r", "runs/base-rho50-opsd-rkl-s1.json", run))
	f.Add(tarOf("runs/base-rho50-opsd-rkl-s2.json", run))
	f.Add(tarOf("runs/x.json", "{}", "../runs/.json", run))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		runs, err := ReadBundle(b)
		if err != nil {
			if runs != nil {
				t.Fatalf("refused (%v) but gave runs", err)
			}
			return
		}
		if len(runs) == 0 {
			t.Fatal("accepted a bundle without runs")
		}
		for name, data := range runs {
			rep, err := DecodeReport(data)
			if err != nil || (report.Job{Model: trimModel(rep.Model), Recipe: rep.Recipe, Seed: rep.Seed}).Name() != name {
				t.Fatalf("accepted %s: %v", name, err)
			}
		}
		var r Reproduce
		if err := r.LoadBundle(b); err != nil || len(r.Rows) != len(runs) {
			t.Fatalf("read but not loaded: %v", err)
		}
		r.Tables()
		r.Claims()
	})
}
