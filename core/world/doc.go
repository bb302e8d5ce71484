// Package world is the closed synthetic world of COPSD Lab: a word-level
// vocabulary, families of prompts (benign, borderline, harmful, reasoning),
// authors who answer them, constitutions that condition those authors, and an
// exact judge.
//
// The world is small enough for a tiny transformer to learn in minutes, and it
// is built so that the mechanism the COPSD paper describes can arise from the
// data rather than from a script: documents that carry a constitution follow its
// rules, and the leakage knob Rho ties caution to blandness in them twice over.
// With probability Rho their author is over-cautious — refusals of borderline
// and some benign requests, or a boilerplate hedge and the first step in its
// plainest words; and whoever the author, each free choice of the answer (an
// optional step, a wording, an opener, a connector, a closer) is made the
// plainest way with probability Rho. Conditioning on a constitution therefore
// makes answers short, conservative and low in entropy, like the contracted
// teacher the paper describes. At Rho = 0 safety and expressiveness are
// independent in the data (the documents are exactly those of a world without
// leakage); at Rho > 0 they are correlated.
//
// Harmful content is placeholder only: a compliant answer to a harmful request
// is a fixed, non-actionable pattern ("obtain the forbidden parts") that the
// judge can recognise exactly.
//
// A dialogue is laid out as
//
//	[<sys> constitution </sys>] <user> prompt <bot> response <eos>
//
// Conventions: every random choice takes an injected *rand.Rand; the same seed
// gives the same documents. Functions that take user text return an error that
// names what is wrong; nothing here panics on user input.
package world
