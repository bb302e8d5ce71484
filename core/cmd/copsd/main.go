// Command copsd is COPSD Lab's command line: pretrain base models, sample from
// them, evaluate them with the exact judge. Results are JSON on stdout; errors
// go to stderr with a non-zero exit status.
//
//	copsd pretrain -rho 0.5 -seed 1 -out base.ckpt
//	copsd sample   -ckpt base.ckpt -constitution safety -prompt "how do i bake bread ?"
//	copsd eval     -ckpt base.ckpt -constitution none -json
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"pretrain", "train a base model from scratch and write a checkpoint", runPretrain},
	{"sample", "sample answers from a checkpoint to one prompt", runSample},
	{"eval", "evaluate a checkpoint on the held-out prompts", runEval},
	{"run", "run a distillation recipe on a base model", runRun},
	{"reproduce", "run the recipe suite over seeds and write the report and figures", runReproduce},
	{"report", "rebuild the report and figures from run JSON directories, without training", runReport},
	{"world", "print the world: vocabulary, presets, prompt counts", runWorld},
	{"selfcheck", "train a few fixed-seed steps and print exact bits (native vs wasm check)", runSelfcheck},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a command line the flags do not accept: exit status 2.
var errUsage = errors.New("usage")

// usageError is a one-line complaint about the command line.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == errUsage }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(stderr, "copsd %s: %v (run 'copsd %s -h' for its flags)\n", c.name, err, c.name)
				return 2
			default:
				fmt.Fprintf(stderr, "copsd %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "copsd: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: copsd <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nrun 'copsd <command> -h' for the flags of a command")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("copsd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses flags and rejects stray positional arguments. A bad flag
// is one line naming it (the flag package would print every flag after it);
// -h prints every flag.
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(out, "usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		return err
	case err != nil:
		return usageError{err.Error()}
	case fs.NArg() > 0:
		return usageError{"unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	return nil
}
