package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/copsdlab/copsd/core/internal/atomicfile"
)

// Output files are checked before any training, so that a path that cannot
// be written fails in a second, not after the whole run; and every error
// names the path the user gave, never a temporary file beside it.

// checkOutput reports whether path can be written by replacing it (a
// temporary file in the same directory, renamed over it): the directory
// exists and takes new files, and path is not a directory or a device
// (renaming over /dev/null would replace the device itself).
func checkOutput(flagName, path string) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("-%s %s: not a regular file; give the path of a file to write", flagName, path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("-%s %s: directory %s does not exist", flagName, path, dir)
	case err != nil:
		return fmt.Errorf("-%s %s: %v", flagName, path, pathless(err))
	case !st.IsDir():
		return fmt.Errorf("-%s %s: %s is not a directory", flagName, path, dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("-%s %s: cannot write in %s: %v", flagName, path, dir, pathless(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// checkStream reports whether path can be opened for writing as a stream
// (a file, or a device such as /dev/stdout), creating or truncating it.
func checkStream(flagName, path string) (*os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-%s %s: %v", flagName, path, pathless(err))
	}
	return f, nil
}

// pathless is err without a (possibly temporary) file's path.
var pathless = atomicfile.WithoutPath

// writeFileAtomic writes data to path whole or not at all (atomicfile).
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeJSONFile writes v as indented JSON to path, atomically.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// checkDistinct refuses an output that is also an input or another output
// (run -json base.ckpt would replace the checkpoint with the report): flags
// are "-name path" pairs, inputs first; empty paths are skipped.
func checkDistinct(inputs, outputs [][2]string) error {
	all := append(append([][2]string{}, inputs...), outputs...)
	for i, o := range outputs {
		if o[1] == "" {
			continue
		}
		for _, other := range all[:len(inputs)+i] {
			if other[1] != "" && samePath(o[1], other[1]) {
				return fmt.Errorf("-%s %s is also -%s: give a different file", o[0], o[1], other[0])
			}
		}
	}
	return nil
}

// samePath reports whether a and b name one file: the same clean path, or
// the same existing file.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
