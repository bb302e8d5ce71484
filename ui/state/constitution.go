package state

import (
	"slices"
	"strings"

	"github.com/copsdlab/copsd/core/lab"
	"github.com/copsdlab/copsd/core/world"
)

// ConsEditor is the constitution editor's state.
type ConsEditor struct {
	Draft      string     // the text in the editor
	Check      *lab.Check // the engine's verdict on Draft; nil while it is asked
	Suggest    []string   // completions of the word being typed
	checkSeq   int
	applyAfter bool // apply Draft once its check arrives
}

// MaxSuggestions bounds the autocomplete list.
const MaxSuggestions = 6

// ruleWords are the words a rule can use, offered first by autocomplete.
var ruleWords = append([]string{"refuse", "be", "explain", "refusals", "risky", "everything",
	"helpful", "brief", "detailed", "careful"}, world.HarmCategoryNames()...)

// Dirty reports whether the editor holds text other than the run's.
func (c *ConsEditor) Dirty(applied string) bool {
	return normalizeCons(c.Draft) != normalizeCons(applied)
}

func normalizeCons(s string) string {
	s = strings.Join(world.Split(s), " ")
	if s == "" {
		return "none"
	}
	return s
}

// EditConstitution takes the editor's new text: autocomplete for the word
// being typed, and a check by the engine (its answer shows inline).
func (l *Lab) EditConstitution(text string) {
	c := &l.Cons
	c.Draft = text
	c.Suggest = l.complete(text)
	l.askCheck()
}

func (l *Lab) askCheck() {
	c := &l.Cons
	if !l.Engine.Booted || len(l.Engine.Models) == 0 {
		c.Check = nil
		return
	}
	c.Check = nil
	c.checkSeq = l.nextSeq()
	l.Port.Trainer(lab.Request{Op: lab.OpCheck, Seq: c.checkSeq, Constitution: c.Draft})
}

func (l *Lab) onCheck(resp lab.Response) {
	c := &l.Cons
	if resp.Seq != c.checkSeq {
		return // an answer about older text
	}
	c.Check = resp.Check
	if c.applyAfter {
		c.applyAfter = false
		l.ApplyConstitution()
	}
}

// ApplyConstitution makes the editor's text the run's constitution (and
// resets the run) once the engine has found it valid.
func (l *Lab) ApplyConstitution() {
	c := &l.Cons
	if !c.Dirty(l.Settings.Constitution) {
		return
	}
	if c.Check == nil {
		c.applyAfter = true
		if c.checkSeq == 0 {
			l.askCheck()
		}
		return
	}
	if !c.Check.OK {
		return
	}
	text := c.Check.Text
	if text == "" {
		text = "none"
	}
	l.Settings.Constitution = text
	c.Draft = text
	c.Suggest = nil
	l.Reset()
}

// UsePreset puts a preset's text in the editor and applies it.
func (l *Lab) UsePreset(name string) {
	p, ok := world.PresetNamed(name)
	if !ok {
		return
	}
	text := p.Text
	if text == "" {
		text = "none"
	}
	l.EditConstitution(text)
	l.Cons.Suggest = nil
	l.ApplyConstitution()
}

// PresetOf names the preset whose text is the run's constitution, or "".
func (l *Lab) PresetOf() string {
	p, _ := world.PresetWithText(l.Settings.Constitution)
	return p.Name
}

// Complete replaces the word being typed with w.
func (l *Lab) Complete(w string) {
	d := l.Cons.Draft
	i := strings.LastIndexAny(d, " \t\n.") + 1
	head := d[:i]
	if strings.HasSuffix(head, ".") {
		head += " "
	}
	l.EditConstitution(head + w + " ")
	l.Cons.Suggest = nil
}

// complete lists the known words that start with the word being typed:
// words of rules first, then the rest of the vocabulary, in its order.
func (l *Lab) complete(text string) []string {
	if text == "" || strings.ContainsAny(text[len(text)-1:], " \t\n.") {
		return nil
	}
	i := strings.LastIndexAny(text, " \t\n.") + 1
	prefix := strings.ToLower(text[i:])
	var out []string
	add := func(w string) {
		if strings.HasPrefix(w, prefix) && w != prefix && !slices.Contains(out, w) && len(out) < MaxSuggestions {
			out = append(out, w)
		}
	}
	for _, w := range ruleWords {
		add(w)
	}
	if l.Engine.Info != nil {
		for _, w := range l.Engine.Info.Vocab {
			if !strings.HasPrefix(w, "<") {
				add(w)
			}
		}
	}
	return out
}
