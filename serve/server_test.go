package serve

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// slowAPI answers after release is closed, telling started when a request arrives.
type slowAPI struct {
	started chan struct{}
	release chan struct{}
}

func (a *slowAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	close(a.started)
	<-a.release
	io.WriteString(w, "finished")
}

func startServer(t *testing.T, cfg Config) (url string, cancel context.CancelFunc, served chan error) {
	t.Helper()
	s := newTestServer(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served = make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), cancel, served
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	api := &slowAPI{started: make(chan struct{}), release: make(chan struct{})}
	var closedAt atomic.Int64 // when OnClose ran, in ns since start; 0 = not yet
	var calls atomic.Int32
	start := time.Now()
	url, cancel, served := startServer(t, Config{
		App: newTestApp(t).fsys,
		API: api,
		OnClose: func() error {
			calls.Add(1)
			closedAt.Store(int64(time.Since(start)))
			return nil
		},
	})
	defer cancel()

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/api/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), err}
	}()
	<-api.started

	cancel() // as SIGINT does
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v while a request was in flight, want it to wait", err)
	case <-time.After(200 * time.Millisecond):
	}
	if closedAt.Load() != 0 {
		t.Fatal("OnClose ran while a request was in flight, want it after")
	}
	// New connections are refused once shutdown has begun.
	if resp, err := http.Get(url + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("GET /healthz during shutdown: got %d, want the connection refused", resp.StatusCode)
	}

	releasedAt := time.Since(start)
	close(api.release)
	r := <-done
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request: got %d %q (err %v), want 200 \"finished\"", r.status, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: got %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the last request finished")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("OnClose calls: got %d, want 1", got)
	}
	if at := time.Duration(closedAt.Load()); at < releasedAt {
		t.Errorf("OnClose ran at %v, before the request was released at %v", at, releasedAt)
	}
}

func TestShutdownTimeout(t *testing.T) {
	api := &slowAPI{started: make(chan struct{}), release: make(chan struct{})}
	defer close(api.release)
	var closed atomic.Bool
	url, cancel, served := startServer(t, Config{
		App:             newTestApp(t).fsys,
		API:             api,
		ShutdownTimeout: 100 * time.Millisecond,
		OnClose:         func() error { closed.Store(true); return errors.New("db close failed") },
	})
	go func() {
		if resp, err := http.Get(url + "/api/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-api.started
	cancel()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "still running") || !strings.Contains(err.Error(), "db close failed") {
			t.Errorf("Serve: got %v, want the timeout and the OnClose error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the shutdown timeout")
	}
	if !closed.Load() {
		t.Error("OnClose did not run after a timed-out shutdown")
	}
}

func TestListenFailureRunsOnClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var closed atomic.Bool
	s := newTestServer(t, Config{
		App:     newTestApp(t).fsys,
		Addr:    ln.Addr().String(), // taken
		OnClose: func() error { closed.Store(true); return nil },
	})
	if err := s.ListenAndServe(context.Background()); err == nil {
		t.Fatal("ListenAndServe on a taken port: got nil, want an error")
	}
	if !closed.Load() {
		t.Error("OnClose did not run after the listen failure")
	}
}

func TestServerLimits(t *testing.T) {
	srv := newTestServer(t, Config{App: newTestApp(t).fsys}).httpServer()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("timeouts: got header %v read %v write %v idle %v, want all set",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes: got %d, want a limit below the 1 MiB default", srv.MaxHeaderBytes)
	}
}
