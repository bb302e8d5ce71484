// Package atomicfile writes a file whole or not at all: through a temporary
// file in the same directory, synced, then renamed over the path, so that a
// failure or a crash never leaves half a file under the final name. Errors
// name the path given, never the temporary file. The CLI's outputs and the
// base checkpoints are written this way.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write fills path with what write writes to it, readable by all (0644).
// A path that exists and is not a regular file is refused: renaming over a
// device (/dev/null) would replace the device itself.
func Write(path string, write func(io.Writer) error) error {
	if err := writeTemp(path, write); err != nil {
		return fmt.Errorf("writing %s: %w", path, WithoutPath(err))
	}
	return nil
}

func writeTemp(path string, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return err
}

// WithoutPath is err without the path an *os.PathError (fs.PathError) or
// *os.LinkError carries, which may be a temporary file's.
func WithoutPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
