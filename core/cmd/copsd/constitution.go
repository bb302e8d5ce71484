package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/copsdlab/copsd/core/world"
)

// lookupConstitution reads -constitution: a preset name, a file holding a
// constitution, or the rule text itself. Files are read here, not in the
// world, and only regular files, through a byte limit: a device such as
// /dev/zero or a FIFO would never end. An argument that looks like a path
// but names no file says so rather than being read as rule text.
func lookupConstitution(w *world.World, arg string) (world.Constitution, error) {
	if _, ok := world.PresetNamed(arg); ok {
		return w.LookupConstitution(arg)
	}
	if _, err := os.Lstat(arg); err == nil {
		b, err := readConstitutionFile(arg)
		if err != nil {
			return world.Constitution{}, err
		}
		c, err := w.ParseConstitution(string(b))
		if err != nil {
			return world.Constitution{}, fmt.Errorf("constitution file %s: %w", arg, err)
		}
		return c, nil
	}
	if looksLikePath(arg) {
		return world.Constitution{}, fmt.Errorf("constitution file %s: no such file", arg)
	}
	if !strings.ContainsAny(arg, " .") {
		return world.Constitution{}, fmt.Errorf("unknown constitution %q: not a preset (%s), a file or rule text", arg, strings.Join(world.PresetNames(), ", "))
	}
	c, err := w.ParseConstitution(arg)
	if err != nil && endsLikeFileName.MatchString(arg) {
		return world.Constitution{}, fmt.Errorf("constitution file %q: no such file (and as rule text: %w)", arg, err)
	}
	if err != nil {
		return world.Constitution{}, fmt.Errorf("constitution: %w", err)
	}
	return c, nil
}

// endsLikeFileName matches text whose last word is a file name with an
// extension ("my rules.txt"), for an error that says no such file exists.
var endsLikeFileName = regexp.MustCompile(`[^\s.]\.[A-Za-z][A-Za-z0-9]{0,7}$`)

// pathLike matches a path separator, or a name ending in a file extension
// ("rules.txt", "safety.md"): rule text ends with a word or ".", never with
// a dot glued to letters.
var pathLike = regexp.MustCompile(`[/\\]|^~|` + endsLikeFileName.String())

func looksLikePath(arg string) bool {
	return !strings.ContainsAny(arg, " \t\n") && pathLike.MatchString(arg)
}

// readConstitutionFile reads a regular file of at most
// world.MaxConstitutionBytes.
func readConstitutionFile(path string) ([]byte, error) {
	b, err := readInput("constitution file", path, world.MaxConstitutionBytes)
	if err != nil && strings.Contains(err.Error(), "more than") {
		return nil, fmt.Errorf("%w; a constitution (at most %d rules) is far shorter", err, world.MaxConstitutionRules)
	}
	if err != nil && strings.Contains(err.Error(), "not a regular file") {
		return nil, fmt.Errorf("%w: give a preset, a text file or the rules themselves", err)
	}
	return b, err
}

// constitutionText resolves -constitution to the config's rule text, "none"
// for the empty constitution (Spec).
func constitutionText(w *world.World, arg string) (string, error) {
	c, err := lookupConstitution(w, arg)
	if err != nil {
		return "", err
	}
	return c.Spec(), nil
}
