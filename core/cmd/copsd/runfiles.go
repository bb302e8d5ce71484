package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/copsdlab/copsd/core/distill"
)

// The run directories copsd report merges: their JSON files listed, read
// and gathered into the report's runs/.

// runFile is one run's JSON: its path and its name, which says which model,
// recipe and seed it holds.
type runFile struct{ path, name string }

// runFiles lists the *.json files of dirs, by name. The same name in two
// directories is one run found twice: fine when the files are identical (a
// directory given twice, or OUT/runs among the inputs), an error otherwise.
func runFiles(dirs []string) ([]runFile, error) {
	byName := map[string]string{}
	for _, d := range dirs {
		paths, err := filepath.Glob(filepath.Join(d, "*.json"))
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("-runs %s: not a directory", d)
		}
		for _, p := range paths {
			name := filepath.Base(p)
			if prev, ok := byName[name]; ok {
				same, err := sameFile(prev, p)
				if err != nil {
					return nil, err
				}
				if !same {
					return nil, fmt.Errorf("%s and %s are different runs under one name", prev, p)
				}
				continue
			}
			byName[name] = p
		}
	}
	if len(byName) == 0 {
		return nil, fmt.Errorf("no run JSON in %s", strings.Join(dirs, ", "))
	}
	out := make([]runFile, 0, len(byName))
	for name, p := range byName {
		out = append(out, runFile{p, name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func sameFile(a, b string) (bool, error) {
	x, err := readRunJSON(a)
	if err != nil {
		return false, err
	}
	y, err := readRunJSON(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(x, y), nil
}

// readRun decodes one run's JSON, refusing unknown fields: a file that is
// not a run report is named, not half read.
func readRun(path string) (*distill.Report, error) {
	b, err := readRunJSON(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rep distill.Report
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("%s is not a run report: %w", path, err)
	}
	if rep.Recipe == "" || rep.Model == "" || len(rep.Steps) == 0 {
		return nil, fmt.Errorf("%s is not a finished run report (no recipe, model or evaluation)", path)
	}
	return &rep, nil
}

// gatherRuns copies the runs into dir unless they are already there, so
// that the report's runs/ holds every run it counts.
func gatherRuns(files []runFile, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		dst := filepath.Join(dir, f.name)
		if same, err := sameFile(f.path, dst); err == nil && same {
			continue
		}
		b, err := readRunJSON(f.path)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(dst, b); err != nil {
			return err
		}
	}
	return nil
}
