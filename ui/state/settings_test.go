package state

import (
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/distill"
)

func TestHashRoundTripsEverySetting(t *testing.T) {
	s := DefaultSettings()
	s.Model, s.Seed, s.Steps = "base-rho0", 42, 77
	s.ApplyRecipe("opsd-jsd")
	s.Beta, s.Temperature, s.G, s.LR = 0.35, 1.3, 4, 2e-3
	s.Teacher, s.SFTEpochs, s.SelfData = distill.EMA, 3, true
	s.Constitution = "refuse weapons . be careful ."
	s.Speed, s.StopAt, s.Hide, s.Guide = 2, 40, []string{"knobs", "seed"}, true
	s.Class = "cs101"
	got, err := ParseHash("#"+s.Hash(), DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != s.Hash() {
		t.Errorf("round trip:\n got %s\nwant %s", got.Hash(), s.Hash())
	}
	a, _ := s.Config()
	b, _ := got.Config()
	if a != b {
		t.Errorf("configs differ:\n%+v\n%+v", a, b)
	}
	if !strings.HasPrefix(s.Hash(), "v=1&") {
		t.Errorf("no version first: %s", s.Hash())
	}
}

func TestConfigIsTheRecipesWithTheKnobs(t *testing.T) {
	s := DefaultSettings()
	c, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := distill.Recipe("opsd-rkl")
	want.Seed = 1
	if c != want {
		t.Errorf("default config:\n got %+v\nwant %+v", c, want)
	}
	s.ApplyRecipe("copsd")
	c, _ = s.Config()
	if c.CrossSFTEpochs != 2 || !c.CrossSFTSelfData || c.Recipe != "copsd" {
		t.Errorf("copsd knobs: %+v", c)
	}
}

// A short link fills the rest from the defaults; a link naming another
// recipe starts from that recipe's knobs.
func TestShortLinks(t *testing.T) {
	s, err := ParseHash("v=1&recipe=grpo&seed=3", DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Config()
	if c.Objective != distill.Reward || c.Seed != 3 || s.Model != "base-rho50" {
		t.Errorf("short link: %+v", c)
	}
}

func TestBadLinksChangeNothing(t *testing.T) {
	base := DefaultSettings()
	base.Seed = 9
	for _, tc := range []struct{ hash, want string }{
		{"#section-2", "not COPSD Lab settings"},
		{"#v=2&seed=1", "format v=2"},
		{"#v=1&seed=-1", "seed"},
		{"#v=1&bogus=1", `unknown setting "bogus"`},
		{"#v=1&model=gpt", `unknown model "gpt"`},
		{"#v=1&recipe=magic", `unknown recipe "magic"`},
		{"#v=1&lr=7", "lr"},
		{"#v=1&hide=everything", `cannot hide "everything"`},
		{"#v=1&seed=1&seed=2", `"seed" 2 times`},
		{"#v=1&teacher=live&sft=2", "Cross-SFT teacher must be frozen or EMA"},
		{"#v=1&%zz", "cannot be read"},
	} {
		got, err := ParseHash(tc.hash, base)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.hash, err, tc.want)
		}
		if got.Hash() != base.Hash() {
			t.Errorf("%s: settings changed", tc.hash)
		}
	}
}

func TestReportCSV(t *testing.T) {
	rep := distill.Report{Train: make([]distill.TrainMetrics, 3)}
	rep.Train[1].Loss = 0.25
	rep.Steps = append(rep.Steps, rep.Initial)
	rep.Steps[0].Safety = 0.5
	csv := string(ReportCSV(&rep))
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "step,train_loss,") || !strings.HasPrefix(lines[3], "2,0.25,") {
		t.Fatalf("csv:\n%s", csv)
	}
	if !strings.HasPrefix(lines[1], "0,,") || !strings.Contains(lines[1], ",0.5,") {
		t.Errorf("step 0 row: %s", lines[1])
	}
}

func TestDecodeReportRefusesWhatIsNotARun(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"{", "not a COPSD Lab run JSON"},
		{`{"recipe":"x","bogus":1}`, "unknown field"},
		{`{"recipe":"x"}`, "no recipe or config"},
		{`{"recipe":"x","config":{"steps":3}}`, "no evaluations"},
		{`{"recipe":"x","config":{"steps":3},"steps":[{"step":5},{"step":2}]}`, "out of order"},
		{`{"recipe":"x","config":{"steps":1},"steps":[{"step":0}],"train":[{},{}]}`, "2 training steps"},
		{`{"recipe":"x","config":{"steps":1},"steps":[{"step":0}]} {}`, "more than one"},
	} {
		if _, err := DecodeReport([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// The pool is one worker per core but one for the page, at most
// MaxWorkers, and no larger than a quarter of the device's memory holds; a
// link's workers=K fixes it.
func TestPoolSizeFollowsCoresAndMemory(t *testing.T) {
	for _, c := range []struct {
		link, cores int
		gb          float64
		want        int
	}{
		{0, 2, 0, 1}, {0, 0, 0, 2}, {0, 4, 0, 3}, {0, 16, 0, MaxWorkers}, {0, 8, 8, 7},
		{0, 8, 4, 5}, {0, 8, 2, 2}, {0, 8, 1, 1}, {0, 8, 0.5, 1}, {0, 1, 0, 1},
		{3, 2, 0.5, 3}, {12, 2, 0, MaxWorkers},
	} {
		if got := PoolSize(c.link, c.cores, c.gb); got != c.want {
			t.Errorf("workers=%d in the link, %d cores, %v GB: a pool of %d, want %d", c.link, c.cores, c.gb, got, c.want)
		}
	}
}
