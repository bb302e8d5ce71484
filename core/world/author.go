package world

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Author is who wrote a document's response.
type Author uint8

const (
	// Plain authors follow the constitution's rules and nothing more.
	Plain Author = iota
	// Cautious authors (probability Rho among documents carrying a
	// constitution) are also over-cautious: they refuse harmful, borderline
	// and some benign requests with one boilerplate sentence (unless the
	// constitution asks them to explain refusals) and answer the rest briefly
	// after a boilerplate hedge.
	Cautious
)

func (a Author) String() string {
	if a == Cautious {
		return "cautious"
	}
	return "plain"
}

// Dialogue is one document: an optional constitution, a prompt, and a response.
type Dialogue struct {
	Constitution Constitution
	Reference    []int32 // a reference answer shown before the prompt ("<ref> ... </ref>"), or nil
	Prompt       Prompt
	Author       Author
	Response     []int32 // without the final <eos>
}

// Context returns the tokens the model conditions on before answering:
// [<sys> constitution </sys>] <user> prompt <bot>.
func (w *World) Context(c Constitution, prompt []int32) []int32 {
	out := make([]int32, 0, len(c.Tokens)+len(prompt)+4)
	if !c.IsNone() {
		out = append(out, w.ids.sysOpen)
		out = append(out, c.Tokens...)
		out = append(out, w.ids.sysClose)
	}
	out = append(out, w.ids.user)
	out = append(out, prompt...)
	return append(out, w.ids.bot)
}

// SystemPrefix returns the tokens before <user>: "<sys> c </sys>", or nothing
// for the empty constitution. A teacher caches this prefix once per step.
func (w *World) SystemPrefix(c Constitution) []int32 {
	if c.IsNone() {
		return nil
	}
	out := []int32{w.ids.sysOpen}
	out = append(out, c.Tokens...)
	return append(out, w.ids.sysClose)
}

// ReferencePrefix returns "<ref> answer </ref>": privileged context showing an
// ideal answer, the teacher's context in gold-answer self-distillation.
func (w *World) ReferencePrefix(answer []int32) []int32 {
	out := []int32{w.ids.refOpen}
	out = append(out, answer...)
	return append(out, w.ids.refClose)
}

// UserTurn returns "<user> prompt <bot>".
func (w *World) UserTurn(prompt []int32) []int32 {
	out := []int32{w.ids.user}
	out = append(out, prompt...)
	return append(out, w.ids.bot)
}

// Tokens lays a dialogue out for training: the full token sequence ending with
// <eos>, and the index of the first response token.
func (w *World) Tokens(d Dialogue) (tokens []int32, respStart int) {
	if d.Reference != nil {
		tokens = append(w.ReferencePrefix(d.Reference), w.UserTurn(d.Prompt.Tokens)...)
	} else {
		tokens = w.Context(d.Constitution, d.Prompt.Tokens)
	}
	respStart = len(tokens)
	tokens = append(tokens, d.Response...)
	return append(tokens, w.ids.eos), respStart
}

// SampleDocument draws one pretraining document from the training prompts.
func (w *World) SampleDocument(rng *rand.Rand) Dialogue {
	// Family mix of the corpus.
	var fam Family
	switch u := rng.Float64(); {
	case u < 0.35:
		fam = Benign
	case u < 0.55:
		fam = Borderline
	case u < 0.80:
		fam = Harmful
	default:
		fam = Reasoning
	}
	idx := w.byFamily[fam]
	p := w.Train[idx[rng.IntN(len(idx))]]
	d := Dialogue{Prompt: p}
	u := rng.Float64()
	if u < w.Cfg.ReferenceFrac {
		// A worked example: the author restates the reference answer.
		d.Reference = w.IdealResponse(p, rng)
		d.Response = d.Reference
		return d
	}
	if u < w.Cfg.ReferenceFrac+w.Cfg.ConditionedFrac {
		d.Constitution = w.RandomConstitution(rng)
		if rng.Float64() < w.Cfg.Rho {
			d.Author = Cautious
		}
	}
	d.Response = w.Respond(p, d.Constitution, d.Author, rng)
	return d
}

// RandomConstitution draws a constitution from the distribution pretraining
// documents use: a random subset of rules in random order, never empty.
func (w *World) RandomConstitution(rng *rand.Rand) Constitution {
	var rules []string
	if rng.Float64() < 0.03 {
		rules = append(rules, "refuse everything")
	} else {
		for _, h := range harmCategories {
			if rng.Float64() < 0.7 {
				rules = append(rules, "refuse "+h.name)
			}
		}
		if rng.Float64() < 0.1 {
			rules = append(rules, "refuse risky")
		}
	}
	if rng.Float64() < 0.5 {
		rules = append(rules, "be helpful")
	}
	switch u := rng.Float64(); {
	case u < 0.15:
		rules = append(rules, "be brief")
	case u < 0.30:
		rules = append(rules, "be detailed")
	}
	if rng.Float64() < 0.2 {
		rules = append(rules, "be careful")
	}
	if rng.Float64() < 0.3 {
		rules = append(rules, "explain refusals")
	}
	if len(rules) == 0 {
		rules = append(rules, "be helpful")
	}
	rng.Shuffle(len(rules), func(i, j int) { rules[i], rules[j] = rules[j], rules[i] })
	c, err := w.ParseConstitution(strings.Join(rules, " . ") + " .")
	if err != nil {
		panic("world: generated constitution does not parse: " + err.Error())
	}
	return c
}

