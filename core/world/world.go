package world

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Version identifies the world's content and rules. Checkpoints record it;
// change it whenever the vocabulary or the documents change.
const Version = 2

// Config holds the world's knobs. The zero value of a field means its default.
type Config struct {
	// Rho is the leakage knob. A document carrying a constitution was
	// written by an over-cautious author with probability Rho, and each free
	// choice of its answer (an optional step, a wording, an opener or closer)
	// is made the plainest way with probability Rho. 0 (the zero value) means
	// no leakage: the documents are exactly those of a world without it.
	Rho float64 `json:"rho"`
	// ComplyProb is how often an author with no rule against a harmful request
	// complies with it (default 0.6), so the unconditioned base model is unsafe.
	ComplyProb float64 `json:"comply_prob"`
	// ConditionedFrac is the share of pretraining documents that carry a
	// constitution (default 0.5).
	ConditionedFrac float64 `json:"conditioned_frac"`
	// ReferenceFrac is the share of documents that show a reference answer
	// before the prompt and restate it (default 0.1), so the model can use one
	// as privileged context.
	ReferenceFrac float64 `json:"reference_frac"`
	// CautiousRefuseBorderline and CautiousRefuseBenign are how often an
	// over-cautious author refuses a borderline (default 0.9) or benign
	// (default 0.3) request; otherwise it answers briefly with a hedge.
	CautiousRefuseBorderline float64 `json:"cautious_refuse_borderline"`
	CautiousRefuseBenign     float64 `json:"cautious_refuse_benign"`
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.ComplyProb == 0 {
		c.ComplyProb = 0.6
	}
	if c.ConditionedFrac == 0 {
		c.ConditionedFrac = 0.5
	}
	if c.ReferenceFrac == 0 {
		c.ReferenceFrac = 0.1
	}
	if c.CautiousRefuseBorderline == 0 {
		c.CautiousRefuseBorderline = 0.9
	}
	if c.CautiousRefuseBenign == 0 {
		c.CautiousRefuseBenign = 0.3
	}
	return c
}

// Validate reports a knob outside [0, 1].
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"rho", c.Rho}, {"comply_prob", c.ComplyProb}, {"conditioned_frac", c.ConditionedFrac}, {"reference_frac", c.ReferenceFrac},
		{"cautious_refuse_borderline", c.CautiousRefuseBorderline}, {"cautious_refuse_benign", c.CautiousRefuseBenign}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("world config: %s = %v, want a probability in [0, 1]", f.name, f.v)
		}
	}
	return nil
}

// Family is a kind of prompt.
type Family uint8

const (
	Benign Family = iota
	Borderline
	Harmful
	Reasoning
	NumFamilies
)

var familyNames = [...]string{"benign", "borderline", "harmful", "reasoning"}

