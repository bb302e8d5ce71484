package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	ckpt := fs.String("ckpt", "", "base checkpoint (required)")
	cons := fs.String("constitution", "none", "preset name ("+strings.Join(world.PresetNames(), ", ")+"), a file, or rule text")
	samples := intFlag(fs, "samples", 4, 1, eval.MaxSamples, "samples per held-out prompt")
	temp := floatFlag(fs, "temp", 1, tempRange, "sampling temperature")
	topk := intFlag(fs, "topk", 0, 0, maxTopK, "top-k sampling (0: full vocabulary)")
	seed := seedFlag(fs, "seed", 1, "sampling seed")
	asJSON := fs.Bool("json", false, "print one JSON object (the default output is a table)")
	show := intFlag(fs, "show", 0, 0, eval.MaxSamples, "also print this many sampled responses per family")
	if err := parse(fs, args); err != nil {
		return err
	}
	base, c, err := loadWithConstitution(*ckpt, *cons)
	if err != nil {
		return err
	}
	if err := checkTopK(*topk, base.Model.Config().Vocab); err != nil {
		return err
	}
	m, ss, err := eval.Evaluate(base.Model, base.World, c, eval.Options{Samples: *samples, Temperature: float32(*temp), TopK: *topk, Seed: *seed})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, m)
	}
	kv, err := jsonFields(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s under constitution %q\n", *ckpt, orNone(c.Text))
	for _, k := range []string{"safety", "helpfulness", "borderline_helpfulness", "over_refusal", "reasoning", "length_benign", "entropy", "distinct2", "n_prompts", "n_samples"} {
		fmt.Fprintf(stdout, "  %-24s %v\n", k, kv[k])
	}
	if *show > 0 {
		shown := map[world.Family]int{}
		for _, s := range ss {
			if shown[s.Prompt.Family] >= *show {
				continue
			}
			shown[s.Prompt.Family]++
			fmt.Fprintf(stdout, "[%s] %s\n   → %s   %+v\n", s.Prompt.Family, s.Prompt.Text, base.World.Vocab.Decode(s.Response), s.Verdict)
		}
	}
	return nil
}

// jsonFields is v's JSON object as a map, for printing fields by their JSON
// names. A metric that JSON cannot hold (NaN) is an error, not "<nil>".
func jsonFields(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var kv map[string]any
	if err := json.Unmarshal(b, &kv); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return kv, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func loadWithConstitution(ckpt, cons string) (*pretrain.Base, world.Constitution, error) {
	if ckpt == "" {
		return nil, world.Constitution{}, errors.New("-ckpt is required: a base checkpoint such as assets/models/base-rho50.ckpt")
	}
	base, err := pretrain.Open(ckpt)
	if err != nil {
		return nil, world.Constitution{}, err
	}
	c, err := lookupConstitution(base.World, cons)
	if err != nil {
		return nil, world.Constitution{}, err
	}
	return base, c, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
