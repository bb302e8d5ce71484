// Package core holds no code of its own: it is the newcomer's guide to
// core/, and its tests check rules that hold across core/ (no function over
// 80 lines; see funclen_test.go).
//
// The packages, from the bottom up: num (exp, log, softmax, in bits that are
// the same natively and in wasm), model (the transformer, its backward pass
// and AdamW), world (vocabulary, prompts, authors, constitutions, the judge),
// pretrain (the base models), eval (sampling and grading answers), diag (the
// diagnostics of an evaluation and the collapse detector), distill (the
// recipes and the distillation step), lab (the engine behind the browser's
// workers), report (report.md and its figures) and cmd/copsd (the CLI).
//
// # Adding a recipe
//
// A recipe is one entry of distill.Recipes in core/distill/config.go: its
// name, a sentence for the page and its Config. Nothing else lists recipes:
// the CLI's help and `copsd reproduce` (every recipe on base-rho50), the
// page's recipe menu and sentence (ui/run-settings.vugu) and the class
// board's accepted names (serve/board/board.go) all read that list, and
// TestHandlerAcceptsEveryRecipe (serve/board), TestPageOffersEveryRecipe (ui)
// and TestCLIHelpListsEveryRecipe (core/cmd/copsd) fail if one of them does
// not. The engine never looks at a recipe's name, so a recipe that needs new
// behaviour needs a new Config field: add it to Config with its default in
// Defaults and its bounds in Validate (core/distill/config.go), and read it
// in the step (core/distill/run.go, update.go). A knob the page should offer
// is a row of the settings table, ui/state/knobs.go. Then run `make
// reproduce` (or `copsd reproduce -recipes NAME` and `copsd report`) so that
// assets/report holds its runs; the lab ships them as examples. The README
// describes the recipes in prose.
//
// # Adding a metric
//
// Where it is measured decides where it goes:
//
//   - a grade of the sampled answers (like safety or length): a field of
//     eval.Metrics with its JSON name, computed in eval.Summarize
//     (core/eval/eval.go);
//   - a measurement that needs the teacher or the initial student (like
//     kl_teacher): a field of diag.Metrics, computed in diag.Evaluate
//     (core/diag/diag.go);
//   - a measurement of each training step's rollouts (like refusal_rate): a
//     field of distill.TrainMetrics (core/distill/run.go), filled in by
//     rolloutMetrics, or, when it sums over the sampled positions, by
//     fullVocabGrad or sampledTokens (core/distill/update.go) into a field
//     of ShardSums that Run.fold divides (see "Shards" below).
//
// The run JSON then carries it with no more work: the report builder
// (distill.NewReport, AddStep, AddEval in core/distill/session.go) files
// whole Metrics. To show it, add a column to the page's CSV export (evalCols
// or trainCols in ui/state/export.go), a series to a chart (below), a row to
// `copsd run`'s summary (printRun, core/cmd/copsd/run.go) or a column to
// report.md's table (columns, core/report/report.go). The class board's
// Metrics are part of its API (serve/board/board.go, API.md) and change only
// with it. Note the metric in the README's description of `eval -json` when
// it is an eval metric.
//
// # Shards
//
// A step's work is split into shards that the config alone fixes, one per
// prompt with its G rollouts (core/distill/shard.go): a shard draws its
// random numbers from its own stream, computes its gradient on a replica,
// and the shards' gradients and sums are added in shard order. After the
// update, each probe is a work of its own too, with its own stream of (seed,
// step, probe). An evaluation is split into chunks of held-out prompts the
// same way (diag.EvaluateChunk, Combine). Which worker computes which work
// changes nothing but the speed (distill.Balance gives the costliest works
// out first; in the browser the trainer keeps a step's works while its
// helpers evaluate, lab.Driver.HelpersEvaluate). Any number of goroutines (Run.UseWorkers)
// or Web Workers (lab.Pool) then gives the same bits. So a new quantity
// summed over positions or answers is summed per shard or chunk and the
// partial sums are added in order: never one running sum across shards,
// and never a random number drawn from a stream another shard shares.
//
// # Adding a chart
//
// A chart of the page's training dynamics is one ChartSpec in
// ui/state/charts.go: an ID (its data-testid is "chart-" + ID), a title, a
// unit, a sentence, and series that each read a training or an evaluation
// metric. The page draws every entry (ui/lab-page.vugu, ui/line-chart.go),
// and ui's TestChartMarkupHasOnePointPerStep checks each. A figure of report.md is
// drawn in core/report/figures.go: a metric against step for the main recipes
// is one more s.dynamics(name, label, metric) in WriteFigures, written to
// dynamics-NAME.svg, and listed with a caption in the figures table at the
// top of that file so that report.md shows it.
//
// # Adding a constitution rule
//
// The rules are parsed by applyRule into world.Rules (core/world/
// constitution.go: the comment above it lists the rules, and its error
// messages name the allowed words) and obeyed by the authors who write the
// documents (Respond and its helpers in core/world/author.go): a rule changes
// nothing until an author follows it. The base models learn a rule only from
// pretraining documents that carry it, so RandomConstitution (author.go) must
// draw it too. Its words must be in the vocabulary, which collectWords
// (core/world/world.go) gathers; a new word changes the vocabulary and so the
// model's shape. Either way the base models must be retrained (`make
// checkpoints`; the shipped ones then fail to load, saying so) and the report
// regenerated. If the judge should grade the rule, that is
// core/world/judge.go. The page's editor and the class board check
// constitutions with the world's parser and accept the rule with no change;
// a preset using it is an entry of world.Presets (constitution.go). The
// README's constitution paragraph lists the rules.
package core
