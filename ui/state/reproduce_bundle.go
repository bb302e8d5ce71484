package state

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/copsdlab/copsd/core/distill"
	"github.com/copsdlab/copsd/core/report"
)

// A suite's bundle: report.md and runs/*.json, as copsd reproduce writes
// them, in one tar file. Import reads it back (or a zip of the same files).

// Bundle limits: a full suite of five seeds is 55 runs of about 45 kB.
const (
	maxBundleBytes = 64 << 20
	maxBundleRuns  = 256
	maxRunBytes    = 4 << 20
)

// BundleName is the file name the export offers.
const BundleName = "copsd-reproduce.tar"

// Bundle is the finished runs' report.md and JSON as a tar file: report.md
// first, then runs/<name>.json by name, every entry dated 1970 so that the
// same runs give the same bytes.
func (r *Reproduce) Bundle() ([]byte, error) {
	s := r.Results()
	if len(s.Runs) == 0 {
		return nil, errors.New("no run has finished yet")
	}
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md); err != nil {
		return nil, err
	}
	files := []bundleFile{{"report.md", md.Bytes()}}
	for _, row := range r.Rows {
		if row.Status == Done {
			files = append(files, bundleFile{"runs/" + row.Job.Name() + ".json", row.JSON})
		}
	}
	sort.SliceStable(files[1:], func(i, j int) bool { return files[1+i].name < files[1+j].name })
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := w.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type bundleFile struct {
	name string
	data []byte
}

// ReadBundle reads a bundle's runs (tar or zip): every runs/*.json, by
// name. Other files (report.md, the figures) are skipped: the report is
// made again from the runs. Each run must be a run JSON whose model,
// recipe and seed are those its name says.
func ReadBundle(data []byte) (map[string][]byte, error) {
	if len(data) > maxBundleBytes {
		return nil, fmt.Errorf("the bundle is %d MB; at most %d MB are read", len(data)>>20, maxBundleBytes>>20)
	}
	files, err := bundleFiles(data)
	if err != nil {
		return nil, err
	}
	runs := map[string][]byte{}
	for _, f := range files {
		dir, base := path.Split(strings.TrimPrefix(path.Clean("/"+f.name), "/"))
		if path.Base(strings.TrimSuffix(dir, "/")) != "runs" || !strings.HasSuffix(base, ".json") || strings.HasPrefix(base, ".") {
			continue
		}
		name := strings.TrimSuffix(base, ".json")
		if _, dup := runs[name]; dup {
			return nil, fmt.Errorf("the bundle holds %s twice", base)
		}
		if len(runs) == maxBundleRuns {
			return nil, fmt.Errorf("the bundle holds more than %d runs", maxBundleRuns)
		}
		rep, err := DecodeReport(f.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.name, err)
		}
		if want := (report.Job{Model: trimModel(rep.Model), Recipe: rep.Recipe, Seed: rep.Seed}).Name(); want != name {
			return nil, fmt.Errorf("%s holds the run %s", f.name, want)
		}
		runs[name] = f.data
	}
	if len(runs) == 0 {
		return nil, errors.New("the bundle holds no runs/*.json (is it an export of the Reproduce view or of copsd reproduce?)")
	}
	return runs, nil
}

// bundleFiles lists a tar's or a zip's regular files.
func bundleFiles(data []byte) ([]bundleFile, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")) {
		return zipFiles(data)
	}
	var out []bundleFile
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(out) == 0 {
				return nil, fmt.Errorf("not a tar or zip bundle: %v", err)
			}
			return nil, fmt.Errorf("the bundle is cut short or damaged after %s: %v", out[len(out)-1].name, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxRunBytes {
			return nil, fmt.Errorf("%s is %d bytes; a run is at most %d", h.Name, h.Size, maxRunBytes)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("the bundle is cut short or damaged in %s: %v", h.Name, err)
		}
		out = append(out, bundleFile{h.Name, b})
	}
	if len(out) == 0 {
		return nil, errors.New("not a tar or zip bundle: no files in it")
	}
	return out, nil
}

func zipFiles(data []byte) ([]bundleFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a zip bundle: %v", err)
	}
	var out []bundleFile
	for _, f := range zr.File {
		if !f.Mode().IsRegular() {
			continue
		}
		if f.UncompressedSize64 > maxRunBytes {
			return nil, fmt.Errorf("%s is %d bytes; a run is at most %d", f.Name, f.UncompressedSize64, maxRunBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		// The header's size may lie: read one byte past the limit at most.
		b, err := io.ReadAll(io.LimitReader(rc, maxRunBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		if len(b) > maxRunBytes {
			return nil, fmt.Errorf("%s is more than %d bytes", f.Name, maxRunBytes)
		}
		out = append(out, bundleFile{f.Name, b})
	}
	return out, nil
}

// LoadBundle shows a bundle's runs: the rows become its runs, done, and the
// tables and claims theirs.
func (r *Reproduce) LoadBundle(data []byte) error {
	if r.Running {
		return errors.New("stop the suite before importing a bundle")
	}
	runs, err := ReadBundle(data)
	if err != nil {
		return err
	}
	rows := make([]*ReproRow, 0, len(runs))
	for _, data := range runs {
		rep, _ := DecodeReport(data) // read once by ReadBundle
		row := &ReproRow{Job: report.Job{Model: trimModel(rep.Model), Recipe: rep.Recipe, Seed: rep.Seed},
			Config: rep.Config, Status: Done, JSON: data, Report: &rep}
		rows = append(rows, row)
	}
	// The suites' order: model by model, recipe by recipe, seed by seed.
	sort.Slice(rows, func(i, j int) bool { return jobLess(rows[i].Job, rows[j].Job) })
	r.Suite, r.Rows, r.Error = SuiteBundle, rows, ""
	return nil
}

// jobLess orders jobs as the suites list them: by base model (the full
// suite's order, then by name), recipe (distill.RecipeNames, then by
// name) and seed.
func jobLess(a, b report.Job) bool {
	rank := func(list []string, x string) int {
		if i := slices.Index(list, x); i >= 0 {
			return i
		}
		return len(list)
	}
	var models []string
	for _, m := range report.SuiteModels {
		models = append(models, m.Name)
	}
	recipes := distill.RecipeNames()
	return cmp.Or(
		cmp.Compare(rank(models, a.Model), rank(models, b.Model)), cmp.Compare(a.Model, b.Model),
		cmp.Compare(rank(recipes, a.Recipe), rank(recipes, b.Recipe)), cmp.Compare(a.Recipe, b.Recipe),
		cmp.Compare(a.Seed, b.Seed)) < 0
}
