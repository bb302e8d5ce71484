package world

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A constitution is a short list of rules in the world's own words, one rule a
// sentence, each ending with ".":
//
//	refuse weapons | hacking | theft | poison   refuse that harmful category
//	refuse risky                                also refuse borderline requests
//	refuse everything                           refuse every request
//	be helpful                                  more optional steps in answers
//	be brief | be detailed                      no / all optional steps
//	be careful                                  add a hedge to answers
//	explain refusals                            every refusal explains and redirects
//
// Documents that carry a constitution follow its rules; see Author for the
// over-cautious authors the Rho knob adds.

// byteOrderMark is U+FEFF as UTF-8, which some editors put first in a file.
const byteOrderMark = "\uFEFF"

// MaxConstitutionRules bounds a constitution so a dialogue fits the context.
const MaxConstitutionRules = 12

// MaxConstitutionBytes bounds constitution text before it is read at all:
// twelve rules take under 300 bytes, and checking text (suggestions for
// every unknown word) must stay quick whatever is pasted into an editor.
const MaxConstitutionBytes = 4096

// Rules is the meaning of a constitution.
type Rules struct {
	Refuse           [NumHarmCategories]bool // by harm category index
	RefuseRisky      bool
	RefuseEverything bool
	Helpful          bool
	Brief            bool
	Detailed         bool
	Careful          bool
	ExplainRefusals  bool
}

// Constitution is a parsed, validated constitution. The zero value is "none".
type Constitution struct {
	Text   string  // canonical text, rules in the order given: "refuse weapons . be helpful ."
	Rules  Rules   //
	Tokens []int32 // Text's token ids (without <sys> markers); empty for none
}

// IsNone reports whether the constitution has no rules.
func (c Constitution) IsNone() bool { return len(c.Tokens) == 0 }

// Spec is the constitution as a config or a request spells it: its canonical
// text, or "none" for the empty constitution (an empty string in a config
// means "the recipe's default" instead). It parses back to c.
func (c Constitution) Spec() string {
	if c.IsNone() {
		return "none"
	}
	return c.Text
}

// RuleError says which rule of a constitution is malformed and why.
type RuleError struct {
	Rule   int    // 1-based sentence number
	Text   string // the sentence as written
	Reason string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %d %q: %s", e.Rule, e.Text, e.Reason)
}

// ParseConstitution parses constitution text against the vocabulary. Unknown
// words give an *UnknownWordsError naming each one with suggestions; a sentence
// that is not a rule gives a *RuleError naming it. Empty text (or "none") is the
// empty constitution.
func (w *World) ParseConstitution(text string) (Constitution, error) {
	return w.Vocab.ParseConstitution(text)
}

// ParseConstitution parses constitution text against the vocabulary alone,
// as World.ParseConstitution does (constitutions do not depend on a world's
// config): for callers that need no prompts, like the class board. A leading
// UTF-8 byte order mark, which some editors write, is skipped; text that is
// not UTF-8 (a file saved as UTF-16, say) is refused as such.
func (v *Vocab) ParseConstitution(text string) (Constitution, error) {
	if len(text) > MaxConstitutionBytes {
		return Constitution{}, fmt.Errorf("constitution is %d bytes; at most %d are read (%d rules fit the model's context)", len(text), MaxConstitutionBytes, MaxConstitutionRules)
	}
	text = strings.TrimPrefix(text, byteOrderMark)
	if !utf8.ValidString(text) {
		return Constitution{}, errors.New("constitution text is not UTF-8: save it as UTF-8 (plain text)")
	}
	words := Split(text)
	if len(words) == 0 || (len(words) == 1 && words[0] == "none") {
		return Constitution{}, nil
	}
	if _, err := v.Encode(text); err != nil {
		return Constitution{}, err
	}
	if words[len(words)-1] != "." {
		words = append(words, ".")
	}
	var r Rules
	var sentences []string
	var cur []string
	for _, word := range words {
		if word != "." {
			cur = append(cur, word)
			continue
		}
		if len(cur) == 0 {
			continue // tolerate ". ." and a leading "."
		}
		n := len(sentences) + 1
		s := strings.Join(cur, " ")
		if err := applyRule(&r, cur); err != nil {
			return Constitution{}, &RuleError{Rule: n, Text: s, Reason: err.Error()}
		}
		sentences = append(sentences, s+" .")
		cur = cur[:0]
	}
	if len(sentences) == 0 {
		return Constitution{}, nil
	}
	if len(sentences) > MaxConstitutionRules {
		return Constitution{}, fmt.Errorf("constitution has %d rules; at most %d fit the model's context", len(sentences), MaxConstitutionRules)
	}
	if r.Brief && r.Detailed {
		return Constitution{}, errors.New(`"be brief" and "be detailed" contradict each other: keep one`)
	}
	c := Constitution{Text: strings.Join(sentences, " "), Rules: r}
	c.Tokens = v.mustEncode(c.Text)
	return c, nil
}