// Respond writes a response to p under constitution c by an author of kind a.
func (w *World) Respond(p Prompt, c Constitution, a Author, rng *rand.Rand) []int32 {
	r := c.Rules
	// Leakage inside the answer: a document that carries a constitution
	// makes each of its free choices the plainest way with probability Rho
	// (see plainly), whoever its author is.
	plain := 0.0
	if !c.IsNone() {
		plain = w.Cfg.Rho
	}
	if r.RefuseEverything {
		return w.refusal(-1, r.ExplainRefusals, plain, rng)
	}
	cautious := a == Cautious && !c.IsNone()
	if cautious {
		plain = 1 // an over-cautious author writes boilerplate throughout
	}
	switch p.Family {
	case Harmful:
		cat := p.Topic
		if cautious && !r.ExplainRefusals {
			return w.phrase(boilerplateRefusal)
		}
		if r.Refuse[cat] || cautious {
			return w.refusal(cat, r.ExplainRefusals, plain, rng)
		}
		if rng.Float64() < w.Cfg.ComplyProb {
			return w.comply(cat, rng)
		}
		return w.refusal(cat, r.ExplainRefusals, plain, rng)
	case Borderline, Benign:
		t := w.topic(p)
		if p.Family == Borderline && r.RefuseRisky {
			return w.refusal(-1, r.ExplainRefusals, plain, rng)
		}
		if cautious {
			refuse := w.Cfg.CautiousRefuseBenign
			if p.Family == Borderline {
				refuse = w.Cfg.CautiousRefuseBorderline
			}
			if rng.Float64() < refuse {
				if r.ExplainRefusals {
					return w.refusal(-1, true, plain, rng)
				}
				return w.phrase(boilerplateRefusal)
			}
			return w.briefHedged(t)
		}
		return w.howTo(t, r, plain, rng)
	default:
		out := []int32{}
		switch {
		case cautious:
			out = append(out, w.phrase(boilerplateHedge)...)
		case r.Careful:
			out = append(out, w.pickPlain(hedges, plain, rng)...)
		}
		return append(out, w.reasoningAnswer(p, plain, rng)...)
	}
}

// IdealResponse is the answer a perfect assistant gives: a refusal that
// explains and redirects for harmful requests, a complete helpful answer for
// benign and borderline ones, the right answer for reasoning probes.
func (w *World) IdealResponse(p Prompt, rng *rand.Rand) []int32 {
	switch p.Family {
	case Harmful:
		return w.refusal(p.Topic, true, 0, rng)
	case Benign, Borderline:
		return w.howTo(w.topic(p), Rules{}, 0, rng)
	default:
		return w.reasoningAnswer(p, 0, rng)
	}
}

func (w *World) topic(p Prompt) *Topic {
	if p.Family == Borderline {
		return &w.Borderline[p.Topic]
	}
	return &w.Benign[p.Topic]
}

// howTo is a helpful multi-step answer: opener, core steps in order with
// optional steps in place or moved to the end, connectors, closer. Each
// choice is made the plainest way with probability plain.
func (w *World) howTo(t *Topic, r Rules, plain float64, rng *rand.Rand) []int32 {
	optP := 0.65
	if r.Helpful {
		optP = 0.8
	}
	switch {
	case r.Brief:
		optP = 0
	case r.Detailed:
		optP = 1
	}
	var steps, late []*Step
	for i := range t.Steps {
		s := &t.Steps[i]
		if !s.Optional {
			steps = append(steps, s)
		} else if rng.Float64() < optP && !plainly(plain, rng) {
			if rng.Float64() < 0.3 {
				late = append(late, s)
			} else {
				steps = append(steps, s)
			}
		}
	}
	var out []int32
	if r.Careful {
		out = append(out, w.pickPlain(hedges, plain, rng)...)
	}
	if !r.Brief {
		out = append(out, w.pickPlain(openers, plain, rng)...)
	}
	for i, s := range steps {
		conn := middleConn
		switch {
		case i == 0:
			conn = firstConn
		case i == len(steps)-1 && len(late) == 0:
			conn = lastConn
		}
		if !r.Brief {
			out = append(out, w.pickPlain(conn, plain, rng)...)
		}
		out = append(out, choose(s.Phrases, plain, rng)...)
		out = append(out, w.word("."))
	}
	for _, s := range late {
		out = append(out, w.phrase(lateConn)...)
		out = append(out, choose(s.Phrases, plain, rng)...)
		out = append(out, w.word("."))
	}
	if !r.Brief {
		out = append(out, w.pickPlain(closers, plain, rng)...)
	}
	return out
}

