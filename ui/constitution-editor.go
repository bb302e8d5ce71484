package ui

import (
	"fmt"
	"strings"

	"github.com/copsdlab/copsd/core/world"
)

// ConstitutionEditor edits the teacher's constitution: presets,
// autocomplete from the world's vocabulary, and the engine's verdict inline.
type ConstitutionEditor struct {
	wired
}

func (c *ConstitutionEditor) presetAbout() string {
	for _, p := range world.Presets {
		if p.Name == c.Lab.PresetOf() {
			return p.About + "."
		}
	}
	return ""
}

func (c *ConstitutionEditor) bad() bool {
	ck := c.Lab.Cons.Check
	return ck != nil && !ck.OK
}

func (c *ConstitutionEditor) canApply() bool {
	ck := c.Lab.Cons.Check
	return ck != nil && ck.OK && c.Lab.Cons.Dirty(c.Lab.Settings.Constitution)
}

func (c *ConstitutionEditor) status() string {
	ck := c.Lab.Cons.Check
	switch {
	case !c.Lab.Cons.Dirty(c.Lab.Settings.Constitution):
		return "in use by the run"
	case ck == nil:
		return "checking…"
	case ck.Text == "":
		return "✓ no constitution: the teacher is the plain model"
	default:
		return fmt.Sprintf("✓ %d rules, %d tokens", ck.Rules, ck.Tokens)
	}
}

// replace swaps an unknown word for a suggestion. The text is rewritten in
// the world's own tokens (as the engine reads it), so the word is matched
// exactly as the error named it.
func (c *ConstitutionEditor) replace(word, with string) {
	words := world.Split(c.Lab.Cons.Draft)
	for i, w := range words {
		if w == word {
			words[i] = with
		}
	}
	c.Lab.EditConstitution(strings.Join(words, " "))
	c.Lab.Cons.Suggest = nil
}
