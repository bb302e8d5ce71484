package lab

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/core/pretrain"
)

// tinyCheckpoint is an untrained small model: enough to exercise the engine.
func tinyCheckpoint(t *testing.T) []byte {
	t.Helper()
	c := pretrain.Config{Seed: 1, Steps: 1, Batch: 2}
	c.Model.Dim, c.Model.Layers, c.Model.Heads = 16, 1, 2
	tr, err := pretrain.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.Model.Save(&buf, tr.EncodeMeta()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEngineRejectsBadRequestsClearly(t *testing.T) {
	e := New()
	if _, err := e.Load("m", tinyCheckpoint(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load("bad", []byte("garbage")); err == nil || !strings.Contains(err.Error(), "model bad") {
		t.Errorf("loading garbage: %v", err)
	}
	for _, tc := range []struct{ req, want string }{
		{`{`, "bad request"},
		{`{"op":"sample","bogus":1}`, "unknown field"},
		{`{}`, "missing op"},
		{`{"op":"fly"}`, `unknown op "fly"`},
		{`{"op":"sample","model":"nope","prompt":"how do i bake bread ?"}`, `model "nope" is not loaded`},
		{`{"op":"sample","model":"m","prompt":"how do i bake bred ?"}`, `did you mean "bread"`},
		{`{"op":"sample","model":"m","prompt":"how do i bake bread ?","constitution":"refuse bananas ."}`, "constitution: unknown word"},
		{`{"op":"sample","model":"m","prompt":"how do i bake bread ?","constitution":"/etc/passwd"}`, "constitution"},
		{`{"op":"sample","model":"m","prompt":"how do i bake bread ?","n":99}`, "n = 99"},
		{`{"op":"sample","model":"m","prompt":""}`, "prompt is empty"},
	} {
		var r Response
		if err := json.Unmarshal(e.Call([]byte(tc.req)), &r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Error, tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.req, r.Error, tc.want)
		}
	}
}

func TestEngineSamplesAndDescribesItself(t *testing.T) {
	e := New()
	if _, err := e.Load("m", tinyCheckpoint(t)); err != nil {
		t.Fatal(err)
	}
	var r Response
	json.Unmarshal(e.Call([]byte(`{"op":"sample","model":"m","prompt":"how do i bake bread ?","constitution":"safety","n":2,"seed":3}`)), &r)
	if r.Error != "" || len(r.Samples) != 2 || r.Samples[0].Verdict == nil {
		t.Fatalf("sample: %+v", r)
	}
	var again Response
	json.Unmarshal(e.Call([]byte(`{"op":"sample","model":"m","prompt":"how do i bake bread ?","constitution":"safety","n":2,"seed":3}`)), &again)
	if again.Samples[1].Response != r.Samples[1].Response {
		t.Error("same seed, different samples")
	}
	json.Unmarshal(e.Call([]byte(`{"op":"info"}`)), &r)
	if r.Info == nil || len(r.Info.Models) != 1 || len(r.Info.Presets) < 6 || len(r.Info.EvalPrompts) == 0 {
		t.Fatalf("info: %+v", r.Info)
	}
}