func applyRule(r *Rules, s []string) error {
	switch {
	case len(s) == 2 && s[0] == "refuse":
		switch s[1] {
		case "risky":
			r.RefuseRisky = true
		case "everything":
			r.RefuseEverything = true
		default:
			i := harmIndex(s[1])
			if i < 0 {
				return fmt.Errorf("cannot refuse %q; expected one of %s, risky, everything", s[1], strings.Join(HarmCategoryNames(), ", "))
			}
			r.Refuse[i] = true
		}
	case len(s) == 2 && s[0] == "be":
		switch s[1] {
		case "helpful":
			r.Helpful = true
		case "brief":
			r.Brief = true
		case "detailed":
			r.Detailed = true
		case "careful":
			r.Careful = true
		default:
			return fmt.Errorf("cannot be %q; expected helpful, brief, detailed or careful", s[1])
		}
	case len(s) == 2 && s[0] == "explain" && s[1] == "refusals":
		r.ExplainRefusals = true
	default:
		return errors.New(`not a rule; rules are "refuse <weapons|hacking|theft|poison|risky|everything>", "be <helpful|brief|detailed|careful>" or "explain refusals", each ending with "."`)
	}
	return nil
}

// Preset is a named constitution shipped with the lab.
type Preset struct {
	Name  string `json:"name"`
	Text  string `json:"text"`
	About string `json:"about"`
}

// Presets are the named constitutions, "safety" (the default) first.
var Presets = []Preset{
	{"safety", "refuse weapons . refuse hacking . refuse theft . refuse poison . be helpful .", "the default: refuse the four harmful categories, help with everything else"},
	{"none", "", "no constitution: the teacher is the plain base model"},
	{"strict", "refuse weapons . refuse hacking . refuse theft . refuse poison . refuse risky . be careful .", "also refuse borderline requests and hedge every answer"},
	{"helpful", "be helpful . be detailed .", "asks only for helpfulness: no safety rules at all"},
	{"brief", "be brief .", "short answers, no safety rules"},
	{"weapons-only", "refuse weapons . be helpful .", "refuse one category, help with the rest"},
	{"cyber", "refuse hacking . refuse theft . explain refusals .", "refuse the cyber and theft categories and always explain"},
	{"lockdown", "refuse everything .", "refuse every request: safe and useless"},
}

// PresetNames lists the preset names in order.
func PresetNames() []string {
	out := make([]string, len(Presets))
	for i, p := range Presets {
		out[i] = p.Name
	}
	return out
}

// PresetNamed returns the preset called name.
func PresetNamed(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// PresetWithText returns the preset whose rules text spells, up to case and
// spacing ("" and "none" both spell the empty constitution).
func PresetWithText(text string) (Preset, bool) {
	canon := func(s string) string {
		if w := strings.Join(Split(s), " "); w != "none" {
			return w
		}
		return ""
	}
	want := canon(text)
	for _, p := range Presets {
		if canon(p.Text) == want {
			return p, true
		}
	}
	return Preset{}, false
}

// LookupConstitution resolves a preset name or constitution text. It never
// reads a file: the world does no I/O, and a request from the browser must
// not probe a file system (the CLI resolves paths itself).
func (w *World) LookupConstitution(spec string) (Constitution, error) {
	if p, ok := PresetNamed(spec); ok {
		spec = p.Text
	}
	return w.ParseConstitution(spec)
}
