package lab

import (
	"errors"
	"fmt"

	"github.com/copsdlab/copsd/core/world"
)

// check parses a constitution against a loaded model's world (any, when
// req.Model is empty: they share a vocabulary) and locates what is wrong.
func (e *Engine) check(req Request) (Response, error) {
	w, err := e.world(req.Model)
	if err != nil {
		return Response{}, err
	}
	return Response{Check: checkConstitution(w, req.Constitution)}, nil
}

// world returns the named model's world, or any loaded one for "".
func (e *Engine) world(model string) (*world.World, error) {
	if model != "" {
		b, ok := e.bases[model]
		if !ok {
			return nil, fmt.Errorf("model %q is not loaded", model)
		}
		return b.World, nil
	}
	for _, n := range e.modelNames() {
		return e.bases[n].World, nil
	}
	return nil, errors.New("no model is loaded yet")
}

func checkConstitution(w *world.World, text string) *Check {
	c, err := w.LookupConstitution(text)
	if err != nil {
		ck := &Check{Error: err.Error()}
		var uw *world.UnknownWordsError
		var re *world.RuleError
		switch {
		case errors.As(err, &uw):
			ck.Unknown = uw.Words
		case errors.As(err, &re):
			ck.BadRule = &BadRule{Rule: re.Rule, Text: re.Text, Reason: re.Reason}
		}
		return ck
	}
	ck := &Check{OK: true, Text: c.Text, Tokens: len(w.SystemPrefix(c))}
	for _, t := range world.Split(c.Text) {
		if t == "." {
			ck.Rules++
		}
	}
	return ck
}
