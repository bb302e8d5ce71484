package main

import (
	"io"

	"github.com/copsdlab/copsd/core/world"
)

func runWorld(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("world", stderr)
	rho := floatFlag(fs, "rho", 0, floatRange{lo: 0, hi: 1}, "leakage knob")
	if err := parse(fs, args); err != nil {
		return err
	}
	w, err := world.New(world.Config{Rho: *rho})
	if err != nil {
		return err
	}
	counts := map[string]map[string]int{}
	for f := world.Family(0); f < world.NumFamilies; f++ {
		counts[f.String()] = map[string]int{"train": len(w.TrainByFamily(f)), "eval": len(w.EvalByFamily(f))}
	}
	return writeJSON(stdout, map[string]any{
		"version": world.Version, "config": w.Cfg, "vocab_size": w.Vocab.Size(),
		"presets": world.Presets, "prompts": counts, "vocab": w.Vocab.Words(),
	})
}
