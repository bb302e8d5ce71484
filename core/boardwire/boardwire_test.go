package boardwire

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidClass(t *testing.T) {
	for s, want := range map[string]bool{
		"cs1": true, "physics-2026-fall": true, "a-b": true, "---": true, "0123456789abcdef0123456789abcdef": true,
		"": false, "ab": false, "0123456789abcdef0123456789abcdef0": false, "Cs101": false, "cs 101": false,
		"cs.101": false, "cs/101": false, "cß101": false, "cs101\n": false, "cs%2d101": false,
	} {
		if got := ValidClass(s); got != want {
			t.Errorf("ValidClass(%q) = %t, want %t", s, got, want)
		}
	}
}

func TestRunIDs(t *testing.T) {
	a, b := NewRunID(), NewRunID()
	if a == b || !ValidRunID(a) || len(a) != 32 {
		t.Errorf("NewRunID: %q, %q", a, b)
	}
	for s, want := range map[string]bool{
		"3f2a9c0e-77b1-4c5e-9d1a-2b6f0c8e4a11": true, "abcdefghABCDEFGH": true, strings.Repeat("z", 64): true,
		"short": false, strings.Repeat("z", 65): false, "abcdefghABCDEFG ": false, "abcdefghABCDEFG/": false, "ſbcdefghABCDEFGH": false,
	} {
		if got := ValidRunID(s); got != want {
			t.Errorf("ValidRunID(%q) = %t, want %t", s, got, want)
		}
	}
}

func TestTimeHasMilliseconds(t *testing.T) {
	at := At(time.Date(2026, 11, 20, 9, 41, 52, 700_000_000, time.UTC))
	b, err := json.Marshal(at)
	if err != nil || string(b) != `"2026-11-20T09:41:52.700Z"` {
		t.Fatalf("%s %v", b, err)
	}
	var back Time
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(at.Time) {
		t.Fatalf("%v %v", back, err)
	}
}

func TestCheckName(t *testing.T) {
	if got, err := CheckName("  Ana L. "); err != nil || got != "Ana L." {
		t.Errorf("%q %v", got, err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("n", 41), "A\u202eB", "A\u200dB", "A\x00B"} {
		if _, err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
}

func TestMetricRanges(t *testing.T) {
	var m Metrics
	fields := m.Fields()
	if len(fields) != 9 {
		t.Fatalf("%d metrics", len(fields))
	}
	for _, f := range fields {
		for v, want := range map[float64]bool{0: true, f.Max: true, -0.001: false, f.Max + 0.001: false, math.NaN(): false, math.Inf(1): false} {
			*f.Value = v
			if f.InRange() != want {
				t.Errorf("%s = %v: InRange %t", f.Name, v, !want)
			}
		}
	}
}
