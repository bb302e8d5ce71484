package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/copsdlab/copsd/core/world"
)

// lookupConstitution resolves -constitution: a preset's name, a path to a
// file holding rules, or rules text. Reading the file is the CLI's job; the
// world only ever sees names and text.
func lookupConstitution(w *world.World, arg string) (world.Constitution, error) {
	if _, ok := world.PresetNamed(arg); ok {
		return w.LookupConstitution(arg)
	}
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		if st.Size() > world.MaxConstitutionBytes {
			return world.Constitution{}, fmt.Errorf("constitution file %s is %d bytes; a constitution is at most %d", arg, st.Size(), world.MaxConstitutionBytes)
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return world.Constitution{}, err
		}
		c, err := w.ParseConstitution(string(b))
		if err != nil {
			return world.Constitution{}, fmt.Errorf("constitution file %s: %w", arg, err)
		}
		return c, nil
	}
	if !strings.ContainsAny(arg, " .") {
		// A single word is a misspelt preset or a missing file, not a rule.
		return world.Constitution{}, fmt.Errorf("unknown constitution %q: not a preset (%s) and not a file", arg, strings.Join(world.PresetNames(), ", "))
	}
	return w.ParseConstitution(arg)
}

// constitutionText resolves -constitution to the config's rule text, "none"
// for the empty constitution (Spec).
func constitutionText(w *world.World, arg string) (string, error) {
	c, err := lookupConstitution(w, arg)
	if err != nil {
		return "", fmt.Errorf("constitution: %w", err)
	}
	return c.Spec(), nil
}
