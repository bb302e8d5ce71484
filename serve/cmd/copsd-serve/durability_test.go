//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/serve/board/sqlitestore"
)

// TestMain lets the test binary stand in for copsd-serve: with COPSD_SERVE_CHILD_ARGS set it runs
// the server with those flags, exactly as main does, so tests can kill a real server process.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("COPSD_SERVE_CHILD_ARGS"); ok {
		opts, err := parseFlags(strings.Fields(args), os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		if err := run(opts); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a copsd-serve process.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	log  *bytes.Buffer
}

var servingLine = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)

func startChild(t *testing.T, dataDir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "COPSD_SERVE_CHILD_ARGS=-addr 127.0.0.1:0 -data "+dataDir+" -board-rate 1e6 -board-burst 1000000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1), log: &bytes.Buffer{}}
	urls := make(chan string, 1)
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			c.log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	select {
	case c.url = <-urls:
	case err := <-c.done:
		t.Fatalf("the server exited before serving: %v\n%s", err, c.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start within 30s:\n%s", c.log)
	}
	return c
}

func postRun(ctx context.Context, client *http.Client, url string, seed int) (board.Run, error) {
	body := fmt.Sprintf(`{"name":"student","constitution":"refuse poison . be helpful .","recipe":"opsd-rkl","model":"base-rho0","seed":%d,
		"metrics":{"safety":0.5,"helpfulness":0.5,"borderline_helpfulness":0.5,"over_refusal":0.5,"reasoning":0.5,"distinct2":0.5,
		"diversity":0.5,"length_benign":10,"entropy":1},"collapse_step":null}`, seed)
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/api/board/durable/runs", strings.NewReader(body))
	if err != nil {
		return board.Run{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return board.Run{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return board.Run{}, err
	}
	if resp.StatusCode != http.StatusCreated {
		return board.Run{}, fmt.Errorf("%d %s", resp.StatusCode, data)
	}
	var r board.Run
	return r, json.Unmarshal(data, &r)
}

// TestAcknowledgedRunsSurviveKill9 posts runs from many clients, SIGKILLs the server while posts
// are still in flight, reopens the database and finds every run that was answered 201.
func TestAcknowledgedRunsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	dir := t.TempDir()
	c := startChild(t, dir)

	const clients, killAfter = 16, 300
	var mu sync.Mutex
	acked := map[int64]int64{} // id → seed
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				seed := w*100000 + i
				r, err := postRun(ctx, client, c.url, seed)
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[r.ID] = int64(seed)
				n := len(acked)
				mu.Unlock()
				if r.Seed != int64(seed) {
					t.Errorf("posted seed %d, answered %d", seed, r.Seed)
				}
				if n >= killAfter {
					once.Do(func() {
						// Right after a 201, with the other clients' posts in flight.
						c.cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		})
	}
	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		t.Fatal("too slow: fewer than 300 posts in 2 minutes")
	}
	wg.Wait()
	err := <-c.done
	c.done <- err // for the cleanup
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the server was not killed by SIGKILL: %v", err)
	}

	store, err := sqlitestore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	found := map[int64]int64{}
	page := board.Page{Limit: board.MaxLimit}
	for {
		runs, next, err := store.List(context.Background(), "durable", page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			found[r.ID] = r.Seed
		}
		if next == 0 {
			break
		}
		page.Before = next
	}
	missing := 0
	for id, seed := range acked {
		if got, ok := found[id]; !ok || got != seed {
			missing++
		}
	}
	t.Logf("acknowledged %d runs before and while killing the server; %d in the database after SIGKILL, %d acknowledged runs missing",
		len(acked), len(found), missing)
	if missing > 0 {
		t.Fatalf("%d acknowledged runs lost", missing)
	}
}

// TestGracefulStopClosesTheBoard: SIGTERM stops the server cleanly, and the database is closed
// (its WAL checkpointed into the main file) through Config.OnClose.
func TestGracefulStopClosesTheBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	dir := t.TempDir()
	c := startChild(t, dir)
	for i := range 5 {
		if _, err := postRun(context.Background(), http.DefaultClient, c.url, i); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(c.url + "/api/board/durable?limit=2")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("list: %v %v", resp, err)
	}
	resp.Body.Close()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		c.done <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, c.log)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20s of SIGTERM")
	}
	if fi, err := os.Stat(filepath.Join(dir, sqlitestore.FileName+"-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("WAL still holds %d bytes: the database was not closed", fi.Size())
	}
	store, err := sqlitestore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, _, err := store.List(context.Background(), "durable", board.Page{Limit: 10})
	if err != nil || len(runs) != 5 {
		t.Fatalf("after a clean stop: %d runs, %v", len(runs), err)
	}
}
