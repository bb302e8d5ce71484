package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/copsdlab/copsd/core/pretrain"
	"github.com/copsdlab/copsd/core/report"
)

// runReport rebuilds report.md and the figures from finished runs' JSON,
// without training: the runs of several directories (the shards of a sweep,
// say) merge into one report, and their JSON is gathered in OUT/runs.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	var dirs dirList
	fs.Var(&dirs, "runs", "a directory of run JSON files; repeat it, or separate directories with commas (default: OUT/runs)")
	out := fs.String("out", "", "output directory (required): report.md, the figures and runs/")
	models := fs.String("models", "assets/models", "directory holding the base checkpoints the runs name (for their rho)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	if len(dirs) == 0 {
		dirs = dirList{filepath.Join(*out, "runs")}
	}
	files, err := runFiles(dirs)
	if err != nil {
		return err
	}
	suite := &report.Suite{}
	rho := map[string]float64{}
	for _, f := range files {
		rep, err := readRun(f.path)
		if err != nil {
			return err
		}
		model := strings.TrimSuffix(rep.Model, ".ckpt")
		if _, ok := rho[model]; !ok {
			base, err := pretrain.Open(filepath.Join(*models, model+".ckpt"))
			if err != nil {
				return fmt.Errorf("%s names model %q: %w", f.path, rep.Model, err)
			}
			rho[model] = base.Meta.Config.World.Rho
		}
		suite.Runs = append(suite.Runs, report.Run{Model: model, Rho: rho[model], Report: rep})
	}
	if err := gatherRuns(files, filepath.Join(*out, "runs")); err != nil {
		return err
	}
	return writeSuite(suite, *out, stdout)
}

// dirList is a repeatable flag of directories, each value possibly a
// comma-separated list.
type dirList []string

func (d *dirList) String() string { return strings.Join(*d, ",") }

func (d *dirList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*d = append(*d, s)
		}
	}
	return nil
}

// writeSuite writes report.md and the figures into out and says how many
// claims hold. The command the report names is read from the runs, so a
// report rebuilt from runs (copsd report) equals the one reproduce wrote.
func writeSuite(suite *report.Suite, out string, stdout io.Writer) error {
	suite.Settle(out)
	var b bytes.Buffer
	if err := suite.WriteMarkdown(&b); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(out, "report.md"), b.Bytes()); err != nil {
		return err
	}
	if err := suite.WriteFigures(out); err != nil {
		return err
	}
	held := 0
	claims := report.Claims(suite)
	for _, c := range claims {
		if c.Holds {
			held++
		}
	}
	fmt.Fprintf(stdout, "%d runs; %d of %d claims hold; report in %s\n", len(suite.Runs), held, len(claims), filepath.Join(out, "report.md"))
	return nil
}
