package world

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Constitution text comes from learners: whatever they type gets a
// constitution or an error that says what is wrong, never a panic, and an
// accepted constitution reads back the same from its canonical text.
func FuzzParseConstitution(f *testing.F) {
	for _, p := range Presets {
		f.Add(p.Text)
	}
	for _, s := range []string{"", "none", "refuse weapons", "refuse dragons . be helpful .", "be . . .", "refuse", "refuse weapons refuse hacking .",
		"REFUSE WEAPONS .", "explain refusals . refuse everything .", "\x00\xff", "refuse\tweapons\n.", "be helpful . be brief . be detailed ."} {
		f.Add(s)
	}
	w, err := New(Config{Rho: 0.5})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := w.ParseConstitution(text)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: an empty error", text)
			}
			return
		}
		again, err := w.ParseConstitution(c.Text)
		if err != nil {
			t.Fatalf("%q parsed, but its canonical text %q does not: %v", text, c.Text, err)
		}
		if again.Text != c.Text || !slices.Equal(again.Tokens, c.Tokens) || again.Rules != c.Rules {
			t.Fatalf("%q: canonical text %q reads back as %q", text, c.Text, again.Text)
		}
	})
}

// Text longer than any constitution is refused before it is read, with the
// limit in the message, and a long unknown word costs no suggestions.
func TestOverlongConstitutionIsRefusedQuickly(t *testing.T) {
	w, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("refuse weapons . ", MaxConstitutionBytes/16+1)
	if _, err := w.ParseConstitution(long); err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Errorf("overlong text: %v", err)
	}
	word := strings.Repeat("x", 3000)
	_, err = w.ParseConstitution("refuse " + word + " .")
	var uw *UnknownWordsError
	if !errors.As(err, &uw) || len(uw.Words) != 1 || len(uw.Words[0].Suggestions) != 0 {
		t.Errorf("a 3000-letter word: %v", err)
	}
}
