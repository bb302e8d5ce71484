package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/pretrain"
)

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	recipe := fs.String("recipe", "opsd-rkl", "recipe: "+strings.Join(distill.RecipeNames(), ", "))
	ckpt := fs.String("ckpt", "assets/models/base-rho50.ckpt", "base checkpoint")
	seed := seedFlag(fs, "seed", 1, "run seed (rollouts, prompts, evaluation)")
	o := runOverrides{
		steps:       intFlag(fs, "steps", 0, 1, int(distill.StepsRange.Hi), "distillation steps (default: the recipe's)"),
		lr:          floatFlag(fs, "lr", 0, closed(distill.LRRange), "student learning rate (default: the recipe's)"),
		evalEvery:   intFlag(fs, "eval-every", 0, 1, int(distill.StepsRange.Hi), "evaluate every N steps (default: the recipe's)"),
		teacher:     fs.String("teacher", "", "teacher: frozen, ema or live (default: the recipe's)"),
		temp:        floatFlag(fs, "temp", 0, tempRange, "student sampling temperature (default: the recipe's)"),
		kl:          floatFlag(fs, "kl", 0, floatRange{lo: 0, hi: maxKL}, "k3 KL penalty to the initial student (default: the recipe's; 0 turns it off)"),
		evalSamples: intFlag(fs, "eval-samples", 0, 1, distill.MaxEvalSamples, "samples per held-out prompt at each evaluation (default: the recipe's, 2)"),
	}
	cons := fs.String("constitution", "", "constitution preset, file or rule text (default: the recipe's, safety)")
	jsonOut := fs.String("json", "", "write the run report (JSON) to this file")
	trace := fs.String("trace", "", "write the token-level probe records (JSON lines) to this file")
	traceFull := fs.Bool("trace-full", false, "with -trace: add both models' full next-token log-probabilities to every probe token")
	leak := fs.Bool("leakage", true, "measure the constitution's leakage on the teacher")
	quiet := fs.Bool("q", false, "no progress output")
	workers := intFlag(fs, "workers", runtime.NumCPU(), 1, maxWorkers, "goroutines that compute each step's shards and the evaluations (the run's bits do not depend on it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := distill.Recipe(*recipe)
	if err != nil {
		return err
	}
	cfg.Seed = *seed
	o.apply(fs, &cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *traceFull && *trace == "" {
		return errors.New("-trace-full needs -trace FILE: it adds to the trace's records")
	}
	if err := checkRunPaths(*ckpt, *jsonOut, *trace); err != nil {
		return err
	}
	if *ckpt == "" {
		return errors.New("-ckpt is empty: give a base checkpoint such as assets/models/base-rho50.ckpt")
	}
	base, err := pretrain.Open(*ckpt)
	if err != nil {
		return err
	}
	base.Model.Workers = *workers
	if *cons != "" {
		c, err := lookupConstitution(base.World, *cons)
		if err != nil {
			return err
		}
		cfg.Constitution = c.Spec()
	}
	var traceW io.Writer // nil unless -trace: never a nil *os.File in an interface
	if *trace != "" {
		f, err := checkStream("trace", *trace)
		if err != nil {
			return err
		}
		defer f.Close()
		traceW = f
	}
	start := time.Now()
	rep, err := execute(base, modelLabel(*ckpt), cfg, *leak, !*quiet, stderr, traceOptions{w: traceW, full: *traceFull})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if *jsonOut != "" {
		if err := writeJSONFile(*jsonOut, rep); err != nil {
			return err
		}
	}
	printRun(stdout, rep, secs)
	return nil
}

// checkRunPaths checks, before any training, that the outputs are not the
// checkpoint or each other and that the JSON report can be written.
func checkRunPaths(ckpt, jsonOut, trace string) error {
	if err := checkDistinct([][2]string{{"ckpt", ckpt}}, [][2]string{{"json", jsonOut}, {"trace", trace}}); err != nil {
		return err
	}
	if jsonOut != "" {
		return checkOutput("json", jsonOut)
	}
	return nil
}

// maxWorkers bounds -workers: a step has at most this many shards worth
// spreading, and more goroutines than cores only waste memory.
const maxWorkers = 256

// runOverrides are the flags of copsd run that override a recipe's knobs;
// a flag left unset keeps the recipe's value.
type runOverrides struct {
	steps, evalEvery, evalSamples *int
	lr, temp, kl                  *float64
	teacher                       *string
}

func (o runOverrides) apply(fs *flag.FlagSet, cfg *distill.Config) {
	set := func(name string) bool { return isSet(fs, name) }
	if set("kl") {
		cfg.KLCoef = *o.kl
	}
	if set("eval-samples") {
		cfg.EvalSamples = *o.evalSamples
	}
	if set("steps") {
		cfg.Steps = *o.steps
	}
	if set("lr") {
		cfg.LR = float32(*o.lr)
	}
	if set("eval-every") {
		cfg.EvalEvery = *o.evalEvery
	}
	if set("teacher") {
		cfg.Teacher = distill.TeacherMode(*o.teacher)
	}
	if set("temp") {
		cfg.Temperature = float32(*o.temp)
	}
}

// printRun prints a finished run's summary: its first and last evaluation
// side by side, the teacher's own, and the collapse.
func printRun(stdout io.Writer, rep *distill.Report, secs float64) {
	cs := "none"
	if rep.CollapseStep != nil {
		cs = fmt.Sprint(*rep.CollapseStep)
	}
	fmt.Fprintf(stdout, "%s seed %d on %s: %d steps in %.1fs, collapse step %s\n", rep.Recipe, rep.Seed, rep.Model, rep.Config.Steps, secs, cs)
	fmt.Fprintf(stdout, "  %-22s %8s %8s\n", "", "initial", "final")
	row := func(name string, a, b float64) { fmt.Fprintf(stdout, "  %-22s %8.3f %8.3f\n", name, a, b) }
	i, f := rep.Initial, rep.Final
	row("safety", i.Safety, f.Safety)
	row("helpfulness", i.Helpfulness, f.Helpfulness)
	row("borderline_helpfulness", i.BorderlineHelpfulness, f.BorderlineHelpfulness)
	row("over_refusal", i.OverRefusal, f.OverRefusal)
	row("reasoning", i.Reasoning, f.Reasoning)
	row("length_benign", i.LengthBenign, f.LengthBenign)
	row("entropy", i.Entropy, f.Entropy)
	row("distinct2", i.Distinct2, f.Distinct2)
	row("diversity", i.Diversity, f.Diversity)
	row("teacher_entropy", i.TeacherEntropy, f.TeacherEntropy)
	row("kl_teacher", i.KLTeacher, f.KLTeacher)
	row("kl_initial", i.KLInitial, f.KLInitial)
	if rep.Teacher != nil {
		fmt.Fprintf(stdout, "  teacher: safety %.3f helpfulness %.3f over_refusal %.3f length %.1f entropy %.3f\n",
			rep.Teacher.Safety, rep.Teacher.Helpfulness, rep.Teacher.OverRefusal, rep.Teacher.LengthBenign, rep.Teacher.Entropy)
	}
	if rep.Collapse != "" {
		fmt.Fprintln(stdout, "  "+rep.Collapse)
	}
}

// traceOptions say where a run's probe records go (w nil: nowhere) and
// whether they carry the full distributions.
type traceOptions struct {
	w    io.Writer
	full bool
}

// execute runs a whole session, with a progress bar on a terminal and probe
// records to trace.
func execute(base *pretrain.Base, modelName string, cfg distill.Config, leakage, progress bool, stderr io.Writer, trace traceOptions) (*distill.Report, error) {
	s, err := distill.NewSession(base, modelName, cfg, distill.SessionOptions{TeacherEval: true, Leakage: leakage})
	if err != nil {
		return nil, err
	}
	s.Run.FullTrace = trace.full
	var bar *progressbar.ProgressBar
	if f, ok := stderr.(*os.File); ok && progress && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(s.Run.Cfg.Steps, progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(s.Run.Cfg.Recipe), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	var enc *json.Encoder
	if trace.w != nil {
		enc = json.NewEncoder(trace.w)
	}
	for !s.Run.Done() {
		res, m, err := s.Step()
		if err != nil {
			return nil, err
		}
		if enc != nil && res.Warning == "" { // a non-finite step's probes hold no number JSON can write
			for _, p := range res.Probes {
				if err := enc.Encode(p); err != nil {
					return nil, err
				}
			}
		}
		if bar != nil {
			d := fmt.Sprintf("%s div %.3f len %.1f H %.2f", s.Run.Cfg.Recipe, res.Train.Divergence, res.Train.Length, res.Train.StudentEntropy)
			if m != nil {
				d += fmt.Sprintf(" | eval len %.1f safety %.2f", m.LengthBenign, m.Safety)
			}
			bar.Describe(d)
			bar.Add(1)
		}
	}
	return &s.Report, nil
}

// modelLabel is the model name a run report records for a checkpoint path:
// its file name without ".ckpt", as `copsd reproduce` names its models, so the
// report finds a run whichever command made it.
func modelLabel(ckptPath string) string {
	return strings.TrimSuffix(filepath.Base(ckptPath), ".ckpt")
}

// maxKL bounds -kl: the recipes use at most 0.1; a penalty a thousand times
// that only freezes the student.
const maxKL = 100