func (f Family) String() string {
	if f < NumFamilies {
		return familyNames[f]
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// NumHarmCategories is the number of harmful categories.
const NumHarmCategories = 4

// HarmCategoryNames lists the harmful categories in index order.
func HarmCategoryNames() []string {
	out := make([]string, len(harmCategories))
	for i, h := range harmCategories {
		out[i] = h.name
	}
	return out
}

func harmIndex(name string) int {
	for i, h := range harmCategories {
		if h.name == name {
			return i
		}
	}
	return -1
}

// Step is one step of a how-to answer.
type Step struct {
	Key      string    // the word the judge looks for
	Phrases  [][]int32 // synonymous phrasings, each containing Key
	Optional bool
}

// Topic is a how-to topic with its steps in canonical order.
type Topic struct {
	Name  string
	Steps []Step
}

// Prompt is one request of the world.
type Prompt struct {
	ID       string  // stable name, e.g. "benign/bake-bread/t3"
	Family   Family  //
	Topic    int     // topic index within its family (harm category for Harmful)
	Text     string  //
	Tokens   []int32 //
	Answer   int     // the right answer of a reasoning probe
	Eval     bool    // held out from training
	template int
}

// World is the built world: vocabulary, topics and the train/eval prompts.
type World struct {
	Cfg        Config
	Vocab      *Vocab
	Benign     []Topic
	Borderline []Topic
	Train      []Prompt // prompts documents are drawn from
	Eval       []Prompt // held-out prompts, disjoint from Train

	byFamily [NumFamilies][]int // indices into Train
	harm     []compiledHarm
	ids      struct {
		pad, sysOpen, sysClose, user, bot, eos, refOpen, refClose int32
	}
	markers   [][]int32 // refusal markers as token sequences
	complyIDs []int32
	numbers   map[int32]int
	maxNumber int
	furniture map[string][]int32 // encoded answer furniture, read-only after New
}

type compiledHarm struct {
	name              string
	requests          []string
	comply            []Step // reuse Step: Phrases only
	explain, redirect [][]int32
}

// New builds the world for cfg. Building is deterministic: it does not depend
// on any seed, so prompts and vocabulary are the same for every run.
func New(cfg Config) (*World, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ReferenceFrac+cfg.ConditionedFrac > 1 {
		return nil, fmt.Errorf("world config: reference_frac + conditioned_frac = %v, want at most 1", cfg.ReferenceFrac+cfg.ConditionedFrac)
	}
	w := &World{Cfg: cfg}
	w.Vocab = Vocabulary()
	v := w.Vocab
	w.ids.pad, w.ids.sysOpen, w.ids.sysClose = v.mustID(Pad), v.mustID(SysOpen), v.mustID(SysClose)
	w.ids.user, w.ids.bot, w.ids.eos = v.mustID(User), v.mustID(Bot), v.mustID(EOS)
	w.ids.refOpen, w.ids.refClose = v.mustID(RefOpen), v.mustID(RefClose)
	for _, m := range refusalMarkers {
		w.markers = append(w.markers, v.mustEncode(m))
	}
	for _, m := range complianceMarkers {
		w.complyIDs = append(w.complyIDs, v.mustID(m))
	}
	w.numbers = map[int32]int{}
	for n := 0; n <= maxNumberWord; n++ {
		w.numbers[v.mustID(strconv.Itoa(n))] = n
	}
	w.maxNumber = maxNumberWord
	var err error
	if w.Benign, err = compileTopics(v, benignTopics); err != nil {
		return nil, err
	}
	if w.Borderline, err = compileTopics(v, borderlineTopics); err != nil {
		return nil, err
	}
	for _, h := range harmCategories {
		ch := compiledHarm{name: h.name, requests: h.requests}
		for _, part := range strings.Split(h.comply, ";") {
			ch.comply = append(ch.comply, Step{Phrases: [][]int32{v.mustEncode(part)}})
		}
		for _, s := range strings.Split(h.explain, "|") {
			ch.explain = append(ch.explain, v.mustEncode(s))
		}
		for _, s := range strings.Split(h.redirect, "|") {
			ch.redirect = append(ch.redirect, v.mustEncode(s))
		}
		w.harm = append(w.harm, ch)
	}
	w.furniture = map[string][]int32{}
	for _, wt := range []weighted{openers, closers, firstConn, middleConn, lastConn, refusals, genericReason, genericRedir, hedges, complyOpeners, complyClosers} {
		for _, e := range wt {
			w.furniture[e.text] = v.mustEncode(e.text)
		}
	}
	w.furniture[lateConn] = v.mustEncode(lateConn)
	w.buildPrompts()
	return w, nil
}

// maxNumberWord is the largest number word; reasoning answers stay below it.
const maxNumberWord = 30

// collectWords gathers every word the world can emit or accept.
// Vocabulary returns the world's vocabulary. It is the same for every
// Config, built once and shared (it never changes after it is built).
var Vocabulary = sync.OnceValue(func() *Vocab { return newVocab(collectWords()) })

// specMarks strips the markup of the topic and category specs: "*" marks a
// step's key word, "|" separates phrasings and ";" steps.
var specMarks = strings.NewReplacer("*", "", "|", " ", ";", " ")

func collectWords() map[string]bool {
	ws := map[string]bool{}
	add := func(texts ...string) {
		for _, t := range texts {
			for _, f := range strings.Fields(t) {
				if len(f) == 1 && f[0] >= 'A' && f[0] <= 'Z' {
					continue // a template placeholder, not a word
				}
				for _, word := range Split(specMarks.Replace(f)) {
					ws[word] = true
				}
			}
		}
	}
	for _, s := range specials {
		ws[s] = true
	}
	for _, t := range append(append([]topicSpec{}, benignTopics...), borderlineTopics...) {
		add(t.name, t.steps)
	}
	for _, h := range harmCategories {
		add(h.name, h.comply, h.explain, h.redirect)
		add(h.requests...)
	}
	add(howToTemplates...)
	add(plusTemplates...)
	add(plusAnswers...)
	add(seqTemplates...)
	add(seqAnswers...)
	for _, wt := range []weighted{openers, closers, firstConn, middleConn, lastConn, refusals, genericReason, genericRedir, hedges, complyOpeners, complyClosers} {
		for _, e := range wt {
			add(e.text)
		}
	}
	add(lateConn, ". ? ! , :")
	for _, p := range Presets {
		add(p.Text)
	}
	add("refuse weapons hacking theft poison risky everything be helpful brief detailed careful explain refusals none")
	for n := 0; n <= maxNumberWord; n++ {
		ws[strconv.Itoa(n)] = true
	}
	return ws
}

func compileTopics(v *Vocab, specs []topicSpec) ([]Topic, error) {
	var out []Topic
	for _, ts := range specs {
		t := Topic{Name: ts.name}
		keys := map[string]bool{}
		for _, raw := range strings.Split(ts.steps, ";") {
			raw = strings.TrimSpace(raw)
			st := Step{}
			if strings.HasPrefix(raw, "?") {
				st.Optional = true
				raw = strings.TrimSpace(raw[1:])
			}
			for _, syn := range strings.Split(raw, "|") {
				key := ""
				for _, word := range strings.Fields(syn) {
					if strings.HasPrefix(word, "*") {
						key = word[1:]
					}
				}
				if !st.Optional {
					if key == "" {
						return nil, fmt.Errorf("world: topic %q step %q has no key word", ts.name, syn)
					}
					if st.Key != "" && st.Key != key {
						return nil, fmt.Errorf("world: topic %q step %q: key %q differs from %q", ts.name, syn, key, st.Key)
					}
					st.Key = key
				}
				st.Phrases = append(st.Phrases, v.mustEncode(strings.ReplaceAll(syn, "*", "")))
			}
			if st.Key != "" {
				if keys[st.Key] {
					return nil, fmt.Errorf("world: topic %q repeats key %q", ts.name, st.Key)
				}
				keys[st.Key] = true
			}
			t.Steps = append(t.Steps, st)
		}
		out = append(out, t)
	}
	return out, nil
}

// buildPrompts makes every prompt and splits them into train and eval. The
// split holds out whole (topic, phrasing) combinations, so an eval prompt's
// exact text never appears in training.
func (w *World) buildPrompts() {
	w.howToPrompts()
	w.plusPrompts()
	w.sequencePrompts()
}

// addPrompt encodes p and files it with the held-out or the training prompts.
func (w *World) addPrompt(p Prompt) {
	p.Tokens = w.Vocab.mustEncode(p.Text)
	if p.Eval {
		w.Eval = append(w.Eval, p)
	} else {
		w.byFamily[p.Family] = append(w.byFamily[p.Family], len(w.Train))
		w.Train = append(w.Train, p)
	}
}

// howToPrompts are the benign, borderline and harmful requests, each in
// every how-to phrasing; two phrasings of each are held out.
func (w *World) howToPrompts() {
	nt := len(howToTemplates)
	held := func(i, t int) bool { return t == i%nt || t == (i+3)%nt }
	for _, fam := range []Family{Benign, Borderline} {
		topics := w.Benign
		if fam == Borderline {
			topics = w.Borderline
		}
		for i, t := range topics {
			for ti, tmpl := range howToTemplates {
				w.addPrompt(Prompt{
					ID:     fmt.Sprintf("%s/%s/t%d", fam, slug(t.Name), ti),
					Family: fam, Topic: i, template: ti,
					Text: strings.Replace(tmpl, "X", t.Name, 1),
					Eval: held(i, ti),
				})
			}
		}
	}
	k := 0
	for ci, h := range w.harm {
		for _, req := range h.requests {
			for ti, tmpl := range howToTemplates {
				w.addPrompt(Prompt{
					ID:     fmt.Sprintf("harmful/%s/%s/t%d", h.name, slug(req), ti),
					Family: Harmful, Topic: ci, template: ti,
					Text: strings.Replace(tmpl, "X", req, 1),
					Eval: held(k, ti),
				})
			}
			k++
		}
	}
}

// plusPrompts: every pair a+b with a, b in 0..9 is trained in some
// phrasings; 40 pairs hold one phrasing out for evaluation.
func (w *World) plusPrompts() {
	np := len(plusTemplates)
	for a := 0; a <= 9; a++ {
		for b := 0; b <= 9; b++ {
			i := a*10 + b
			heldT := -1
			if (i*7)%10 < 4 { // 40 of the 100 pairs, spread over the table
				heldT = (i * 5) % np
			}
			for ti, tmpl := range plusTemplates {
				w.addPrompt(Prompt{
					ID:     fmt.Sprintf("reasoning/plus/%d-%d/t%d", a, b, ti),
					Family: Reasoning, Topic: 0, template: ti,
					Text:   strings.NewReplacer("A", strconv.Itoa(a), "B", strconv.Itoa(b)).Replace(tmpl),
					Answer: a + b,
					Eval:   ti == heldT,
				})
			}
		}
	}
}

// sequencePrompts: arithmetic sequences start, start+step, start+2*step ->
// start+3*step; every third holds one phrasing out.
func (w *World) sequencePrompts() {
	ns := len(seqTemplates)
	j := 0
	for start := 0; start <= 10; start++ {
		for step := 1; step <= 4; step++ {
			if start+3*step > maxNumberWord {
				continue
			}
			heldT := -1
			if j%3 == 0 {
				heldT = j % ns
			}
			for ti, tmpl := range seqTemplates {
				w.addPrompt(Prompt{
					ID:     fmt.Sprintf("reasoning/seq/%d+%d/t%d", start, step, ti),
					Family: Reasoning, Topic: 1, template: ti,
					Text:   strings.NewReplacer("A", strconv.Itoa(start), "B", strconv.Itoa(start+step), "C", strconv.Itoa(start+2*step)).Replace(tmpl),
					Answer: start + 3*step,
					Eval:   ti == heldT,
				})
			}
			j++
		}
	}
}

func slug(s string) string { return strings.ReplaceAll(s, " ", "-") }

// EvalByFamily returns the held-out prompts of one family.
func (w *World) EvalByFamily(f Family) []Prompt {
	var out []Prompt
	for _, p := range w.Eval {
		if p.Family == f {
			out = append(out, p)
		}
	}
	return out
}

// TrainByFamily returns the training prompts of one family.
func (w *World) TrainByFamily(f Family) []Prompt {
	out := make([]Prompt, len(w.byFamily[f]))
	for i, j := range w.byFamily[f] {
		out[i] = w.Train[j]
	}
	return out
}

// PromptFromText makes a prompt from free text typed by a user: it is encoded
// against the vocabulary and matched to the world's prompts so the judge can
// grade answers to it. Text that matches no known prompt is an error.
func (w *World) PromptFromText(text string) (Prompt, error) {
	toks, err := w.Vocab.Encode(text)
	if err != nil {
		return Prompt{}, err
	}
	canon := w.Vocab.Decode(toks)
	for _, set := range [][]Prompt{w.Train, w.Eval} {
		for _, p := range set {
			if p.Text == canon {
				return p, nil
			}
		}
	}
	return Prompt{}, fmt.Errorf("%q is not one of the world's requests; try e.g. %q or %q", canon, w.Eval[0].Text, w.Eval[len(w.Eval)-1].Text)
}

// IDs of the special markers.
func (w *World) PadID() int32 { return w.ids.pad }
func (w *World) EOSID() int32 { return w.ids.eos }
