// Package serve is the lab's local server: one binary that serves the embedded, precompressed app
// and mounts the class-board API.
//
// Routes:
//
//	/healthz   200 {"status":"ok", ...}, for scripts and process supervisors
//	/api/...   Config.API, which sees the full path (so the same handler serves /api/* behind
//	           any front end); 404 JSON while none is mounted
//	/...       the static app (static.go): GET and HEAD only; "/" is index.html
//
// Every response, errors included, carries the security headers of headers.go.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// DefaultAddr is where the server listens unless told otherwise: loopback only, since the lab runs
// on the student's own machine.
const DefaultAddr = "127.0.0.1:8080"

// Config configures a Server. The zero value serves the embedded app on DefaultAddr.
type Config struct {
	// Addr is the TCP address to listen on. Empty means DefaultAddr.
	Addr string
	// App is the app tree to serve. Nil means the embedded one (App()).
	App fs.FS
	// API handles every request under /api/, with the full path. Nil answers 404.
	API http.Handler
	// FrameAncestors are the origins allowed to frame the app (see ParseFrameAncestors). Empty
	// forbids framing.
	FrameAncestors []string
	// OnClose, if set, runs once after the server has stopped and in-flight requests have
	// finished (or the shutdown timeout passed): the place to close a database.
	OnClose func() error
	// ShutdownTimeout bounds how long shutdown waits for in-flight requests. Zero means 10s.
	ShutdownTimeout time.Duration
	// Logger receives start, stop and server errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Server serves the app. Create it with New.
type Server struct {
	cfg       Config
	static    *static
	headers   securityHeaders
	handler   http.Handler
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg and indexes the app tree.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.App == nil {
		cfg.App = App()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Validate even origins that did not come from the flag: they are pasted into a header.
	origins, err := ParseFrameAncestors(strings.Join(cfg.FrameAncestors, " "))
	if err != nil {
		return nil, err
	}
	st, err := newStatic(cfg.App)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, static: st, headers: newSecurityHeaders(origins)}
	s.handler = http.HandlerFunc(s.route)
	return s, nil
}

// Built reports whether the app tree holds the app (index.html).
func (s *Server) Built() bool { return s.static.built() }

// Handler returns the server's HTTP handler, for tests and for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	s.headers.apply(w.Header())
	switch p := r.URL.Path; {
	case p == "/healthz":
		s.healthz(w, r)
	case p == "/api" || strings.HasPrefix(p, "/api/"):
		if s.cfg.API == nil {
			writeJSON(w, r, http.StatusNotFound, `{"error":"not found"}`)
			return
		}
		s.cfg.API.ServeHTTP(w, r)
	default:
		s.static.ServeHTTP(w, r)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, r, http.StatusMethodNotAllowed, `{"error":"method not allowed"}`)
		return
	}
	writeJSON(w, r, http.StatusOK, fmt.Sprintf(`{"status":"ok","app_built":%t}`, s.Built()))
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, body string) {
	body += "\n"
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, body)
	}
}

// httpServer returns the http.Server with the limits that keep a slow or hostile client from
// holding connections: headers must arrive within 10s and fit in 64 KiB; a response may take two
// minutes to write (a few MB of wasm and checkpoints to a slow classroom network).
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// ListenAndServe listens on cfg.Addr and serves until ctx is done, then shuts down gracefully
// (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		err = errors.Join(err, s.close())
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done. Then it stops accepting connections, waits up to
// cfg.ShutdownTimeout for in-flight requests to finish (closing the connections of any still
// running after that), runs cfg.OnClose, and returns. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer()
	s.cfg.Logger.Info("serving", "url", "http://"+ln.Addr().String()+"/", "app_built", s.Built())
	s.logStudentURLs(ln.Addr())
	if !s.Built() {
		s.cfg.Logger.Warn("the app is not built: run `make run`; / answers 503 until then")
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var err error
	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
		s.cfg.Logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("serve: in-flight requests still running after %v: %w", s.cfg.ShutdownTimeout, err)
			srv.Close()
		}
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	return errors.Join(err, s.close())
}

// logStudentURLs logs, when the server listens on every interface (-addr :8080), the URLs that
// students on the same network can open: a teacher reads them off the terminal.
func (s *Server) logStudentURLs(ln net.Addr) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		s.cfg.Logger.Warn("cannot list this machine's addresses", "err", err)
		return
	}
	urls := StudentURLs(ln, addrs)
	for _, u := range urls {
		s.cfg.Logger.Info("students on this network can open", "url", u)
	}
	if len(urls) == 0 {
		if ap, err := netip.ParseAddrPort(ln.String()); err == nil && ap.Addr().IsUnspecified() {
			s.cfg.Logger.Warn("listening on every interface, but this machine has no network address other machines can reach")
		}
	}
}

// close runs OnClose once.
func (s *Server) close() error {
	s.closeOnce.Do(func() {
		if s.cfg.OnClose != nil {
			s.closeErr = s.cfg.OnClose()
		}
	})
	return s.closeErr
}
