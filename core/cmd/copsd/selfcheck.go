package main

import (
	"fmt"
	"io"
	"math"

	"github.com/copsdlab/copsd/core/model"
	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/world"
)

// runSelfcheck trains the default base configuration for a few steps and
// prints the exact loss trace and a hash of the weights. `make samebits` runs
// it natively and as wasm under Node and compares the outputs byte for byte.
func runSelfcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("selfcheck", stderr)
	steps := intFlag(fs, "steps", pretrain.TraceLen, 1, 1000, "training steps")
	if err := parse(fs, args); err != nil {
		return err
	}
	t, err := pretrain.New(pretrain.Config{Seed: 1, World: world.Config{Rho: 0.5}})
	if err != nil {
		return err
	}
	losses := make([]string, 0, *steps)
	for range *steps {
		losses = append(losses, fmt.Sprintf("%08x", math.Float32bits(float32(t.Step().Loss))))
	}
	return writeJSON(stdout, map[string]any{"steps": *steps, "loss_bits": losses, "params_fnv64a": fmt.Sprintf("%016x", model.HashFloats(t.Model.Params()))})
}
