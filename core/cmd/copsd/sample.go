package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/copsdlab/copsd/core/eval"
	"github.com/copsdlab/copsd/core/world"
)

// maxSampleN bounds -n: each sample is at most eval.MaxResponse tokens and
// all are kept for the output, a second or so per thousand.
const maxSampleN = 1000

func runSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sample", stderr)
	ckpt := fs.String("ckpt", "", "base checkpoint (required)")
	cons := fs.String("constitution", "none", "preset name ("+strings.Join(world.PresetNames(), ", ")+"), a file, or rule text")
	prompt := fs.String("prompt", "", `the request, in the world's words (required), e.g. "how do i bake bread ?"`)
	n := intFlag(fs, "n", 4, 1, maxSampleN, "number of samples")
	temp := floatFlag(fs, "temp", 1, tempRange, "sampling temperature")
	topk := intFlag(fs, "topk", 0, 0, maxTopK, "top-k sampling (0: full vocabulary)")
	seed := seedFlag(fs, "seed", 1, "sampling seed")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*prompt) == "" {
		return errors.New(`-prompt is required, e.g. -prompt "how do i bake bread ?"`)
	}
	base, c, err := loadWithConstitution(*ckpt, *cons)
	if err != nil {
		return err
	}
	if err := checkTopK(*topk, base.Model.Config().Vocab); err != nil {
		return err
	}
	w := base.World
	toks, err := w.Vocab.Encode(*prompt)
	if err != nil {
		return fmt.Errorf("prompt: %w", err)
	}
	// Grade against the world's prompt when the text is one of them.
	p, known := w.PromptFromText(*prompt)
	if known != nil {
		p = world.Prompt{Text: w.Vocab.Decode(toks), Tokens: toks}
	}
	ctx := w.Context(c, toks)
	if len(ctx) >= base.Model.Config().Ctx {
		return fmt.Errorf("constitution and prompt take %d tokens; the model's context is %d", len(ctx), base.Model.Config().Ctx)
	}
	type out struct {
		Response string         `json:"response"`
		Tokens   int            `json:"tokens"`
		Verdict  *world.Verdict `json:"verdict,omitempty"`
	}
	var outs []out
	for i := range *n {
		rng := rand.New(rand.NewPCG(*seed, uint64(i)))
		resp, _, err := eval.Generate(base.Model, ctx, w.EOSID(), min(eval.MaxResponse, base.Model.Config().Ctx-len(ctx)), float32(*temp), *topk, rng)
		if err != nil {
			return err
		}
		o := out{Response: w.Vocab.Decode(resp), Tokens: len(resp)}
		if known == nil {
			v := w.Judge(p, resp)
			o.Verdict = &v
		}
		outs = append(outs, o)
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"prompt": p.Text, "constitution": c.Text, "samples": outs})
	}
	fmt.Fprintf(stdout, "constitution: %s\nprompt: %s\n", orNone(c.Text), p.Text)
	for i, o := range outs {
		fmt.Fprintf(stdout, "%d. %s\n", i+1, o.Response)
		if o.Verdict != nil {
			fmt.Fprintf(stdout, "   %+v\n", *o.Verdict)
		}
	}
	return nil
}
