package world

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Special markers. Pad is id 0.
const (
	Pad      = "<pad>"
	SysOpen  = "<sys>"
	SysClose = "</sys>"
	User     = "<user>"
	Bot      = "<bot>"
	EOS      = "<eos>"
	RefOpen  = "<ref>"
	RefClose = "</ref>"
)

var specials = []string{Pad, SysOpen, SysClose, User, Bot, EOS, RefOpen, RefClose}

// Vocab is the closed word-level vocabulary. Ids are stable for a given world
// version: specials first, then every other word in sorted order.
type Vocab struct {
	words []string
	ids   map[string]int32
}

// Size is the number of tokens, V.
func (v *Vocab) Size() int { return len(v.words) }

// Word returns the word for id, or "<?>" for an id outside the vocabulary.
func (v *Vocab) Word(id int32) string {
	if id < 0 || int(id) >= len(v.words) {
		return "<?>"
	}
	return v.words[id]
}

// ID returns the id of a word and whether it is known.
func (v *Vocab) ID(w string) (int32, bool) {
	id, ok := v.ids[w]
	return id, ok
}

// Words returns a copy of the vocabulary in id order.
func (v *Vocab) Words() []string { return append([]string(nil), v.words...) }

func (v *Vocab) mustID(w string) int32 {
	id, ok := v.ids[w]
	if !ok {
		panic("world: internal word missing from vocabulary: " + w)
	}
	return id
}

func newVocab(words map[string]bool) *Vocab {
	v := &Vocab{ids: map[string]int32{}}
	for _, s := range specials {
		v.add(s)
		delete(words, s)
	}
	rest := make([]string, 0, len(words))
	for w := range words {
		rest = append(rest, w)
	}
	sort.Strings(rest)
	for _, w := range rest {
		v.add(w)
	}
	return v
}

func (v *Vocab) add(w string) {
	if _, ok := v.ids[w]; ok {
		return
	}
	v.ids[w] = int32(len(v.words))
	v.words = append(v.words, w)
}

// Split breaks text into words: lower case, whitespace separated, with the
// punctuation marks . , ? ! : split off as words of their own.
func Split(text string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case strings.ContainsRune(".,?!:", r):
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Fields(b.String())
}

// UnknownWord is one word the vocabulary does not hold.
type UnknownWord struct {
	Word        string   `json:"word"`
	Index       int      `json:"index"` // position among the text's words
	Suggestions []string `json:"suggestions"`
}

// UnknownWordsError lists the distinct unknown words of a text, each once
// (at its first position) with the closest known words: at most
// MaxUnknownListed of them, so that pasting a page of foreign text gives a
// short error, and More counts the distinct ones left out.
type UnknownWordsError struct {
	Words []UnknownWord
	More  int
}

// MaxUnknownListed bounds the unknown words an UnknownWordsError lists.
const MaxUnknownListed = 8

func (e *UnknownWordsError) Error() string {
	parts := make([]string, len(e.Words))
	for i, u := range e.Words {
		if len(u.Suggestions) > 0 {
			parts[i] = fmt.Sprintf("%q (did you mean %s?)", u.Word, strings.Join(quoteAll(u.Suggestions), " or "))
		} else {
			parts[i] = fmt.Sprintf("%q", u.Word)
		}
	}
	noun := "word"
	if len(parts)+e.More > 1 {
		noun = "words"
	}
	more := ""
	if e.More > 0 {
		more = fmt.Sprintf(" and %d more", e.More)
	}
	return fmt.Sprintf("unknown %s: %s%s", noun, strings.Join(parts, ", "), more)
}

func quoteAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprintf("%q", w)
	}
	return out
}

// Encode turns typed text into token ids. Unknown words are reported, with
// suggestions, in an *UnknownWordsError; nothing is dropped silently. The
// special markers (<sys>, <bot>, <eos>, ...) are refused: text that holds one
// would forge the dialogue's structure (a system block inside a prompt).
func (v *Vocab) Encode(text string) ([]int32, error) {
	words := Split(text)
	ids := make([]int32, 0, len(words))
	var unknown *UnknownWordsError
	seen := map[string]bool{}
	for i, w := range words {
		id, ok := v.ids[w]
		if ok && int(id) < len(specials) {
			return nil, fmt.Errorf("%q is one of the lab's markers, not a word: typed text cannot hold it", w)
		}
		if ok {
			ids = append(ids, id)
			continue
		}
		if unknown == nil {
			unknown = &UnknownWordsError{}
		}
		switch {
		case seen[w]:
		case len(unknown.Words) < MaxUnknownListed:
			unknown.Words = append(unknown.Words, UnknownWord{Word: clipWord(w), Index: i, Suggestions: v.Suggest(w, 3)})
		default:
			unknown.More++
		}
		seen[w] = true
	}
	if unknown != nil {
		return nil, unknown
	}
	return ids, nil
}

// clipWord shortens a long unknown word for an error message: no known word
// is longer than maxSuggestLen, so the rest says nothing more.
func clipWord(w string) string {
	if len(w) <= maxSuggestLen {
		return w
	}
	cut := maxSuggestLen
	for cut > 0 && !utf8.RuneStart(w[cut]) {
		cut--
	}
	return w[:cut] + "…"
}

// mustEncode encodes the world's own text, which is known to be in the vocabulary.
func (v *Vocab) mustEncode(text string) []int32 {
	ids, err := v.Encode(text)
	if err != nil {
		panic("world: internal text outside vocabulary: " + err.Error())
	}
	return ids
}

// Decode joins token ids into text. Ids outside the vocabulary show as "<?>".
func (v *Vocab) Decode(ids []int32) string {
	ws := make([]string, len(ids))
	for i, id := range ids {
		ws[i] = v.Word(id)
	}
	return strings.Join(ws, " ")
}

// Suggest returns up to n known words closest to w by edit distance (at most
// max(2, len(w)/3) edits), nearest first, ties in vocabulary order. Special
// markers are never suggested.
func (v *Vocab) Suggest(w string, n int) []string {
	if len(w) > maxSuggestLen {
		return []string{} // no known word is within len/3 edits of it
	}
	limit := max(2, len([]rune(w))/3)
	type cand struct {
		word string
		d    int
	}
	var cs []cand
	for _, k := range v.words[len(specials):] {
		if d := editDistance(w, k, limit); d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	out := []string{}
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].word)
	}
	return out
}

// maxSuggestLen is the longest word Suggest looks at, in bytes: longer than
// three times the longest known word, nothing is close enough to suggest.
const maxSuggestLen = 64

// Complete returns the known words that start with prefix, in sorted order, at
// most n of them (autocomplete for constitution editors).
func (v *Vocab) Complete(prefix string, n int) []string {
	prefix = strings.ToLower(prefix)
	out := []string{}
	for _, k := range v.words[len(specials):] {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, or limit+1 once it
// is known to exceed limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
