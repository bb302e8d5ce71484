package distill

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
)

// A step whose loss or divergence is not finite is reported (with a
// Warning), not hidden, but JSON has no NaN or Inf: encoding/json refuses
// them, and one such step used to make the whole run report, and the lab's
// step event, unwritable ("json: unsupported value: NaN"). Non-finite
// training metrics are written as null, which reads back as 0; the step's
// warning says what happened.

// MarshalJSON writes t with every non-finite number as null.
func (t TrainMetrics) MarshalJSON() ([]byte, error) {
	type plain TrainMetrics // without this method
	p := plain(t)
	bad := zeroNonFinite(reflect.ValueOf(&p).Elem())
	if len(bad) == 0 {
		return json.Marshal(p)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, name := range bad {
		m[name] = json.RawMessage("null")
	}
	return json.Marshal(m) // map keys sorted: the same fields, another order
}

// zeroNonFinite sets the non-finite float fields of struct v to 0 and
// returns their JSON names.
func zeroNonFinite(v reflect.Value) []string {
	var bad []string
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Float64 && f.Kind() != reflect.Float32 {
			continue
		}
		if x := f.Float(); math.IsNaN(x) || math.IsInf(x, 0) {
			f.SetFloat(0)
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			bad = append(bad, name)
		}
	}
	return bad
}