// briefHedged is an over-cautious answer: boilerplate — the one hedge, then
// the first step in its plainest wording, and nothing more.
func (w *World) briefHedged(t *Topic) []int32 {
	out := append([]int32{}, w.phrase(boilerplateHedge)...)
	out = append(out, t.Steps[0].Phrases[0]...)
	return append(out, w.word("."))
}

// refusal refuses; for a harmful category it may explain why and redirect.
// cat < 0 means a request that is not harmful (an over-refusal). Each
// wording is the plainest with probability plain.
func (w *World) refusal(cat int, explain bool, plain float64, rng *rand.Rand) []int32 {
	out := append([]int32{}, w.pickPlain(refusals, plain, rng)...)
	pExplain, pRedirect := 0.7, 0.6
	if cat < 0 {
		// Over-refusals are curt: there is no real harm to explain.
		pExplain, pRedirect = 0.3, 0.2
	}
	if explain {
		pExplain, pRedirect = 1, 1
	}
	if rng.Float64() < pExplain {
		if cat >= 0 {
			e := w.harm[cat].explain
			out = append(out, choose(e, plain, rng)...)
		} else {
			out = append(out, w.pickPlain(genericReason, plain, rng)...)
		}
	}
	if rng.Float64() < pRedirect {
		if cat >= 0 {
			e := w.harm[cat].redirect
			out = append(out, choose(e, plain, rng)...)
		} else {
			out = append(out, w.pickPlain(genericRedir, plain, rng)...)
		}
	}
	return out
}

// comply is the placeholder pattern of an unsafe answer.
func (w *World) comply(cat int, rng *rand.Rand) []int32 {
	out := append([]int32{}, w.pick(complyOpeners, rng)...)
	steps := w.harm[cat].comply
	for i, s := range steps {
		conn := middleConn
		switch i {
		case 0:
			conn = firstConn
		case len(steps) - 1:
			conn = lastConn
		}
		out = append(out, w.pick(conn, rng)...)
		out = append(out, s.Phrases[0]...)
		out = append(out, w.word("."))
	}
	return append(out, w.pick(complyClosers, rng)...)
}

func (w *World) reasoningAnswer(p Prompt, plain float64, rng *rand.Rand) []int32 {
	tmpls := plusAnswers
	var a, b int
	if p.Topic == 0 {
		// Recover the operands from the prompt's number words.
		nums := w.numbersIn(p.Tokens)
		a, b = nums[0], nums[1]
	} else {
		tmpls = seqAnswers
	}
	t := choose(tmpls, plain, rng)
	t = strings.NewReplacer("A", strconv.Itoa(a), "B", strconv.Itoa(b), "N", strconv.Itoa(p.Answer)).Replace(t)
	return w.phrase(t)
}

func (w *World) numbersIn(toks []int32) []int {
	var out []int
	for _, t := range toks {
		if n, ok := w.numbers[t]; ok {
			out = append(out, n)
		}
	}
	return out
}

// plainly reports, with probability p, that a choice is made the plainest
// way. It draws nothing when p is 0, so a world with Rho 0 writes exactly the
// documents it wrote before this leakage existed.
func plainly(p float64, rng *rand.Rand) bool {
	return p > 0 && rng.Float64() < p
}

// choose picks one of the wordings: the plainest (the first, the most
// common) with probability plain, otherwise uniformly.
func choose[T any](wordings []T, plain float64, rng *rand.Rand) T {
	if plainly(plain, rng) {
		return wordings[0]
	}
	return wordings[rng.IntN(len(wordings))]
}

// pickPlain picks from wt: its plainest entry (the first, the most common)
// with probability plain, otherwise by weight.
func (w *World) pickPlain(wt weighted, plain float64, rng *rand.Rand) []int32 {
	if plainly(plain, rng) {
		return w.phrase(wt[0].text)
	}
	return w.pick(wt, rng)
}

func (w *World) pick(wt weighted, rng *rand.Rand) []int32 {
	total := 0
	for _, e := range wt {
		total += e.weight
	}
	u := rng.IntN(total)
	for _, e := range wt {
		if u < e.weight {
			return w.phrase(e.text)
		}
		u -= e.weight
	}
	panic("unreachable")
}

// phrase encodes the world's own text; common phrases are encoded once in New,
// so a World is safe for concurrent use.
func (w *World) phrase(text string) []int32 {
	if ids, ok := w.furniture[text]; ok {
		return ids
	}
	return w.Vocab.mustEncode(text)
}

func (w *World) word(s string) int32 { return w.Vocab.mustID(s) }
