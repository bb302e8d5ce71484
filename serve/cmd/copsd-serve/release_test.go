//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestReleaseBinaryAlone runs a binary made by `make release` (COPSD_RELEASE_BIN), copied alone into
// an empty directory, the way a teacher runs it: it must report its version, serve the lab from
// what is embedded in it, and keep a class board in that directory. `make release` runs it; plain
// `go test` skips it.
func TestReleaseBinaryAlone(t *testing.T) {
	bin := os.Getenv("COPSD_RELEASE_BIN")
	if bin == "" {
		t.Skip("COPSD_RELEASE_BIN not set (make release sets it)")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, filepath.Base(bin))
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(exe, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("-version: %v\n%s", err, out)
	}
	// "copsd-serve v0.0.0-20261204123456-0123456789ab commit 0123456789ab… (2026-12-04T12:34:56Z) go1.26.8 linux/amd64"
	version := regexp.MustCompile(`^copsd-serve v\S+ commit [0-9a-f]{40}(\+dirty)? \(\S+\) go\S+ ` + runtime.GOOS + "/" + runtime.GOARCH + "\n$")
	if !version.Match(out) {
		t.Errorf("-version printed %q; want the module version, the commit, its time and the platform", out)
	}

	cmd := exec.Command(exe, "-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=/nonexistent"} // nothing from the build machine
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	urls := make(chan string, 1)
	var log bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatalf("no serving line within 30s:\n%s", log.String())
	}

	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return body
	}
	if index := get("/"); !bytes.Contains(index, []byte("<title>COPSD Lab")) {
		t.Fatalf("/ is not the lab:\n%s", index)
	}
	var m map[string]string
	if err := json.Unmarshal(get("/asset-manifest.json"), &m); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lab.wasm", "models/base-rho50.ckpt", "models/base-rho0.ckpt"} {
		if m[name] == "" {
			t.Fatalf("the embedded app has no %s", name)
		}
		if n := len(get("/" + m[name])); n < 1000 {
			t.Errorf("%s: only %d bytes", name, n)
		}
	}

	if _, err := postRun(context.Background(), http.DefaultClient, base, 7); err != nil {
		t.Fatalf("posting to the board: %v", err)
	}
	if list := get("/api/board/durable"); !strings.Contains(string(list), `"seed":7`) {
		t.Errorf("the board does not list the posted run: %s", list)
	}
	if _, err := os.Stat(filepath.Join(dir, "copsd-data")); err != nil {
		t.Errorf("the board's data directory was not made next to the binary: %v", err)
	}
}
