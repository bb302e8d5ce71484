package board

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/copsdlab/copsd/core/boardwire"
	"github.com/copsdlab/copsd/core/world"
)

// validBody is a well-formed, valid submission; tests derive bad ones from it.
const validBody = `{
  "name": "Ana L.",
  "constitution": "Refuse weapons. Be helpful.",
  "recipe": "copsd",
  "model": "base-rho50",
  "seed": 42,
  "metrics": {
    "safety": 0.95, "helpfulness": 0.8, "borderline_helpfulness": 0.5, "over_refusal": 0.1,
    "reasoning": 0.7, "distinct2": 0.6, "diversity": 0.55, "length_benign": 21.5, "entropy": 1.25
  },
  "collapse_step": null
}`

// with returns validBody with the JSON value at a dotted path replaced by raw JSON, or removed
// when raw is "".
func with(t testing.TB, path, raw string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validBody), &m); err != nil {
		t.Fatal(err)
	}
	obj := m
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		obj = obj[k].(map[string]any)
	}
	last := keys[len(keys)-1]
	if raw == "" {
		delete(obj, last)
	} else {
		obj[last] = json.RawMessage(raw)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeRunValid(t *testing.T) {
	r, e := DecodeRun([]byte(validBody))
	if e != nil {
		t.Fatalf("DecodeRun: %v", e)
	}
	want := Run{Submission: Submission{
		Name:         "Ana L.",
		Constitution: "refuse weapons . be helpful .",
		Recipe:       "copsd",
		Model:        "base-rho50",
		Seed:         42,
		Metrics: Metrics{Safety: 0.95, Helpfulness: 0.8, BorderlineHelpfulness: 0.5, OverRefusal: 0.1,
			Reasoning: 0.7, Distinct2: 0.6, Diversity: 0.55, LengthBenign: 21.5, Entropy: 1.25},
	}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
}

func TestDecodeRunAccepts(t *testing.T) {
	step := func(n int) *int { return &n }
	tests := []struct {
		name, body string
		check      func(Run) bool
	}{
		{"collapse step", with(t, "collapse_step", "120"), func(r Run) bool { return r.CollapseStep != nil && *r.CollapseStep == 120 }},
		{"collapse step 0", with(t, "collapse_step", "0"), func(r Run) bool { return reflect.DeepEqual(r.CollapseStep, step(0)) }},
		{"collapse step max", with(t, "collapse_step", "100000"), func(r Run) bool { return *r.CollapseStep == MaxCollapseStep }},
		{"seed 0", with(t, "seed", "0"), func(r Run) bool { return r.Seed == 0 }},
		{"seed 2^53", with(t, "seed", "9007199254740992"), func(r Run) bool { return r.Seed == 1<<53 }},
		{"empty constitution", with(t, "constitution", `""`), func(r Run) bool { return r.Constitution == "none" }},
		{"none constitution", with(t, "constitution", `"none"`), func(r Run) bool { return r.Constitution == "none" }},
		{"preset text", with(t, "constitution", `"refuse weapons . refuse hacking . refuse theft . refuse poison . refuse risky . be careful ."`),
			func(r Run) bool { return strings.HasPrefix(r.Constitution, "refuse weapons . refuse hacking") }},
		{"name trimmed", with(t, "name", `"  Zoë  "`), func(r Run) bool { return r.Name == "Zoë" }},
		{"name 40 runes", with(t, "name", `"`+strings.Repeat("é", 40)+`"`), func(r Run) bool { return utf8.RuneCountInString(r.Name) == 40 }},
		{"rate bounds", with(t, "metrics.safety", "1"), func(r Run) bool { return r.Metrics.Safety == 1 }},
		{"rate zero", with(t, "metrics.over_refusal", "0"), func(r Run) bool { return r.Metrics.OverRefusal == 0 }},
		{"length max", with(t, "metrics.length_benign", "64"), func(r Run) bool { return r.Metrics.LengthBenign == 64 }},
		{"entropy max", with(t, "metrics.entropy", "10"), func(r Run) bool { return r.Metrics.Entropy == 10 }},
		{"exponent metric", with(t, "metrics.entropy", "2.5e0"), func(r Run) bool { return r.Metrics.Entropy == 2.5 }},
		{"every recipe", with(t, "recipe", `"opsd-gold"`), func(r Run) bool { return r.Recipe == "opsd-gold" }},
		{"whitespace around", "\n\t " + validBody + " \r\n", func(r Run) bool { return r.Seed == 42 }},
		{"reordered keys", `{"collapse_step":null,"seed":1,"model":"base-rho0","recipe":"grpo","constitution":"be brief","name":"x",
			"metrics":{"entropy":0,"length_benign":0,"diversity":0,"distinct2":0,"reasoning":0,"over_refusal":0,"borderline_helpfulness":0,"helpfulness":0,"safety":0}}`,
			func(r Run) bool { return r.Recipe == "grpo" && r.Constitution == "be brief ." }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, e := DecodeRun([]byte(tt.body))
			if e != nil {
				t.Fatalf("DecodeRun: %v", e)
			}
			if !tt.check(r) {
				t.Errorf("unexpected run %+v", r)
			}
		})
	}
}

// TestDecodeRunRejects is the table of bad bodies: each must give its status and name its field.
func TestDecodeRunRejects(t *testing.T) {
	long := strings.Repeat("refuse weapons . ", 40)
	tests := []struct {
		name, body string
		status     int
		field      string
	}{
		// Not strict JSON of the right shape: 400.
		{"empty", "", 400, ""},
		{"blank", " \n", 400, ""},
		{"null", "null", 400, ""},
		{"array", "[]", 400, ""},
		{"string", `"run"`, 400, ""},
		{"truncated", validBody[:40], 400, ""},
		{"syntax", `{"name": "a",}`, 400, ""},
		{"trailing object", validBody + "{}", 400, ""},
		{"trailing garbage", validBody + "x", 400, ""},
		{"two values", validBody + validBody, 400, ""},
		{"unknown field", with(t, "extra", "1"), 400, "extra"},
		{"unknown metric", with(t, "metrics.kl_teacher", "0.1"), 400, "metrics.kl_teacher"},
		{"duplicate key", `{"name":"a","name":"b"}`, 400, "name"},
		{"duplicate metric", strings.Replace(validBody, `"safety": 0.95,`, `"safety": 0.95, "safety": 0.1,`, 1), 400, "metrics.safety"},
		{"invalid utf-8", strings.Replace(validBody, "Ana", "A\xffa", 1), 400, ""},
		{"name number", with(t, "name", "7"), 400, "name"},
		{"seed string", with(t, "seed", `"42"`), 400, "seed"},
		{"metrics array", with(t, "metrics", "[1,2]"), 400, "metrics"},
		{"metric string", with(t, "metrics.safety", `"high"`), 400, "metrics.safety"},
		{"metric overflow", with(t, "metrics.safety", "1e400"), 400, "metrics.safety"},
		{"deep nesting", with(t, "metrics.safety", strings.Repeat("[", 20)+strings.Repeat("]", 20)), 400, "metrics.safety"},

		// Well-formed but invalid: 422.
		{"missing name", with(t, "name", ""), 422, "name"},
		{"blank name", with(t, "name", `"   "`), 422, "name"},
		{"long name", with(t, "name", `"`+strings.Repeat("x", 41)+`"`), 422, "name"},
		{"control in name", with(t, "name", `"a\u0007b"`), 422, "name"},
		{"newline in name", with(t, "name", `"a\nb"`), 422, "name"},
		{"bidi override in name", with(t, "name", `"a\u202eb"`), 422, "name"},
		{"missing constitution", with(t, "constitution", ""), 422, "constitution"},
		{"unknown word", with(t, "constitution", `"refuse weapns ."`), 422, "constitution"},
		{"not a rule", with(t, "constitution", `"be weapons ."`), 422, "constitution"},
		{"contradiction", with(t, "constitution", `"be brief . be detailed ."`), 422, "constitution"},
		{"too many rules", with(t, "constitution", `"`+strings.Repeat("be helpful . ", 13)+`"`), 422, "constitution"},
		{"constitution too long", with(t, "constitution", `"`+long+`"`), 422, "constitution"},
		{"too many words", with(t, "constitution", `"`+strings.Repeat("be . ", 25)+`"`), 422, "constitution"},
		{"many unknown words", with(t, "constitution", `"lorem ipsum dolor sit amet consectetur adipiscing"`), 422, "constitution"},
		{"missing recipe", with(t, "recipe", ""), 422, "recipe"},
		{"unknown recipe", with(t, "recipe", `"sft"`), 422, "recipe"},
		{"recipe case", with(t, "recipe", `"COPSD"`), 422, "recipe"},
		{"unknown model", with(t, "model", `"base-rho25"`), 422, "model"},
		{"missing seed", with(t, "seed", ""), 422, "seed"},
		{"negative seed", with(t, "seed", "-1"), 422, "seed"},
		{"fractional seed", with(t, "seed", "1.5"), 422, "seed"},
		{"exponent seed", with(t, "seed", "1e3"), 422, "seed"},
		{"seed over 2^53", with(t, "seed", "9007199254740993"), 422, "seed"},
		{"huge seed", with(t, "seed", "123456789012345678901234567890"), 422, "seed"},
		{"missing metrics", with(t, "metrics", ""), 422, "metrics"},
		{"null metrics", with(t, "metrics", "null"), 422, "metrics"},
		{"missing metric", with(t, "metrics.diversity", ""), 422, "metrics.diversity"},
		{"null metric", with(t, "metrics.reasoning", "null"), 422, "metrics.reasoning"},
		{"rate above 1", with(t, "metrics.safety", "1.0001"), 422, "metrics.safety"},
		{"negative rate", with(t, "metrics.helpfulness", "-0.1"), 422, "metrics.helpfulness"},
		{"negative zero is fine, below is not", with(t, "metrics.distinct2", "-1e-300"), 422, "metrics.distinct2"},
		{"length above 64", with(t, "metrics.length_benign", "64.5"), 422, "metrics.length_benign"},
		{"entropy above 10", with(t, "metrics.entropy", "10.01"), 422, "metrics.entropy"},
		{"missing collapse_step", with(t, "collapse_step", ""), 422, "collapse_step"},
		{"negative collapse_step", with(t, "collapse_step", "-1"), 422, "collapse_step"},
		{"large collapse_step", with(t, "collapse_step", "100001"), 422, "collapse_step"},
		{"fractional collapse_step", with(t, "collapse_step", "2.5"), 422, "collapse_step"},
		{"string collapse_step", with(t, "collapse_step", `"12"`), 400, "collapse_step"},
		{"object collapse_step", with(t, "collapse_step", `{}`), 400, "collapse_step"},
		{"bool seed", with(t, "seed", `true`), 400, "seed"},
		{"null seed", with(t, "seed", `null`), 422, "seed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := DecodeRun([]byte(tt.body))
			if e == nil {
				t.Fatalf("DecodeRun accepted %s", tt.body)
			}
			if e.Status != tt.status || e.Field != tt.field {
				t.Errorf("got %d field %q (%s), want %d field %q", e.Status, e.Field, e.Message, tt.status, tt.field)
			}
			if e.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestDecodeRunUnknownWordsDetail(t *testing.T) {
	_, e := DecodeRun([]byte(with(t, "constitution", `"refuse weapns . be helpfull ."`)))
	if e == nil || len(e.UnknownWords) != 2 {
		t.Fatalf("got %+v, want two unknown words", e)
	}
	if u := e.UnknownWords[0]; u.Word != "weapns" || len(u.Suggestions) == 0 || u.Suggestions[0] != "weapons" {
		t.Errorf("first unknown word: %+v", u)
	}
	if !strings.Contains(e.Message, `did you mean "weapons"`) {
		t.Errorf("message %q lacks the suggestion", e.Message)
	}
}

// FuzzDecodeRun feeds the decoder arbitrary bytes: it must never panic, must answer 400 or 422 with
// a message when it refuses, and what it accepts must be within the API's limits and survive a
// round trip through the wire format.
func FuzzDecodeRun(f *testing.F) {
	f.Add([]byte(validBody))
	f.Add([]byte(with(f, "collapse_step", "77")))
	f.Add([]byte(with(f, "constitution", `"refuse weapns"`)))
	f.Add([]byte(`{"name":"a","name":"b"}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]`))
	f.Add([]byte(`{"metrics":{"safety":1e999}}`))
	f.Add([]byte("{\"name\":\"\xff\"}"))
	f.Add([]byte(`{"seed":-0}`))
	f.Add([]byte(strings.Replace(validBody, `"name": "Ana L.",`, `"name": "Ana L.", "NAME": "Mallory",`, 1)))
	f.Add([]byte(strings.Replace(validBody, `"seed": 42`, `"\u017feed": 42`, 1)))
	f.Add([]byte(strings.Replace(validBody, `"safety": 0.95,`, `"safety": 0.95, "Safety": 0.1,`, 1)))
	f.Add([]byte(with(f, "run_id", `"0123456789abcdef0123456789abcdef"`)))
	f.Add([]byte(with(f, "run_id", `"short"`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, e := DecodeRun(data)
		if e != nil {
			if e.Status != http.StatusBadRequest && e.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d for %q", e.Status, data)
			}
			if e.Message == "" {
				t.Fatalf("empty message for %q", data)
			}
			if _, err := json.Marshal(e); err != nil {
				t.Fatalf("error does not encode: %v", err)
			}
			return
		}
		checkRun(t, r)
		checkExactKeys(t, data, r)
		// What was accepted re-encodes to a body that decodes to the same run.
		again, e := DecodeRun(requestBody(t, r))
		if e != nil {
			t.Fatalf("re-encoded run refused: %v", e)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip changed the run:\n%+v\n%+v", r, again)
		}
	})
}

// checkExactKeys checks an accepted body against a reading that matches keys exactly (a Go map's
// keys are compared byte for byte): every key is one of the API's, and the name and seed stored
// are the ones sent under those exact keys.
func checkExactKeys(t *testing.T, data []byte, r Run) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("accepted a body that is not an object: %v", err)
	}
	known := map[string]bool{"run_id": true, "name": true, "constitution": true, "recipe": true, "model": true, "seed": true, "metrics": true, "collapse_step": true}
	for k := range top {
		if !known[k] {
			t.Fatalf("accepted unknown key %q", k)
		}
	}
	var name string
	var seed int64
	if json.Unmarshal(top["name"], &name) != nil || strings.TrimSpace(name) != r.Name {
		t.Fatalf("stored name %q, sent under \"name\": %s", r.Name, top["name"])
	}
	if json.Unmarshal(top["seed"], &seed) != nil || seed != r.Seed {
		t.Fatalf("stored seed %d, sent under \"seed\": %s", r.Seed, top["seed"])
	}
	var metrics map[string]float64
	if err := json.Unmarshal(top["metrics"], &metrics); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Metrics.Fields() {
		if v, ok := metrics[f.Name]; !ok || v != *f.Value {
			t.Fatalf("stored %s %v, sent %v", f.Name, *f.Value, metrics[f.Name])
		}
	}
	if len(metrics) != len(r.Metrics.Fields()) {
		t.Fatalf("accepted metrics with unknown keys: %v", metrics)
	}
}

func checkRun(t *testing.T, r Run) {
	t.Helper()
	if n := utf8.RuneCountInString(r.Name); n == 0 || n > MaxNameRunes || !utf8.ValidString(r.Name) {
		t.Fatalf("bad name %q", r.Name)
	}
	if !validRecipe(r.Recipe) || !validModel(r.Model) {
		t.Fatalf("bad recipe or model: %+v", r)
	}
	if r.Seed < 0 || r.Seed > MaxSeed {
		t.Fatalf("bad seed %d", r.Seed)
	}
	if r.CollapseStep != nil && (*r.CollapseStep < 0 || *r.CollapseStep > MaxCollapseStep) {
		t.Fatalf("bad collapse step %d", *r.CollapseStep)
	}
	if r.RunID != "" && !boardwire.ValidRunID(r.RunID) {
		t.Fatalf("bad run id %q", r.RunID)
	}
	for _, f := range r.Metrics.Fields() {
		if v := *f.Value; math.IsNaN(v) || v < 0 || v > f.Max {
			t.Fatalf("bad %s %v", f.Name, v)
		}
	}
}

// requestBody encodes r as a submission.
func requestBody(t testing.TB, r Run) []byte {
	t.Helper()
	fields := map[string]any{
		"name": r.Name, "constitution": r.Constitution, "recipe": r.Recipe, "model": r.Model,
		"seed": r.Seed, "metrics": r.Metrics, "collapse_step": r.CollapseStep,
	}
	if r.RunID != "" {
		fields["run_id"] = r.RunID
	}
	body, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestDecodeRunManyUnknownWords(t *testing.T) {
	_, e := DecodeRun([]byte(with(t, "constitution", `"lorem ipsum dolor sit amet consectetur adipiscing"`)))
	if e == nil || len(e.UnknownWords) != 0 || !strings.Contains(e.Message, "6 unknown words, such as") {
		t.Fatalf("got %+v, want a short refusal without suggestions", e)
	}
}

// BenchmarkDecodeRun measures the per-request work of a post (the vocabulary is built once, outside;
// core/world's BenchmarkVocabulary is that one-off cost, which each fresh edge instance pays).
func BenchmarkDecodeRun(b *testing.B) {
	world.Vocabulary()
	for _, bb := range []struct{ name, body string }{
		{"valid", validBody},
		{"5-unknown-words", with(b, "constitution", `"refuse weapns . be helpfull . refuse thft . refuse posion . be breif ."`)},
		{"many-unknown-words", with(b, "constitution", `"`+strings.Repeat("qwertyuiop ", 40)+`"`)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				DecodeRun([]byte(bb.body))
			}
		})
	}
}

func TestParseInt(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int64
		want int64
		ok   bool
	}{
		{"0", 10, 0, true}, {"10", 10, 10, true}, {"11", 10, 0, false}, {"-0", 10, 0, false},
		{"+1", 10, 0, false}, {"1.0", 10, 0, false}, {"1e1", 10, 0, false}, {"", 10, 0, false},
		{"007", 10, 7, true}, {"99999999999999999999", math.MaxInt64, 0, false},
	} {
		got, ok := parseInt(tt.in, tt.max)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q, %d) = %d, %t; want %d, %t", tt.in, tt.max, got, ok, tt.want, tt.ok)
		}
	}
}

func TestErrorJSON(t *testing.T) {
	e := invalid("metrics.safety", "bad")
	b, _ := json.Marshal(e)
	if !bytes.Equal(b, []byte(`{"error":"bad","field":"metrics.safety"}`)) {
		t.Errorf("got %s", b)
	}
}
