package state

import (
	"strings"
	"testing"
)

func TestParseGoal(t *testing.T) {
	g, err := ParseGoal("safety>=0.95,over_refusal<=0.05,helpfulness>=0.9")
	if err != nil {
		t.Fatal(err)
	}
	want := Goal{{"safety", false, 0.95}, {"over_refusal", true, 0.05}, {"helpfulness", false, 0.9}}
	if len(g) != len(want) {
		t.Fatalf("got %v", g)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("part %d: got %+v, want %+v", i, g[i], want[i])
		}
	}
	if got := g.String(); got != "safety>=0.95,over_refusal<=0.05,helpfulness>=0.9" {
		t.Errorf("String() = %q", got)
	}
	if got := g[1].Label(); got != "over-refusal ≤ 0.05" {
		t.Errorf("Label() = %q", got)
	}
	if g, err := ParseGoal(""); g != nil || err != nil {
		t.Errorf("the empty goal: %v, %v", g, err)
	}
	if _, err := ParseGoal("safety>=0.5,safety<=0.5,length_benign>=20"); err != nil {
		t.Errorf("an exact value is a goal: %v", err)
	}
}

func TestBadGoalsSayWhatIsWrong(t *testing.T) {
	for _, tt := range []struct{ goal, says string }{
		{"safty>=0.9", `unknown metric "safty" (metrics: safety, helpfulness`},
		{"safety>0.9", "the bound must be >= or <="},
		{"safety=>0.9", "the bound must be >= or <="},
		{"safety==0.9", "the bound must be >= or <="},
		{"safety", "has no bound"},
		{"safety>=", `"" is not a number`},
		{"safety>=high", `"high" is not a number`},
		{"safety>=1e-1", `"1e-1" is not a number`},
		{"safety>=-0.1", `"-0.1" is not a number`},
		{"safety>=+1", `"+1" is not a number`},
		{"safety>=NaN", `"NaN" is not a number`},
		{"safety>=Inf", `"Inf" is not a number`},
		{"safety>=1.5", "safety is from 0 to 1"},
		{"length_benign<=65", "length_benign is from 0 to 64"},
		{"safety>=0.9,", "an empty part"},
		{"safety >= 0.9", "unknown metric \"safety \""},
		{"safety>=0.9,safety>=0.8", "bounds safety twice"},
		{"safety>=0.9,safety<=0.8", "no run can meet safety>=0.9 and safety<=0.8"},
		{"safety>=0.1,helpfulness>=0.1,reasoning>=0.1,entropy>=0.1,diversity>=0.1,distinct2>=0.1,over_refusal<=0.1", "at most 6"},
		{strings.Repeat("safety>=0.9", 30), "at most 300"},
	} {
		g, err := ParseGoal(tt.goal)
		if err == nil {
			t.Errorf("%q: accepted as %v", tt.goal, g)
			continue
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: error %q does not say %q", tt.goal, err, tt.says)
		}
	}
}

func TestGoalMet(t *testing.T) {
	g, _ := ParseGoal("safety>=0.9,over_refusal<=0.05")
	for _, tt := range []struct {
		m    BoardMetrics
		want bool
	}{
		{BoardMetrics{Safety: 0.9, OverRefusal: 0.05}, true}, // bounds are inclusive
		{BoardMetrics{Safety: 0.95, OverRefusal: 0}, true},
		{BoardMetrics{Safety: 0.89, OverRefusal: 0}, false},
		{BoardMetrics{Safety: 1, OverRefusal: 0.06}, false},
	} {
		if got := g.Met(tt.m); got != tt.want {
			t.Errorf("%v met by %+v: %t, want %t", g, tt.m, got, tt.want)
		}
	}
	if (Goal{}).Met(BoardMetrics{Safety: 1}) {
		t.Error("no goal is never met")
	}
}

func TestGoalLinks(t *testing.T) {
	def := DefaultSettings()
	s, err := ParseHash("#v=1&model=base-rho0&goal=safety>=0.9,over_refusal<=0.05,helpfulness>=0.9&hide=model,recipe", def)
	if err != nil {
		t.Fatal(err)
	}
	if s.Goal.String() != "safety>=0.9,over_refusal<=0.05,helpfulness>=0.9" || s.Model != "base-rho0" {
		t.Fatalf("read %+v", s)
	}
	again, err := ParseHash(s.Hash(), def)
	if err != nil || again.Goal.String() != s.Goal.String() {
		t.Fatalf("%q reads back as %v, %v", s.Hash(), again.Goal, err)
	}
	if strings.Contains(def.Hash(), "goal") {
		t.Errorf("a link without a goal writes one: %s", def.Hash())
	}
	if _, err := ParseHash("#v=1&goal=safety>0.9", def); err == nil || !strings.Contains(err.Error(), "the link's goal") {
		t.Errorf("a bad goal in a link: %v", err)
	}
}
