// Command copsd-serve serves the lab: the app embedded at build time (bundle it first, see
// serve/dist/README.txt) and, under /api/board/, the class board (serve/board/API.md), kept in
// SQLite in the -data directory.
//
//	go run ./serve/cmd/copsd-serve -addr 127.0.0.1:8080 -data ./copsd-data
//
// It stops on SIGINT or SIGTERM after in-flight requests finish; a second signal stops it at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/copsdlab/copsd/serve"
	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/serve/board/sqlitestore"
)

type options struct {
	version        bool // print the version and exit
	addr           string
	dataDir        string
	frameAncestors []string
	boardRate      float64 // requests per second per client
	boardBurst     int
}

// clientBudget is how many classes' budgets one client address has over all classes.
const clientBudget = 4

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "copsd-serve:", err)
		os.Exit(2)
	}
	if opts.version {
		fmt.Println(versionLine())
		return
	}
	if err := run(opts); err != nil {
		slog.Error("copsd-serve", "err", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("copsd-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.version, "version", false, "print the version and commit and exit")
	fs.StringVar(&o.addr, "addr", serve.DefaultAddr, "`host:port` to listen on; \":8080\" serves every network interface\n"+
		"(students on the same network then open one of the URLs it logs)")
	fs.StringVar(&o.dataDir, "data", "./copsd-data", "`dir`ectory for the class board's storage (created if missing)")
	fs.Float64Var(&o.boardRate, "board-rate", 5, "class board: requests per second a class regains per client IP (each IP over all classes: 4 times this)")
	fs.IntVar(&o.boardBurst, "board-burst", 300, "class board: requests a class may make at once per client IP, sized for a class behind one address (each IP over all classes: 4 times this)")
	ancestors := fs.String("frame-ancestors", "", "`origins` allowed to embed the lab in a frame, space-separated,\n"+
		"e.g. \"https://course.example.edu https://lms.example.org\" (default: none)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: copsd-serve [flags]\n\nServes the COPSD Lab app embedded in this binary.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !(o.boardRate > 0) || o.boardBurst < 1 {
		return o, fmt.Errorf("-board-rate must be positive and -board-burst at least 1")
	}
	origins, err := serve.ParseFrameAncestors(*ancestors)
	if err != nil {
		return o, fmt.Errorf("-frame-ancestors: %w", err)
	}
	o.frameAncestors = origins
	return o, nil
}

func run(o options) error {
	if err := os.MkdirAll(o.dataDir, 0o750); err != nil {
		return fmt.Errorf("-data: %w", err)
	}
	// The class board keeps its runs in o.dataDir, is mounted as Config.API and is closed by
	// Config.OnClose once the last request has finished.
	store, err := sqlitestore.Open(o.dataDir)
	if err != nil {
		return err
	}
	api := board.NewHandler(board.Config{
		Store: store,
		// A class behind one NAT address shares its budget, so it is sized for a class; an address
		// over all classes gets four classes' worth (board.Config).
		Limiter:       board.NewTokenBucket(board.TokenBucketConfig{Rate: o.boardRate, Burst: o.boardBurst}),
		ClientLimiter: board.NewTokenBucket(board.TokenBucketConfig{Rate: clientBudget * o.boardRate, Burst: clientBudget * o.boardBurst}),
	})
	srv, err := serve.New(serve.Config{
		Addr:           o.addr,
		FrameAncestors: o.frameAncestors,
		API:            api,
		OnClose:        store.Close,
	})
	if err != nil {
		return errors.Join(err, store.Close())
	}
	slog.Info("copsd-serve", "version", versionLine())
	slog.Info("class board", "db", store.Path())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second signal ends the process at once
	}()
	return srv.ListenAndServe(ctx)
}
