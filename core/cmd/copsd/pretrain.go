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

func runPretrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pretrain", stderr)
	var cfg pretrain.Config
	fs.Float64Var(&cfg.World.Rho, "rho", 0, "leakage knob: probability that a constitution-carrying document has an over-cautious author")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the weights and the document stream")
	fs.IntVar(&cfg.Steps, "steps", 0, "training steps (default 6000)")
	fs.IntVar(&cfg.Batch, "batch", 0, "documents per step (default 32)")
	lr := fs.Float64("lr", 0, "peak learning rate (default 3e-3)")
	fs.IntVar(&cfg.Model.Dim, "dim", 0, "model width C (default 64)")
	fs.IntVar(&cfg.Model.Layers, "layers", 0, "transformer layers (default 2)")
	fs.IntVar(&cfg.Model.Heads, "heads", 0, "attention heads (default 4)")
	out := fs.String("out", "", "checkpoint file to write (required)")
	quiet := fs.Bool("q", false, "no progress output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required: the checkpoint file to write")
	}
	if cfg.Steps < 0 || cfg.Batch < 0 {
		return errors.New("-steps and -batch must be positive")
	}
	cfg.LR = float32(*lr)
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
