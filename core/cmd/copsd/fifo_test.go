//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestConstitutionFIFOIsRefused: a FIFO as -constitution (or -ckpt) hung,
// waiting for a writer that never came.
func TestConstitutionFIFOIsRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rules")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	checkHostile(t, []hostileCase{
		{"constitution", []string{"eval", "-ckpt", base50, "-constitution", fifo}, 1, []string{fifo, "named pipe"}},
		{"ckpt", []string{"eval", "-ckpt", fifo}, 1, []string{fifo, "not a regular file"}},
	})
}
