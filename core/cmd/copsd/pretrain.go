package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/copsdlab/copsd/core/pretrain"
)

// maxPretrainSteps bounds -steps: the shipped models take 6000.
const maxPretrainSteps = 1000000

func runPretrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pretrain", stderr)
	var cfg pretrain.Config
	rho := floatFlag(fs, "rho", 0, floatRange{lo: 0, hi: 1}, "leakage knob: probability that a constitution-carrying document has an over-cautious author")
	seed := seedFlag(fs, "seed", 1, "seed of the weights and the document stream")
	steps := intFlag(fs, "steps", 6000, 1, maxPretrainSteps, "training steps")
	batch := intFlag(fs, "batch", 32, 1, 1024, "documents per step")
	lr := floatFlag(fs, "lr", 3e-3, floatRange{lo: 0, hi: 1, openLo: true, openHi: true}, "peak learning rate")
	dim := intFlag(fs, "dim", 64, 1, 1024, "model width C")
	layers := intFlag(fs, "layers", 2, 1, 32, "transformer layers")
	heads := intFlag(fs, "heads", 4, 1, 64, "attention heads (must divide -dim)")
	out := fs.String("out", "", "checkpoint file to write (required)")
	quiet := fs.Bool("q", false, "no progress output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required: the checkpoint file to write")
	}
	if *dim%*heads != 0 {
		return usageError{fmt.Sprintf("-dim %d is not a multiple of -heads %d", *dim, *heads)}
	}
	cfg.World.Rho, cfg.Seed, cfg.Steps, cfg.Batch, cfg.LR = *rho, *seed, *steps, *batch, float32(*lr)
	cfg.Model.Dim, cfg.Model.Layers, cfg.Model.Heads = *dim, *layers, *heads
	if err := checkOutput("out", *out); err != nil {
		return err
	}
	t, err := pretrain.New(cfg)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !*quiet {
		bar = progressbar.NewOptions(t.Cfg.Steps,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(fmt.Sprintf("pretrain rho=%g seed=%d", t.Cfg.World.Rho, t.Cfg.Seed)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	var p pretrain.Progress
	for !t.Done() {
		p = t.Step()
		if bar != nil {
			bar.Describe(fmt.Sprintf("pretrain rho=%g loss %.3f %.0f tok/s", t.Cfg.World.Rho, p.Loss, p.TokensPerSec))
			bar.Add(1)
		}
	}
	if err := t.Save(*out); err != nil {
		return err
	}
	meta := t.Meta()
	return writeJSON(stdout, map[string]any{
		"out": *out, "steps": p.Step, "final_loss": meta.FinalLoss,
		"seconds": time.Since(start).Seconds(), "tokens_per_sec": p.TokensPerSec,
		"params": t.Model.NumParams(), "config": t.Cfg,
	})
}
