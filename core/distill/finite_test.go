package distill

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestReportWithNonFiniteStepIsWritable: one step with a NaN loss made the
// run report unwritable ("json: unsupported value: NaN") after the whole run.
func TestReportWithNonFiniteStepIsWritable(t *testing.T) {
	var r Report
	r.AddStep(TrainMetrics{Loss: 1, Divergence: 0.5, Length: 3}, "")
	r.AddStep(TrainMetrics{Loss: math.NaN(), Divergence: math.Inf(1), Length: 4}, "non-finite loss")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"loss":null`) || !strings.Contains(string(b), `"divergence":null`) || !strings.Contains(string(b), `"length":4`) {
		t.Errorf("report %s", b)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Train[1].Length != 4 || back.Train[0] != r.Train[0] {
		t.Errorf("read back %+v, %v", back.Train, err)
	}
	// A finite step is written as before, field for field.
	type plain TrainMetrics
	want, _ := json.Marshal(plain(r.Train[0]))
	if got, _ := json.Marshal(r.Train[0]); string(got) != string(want) {
		t.Errorf("finite step %s, want %s", got, want)
	}
}
