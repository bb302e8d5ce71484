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

// TestReportRunsFIFOIsRefused: a FIFO named like a run (runs/x.json) hung
// copsd report and copsd reproduce, which read every run file whole.
func TestReportRunsFIFOIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "x.json"), 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	checkHostile(t, []hostileCase{
		{"report", []string{"report", "-runs", dir, "-out", t.TempDir()}, 1, []string{"x.json", "named pipe"}},
	})
}
