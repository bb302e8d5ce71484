package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Input files (constitutions, run JSON) are read only when they are regular
// files, and through a byte limit: a FIFO would block the open until some
// writer came, and a device such as /dev/zero never ends.

// maxRunJSON bounds a run report's JSON: a run of the longest allowed
// length, every step recorded, is a few tens of MB.
const maxRunJSON = 256 << 20

// readInput reads the regular file path, at most limit bytes; what names the
// file's role in errors ("constitution file").
func readInput(what, path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := regularFile(path, st); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := regularFile(path, st); err != nil { // replaced since the first look
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s is more than %d bytes", what, path, limit)
	}
	return b, nil
}

// regularFile refuses anything but a regular file, naming what it is.
func regularFile(path string, st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return fmt.Errorf("%s is %s, not a regular file", path, kind)
}

// readRunJSON reads a run report's JSON file, without the UTF-8 byte order
// mark some editors write first (JSON allows none: "invalid character 'ï'").
func readRunJSON(path string) ([]byte, error) {
	b, err := readInput("run JSON", path, maxRunJSON)
	return bytes.TrimPrefix(b, []byte("\uFEFF")), err
}
