// Command bundle builds the deployable static tree of the app: content-hashed names, rewritten
// references, asset-manifest.json, wasm_exec.js from this Go's root, and .br/.gz variants.
//
//	go run ./serve/cmd/bundle -src wasm/web -out serve/dist \
//	    -file engine.wasm=build/engine.wasm \
//	    -file models/base-rho50.ckpt=assets/models/base-rho50.ckpt
//
// See package github.com/copsdlab/copsd/serve/internal/bundle for the rules.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/copsdlab/copsd/serve/internal/bundle"
)

func main() {
	opts, quiet, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(2)
	}
	res, err := bundle.Build(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(os.Stderr, "bundle: warning:", w)
	}
	if !quiet {
		report(os.Stdout, opts.Out, res)
	}
}

// fileFlags collects repeated -file name=path flags.
type fileFlags []bundle.File

func (f *fileFlags) String() string {
	parts := make([]string, len(*f))
	for i, x := range *f {
		parts[i] = x.Name + "=" + x.Path
	}
	return strings.Join(parts, " ")
}

func (f *fileFlags) Set(v string) error {
	name, p, ok := strings.Cut(v, "=")
	if !ok || name == "" || p == "" {
		return fmt.Errorf("want name=path, got %q", v)
	}
	*f = append(*f, bundle.File{Name: name, Path: p})
	return nil
}

func parseFlags(args []string, stderr io.Writer) (opts bundle.Options, quiet bool, err error) {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files fileFlags
	fs.StringVar(&opts.Src, "src", "", "directory of web sources (index.html, *.js, *.css, ...); required")
	fs.StringVar(&opts.Out, "out", "serve/dist", "output directory; emptied first, except README.txt")
	fs.Var(&files, "file", "extra input `name=path` (repeatable), e.g. engine.wasm=build/engine.wasm")
	fs.StringVar(&opts.GOROOT, "goroot", "", "Go root to copy lib/wasm/wasm_exec.js from (default: the Go running this)")
	fs.BoolVar(&quiet, "q", false, "print nothing on success")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./serve/cmd/bundle -src DIR [-out DIR] [-file name=path ...]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, false, err
	}
	if fs.NArg() > 0 {
		return opts, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if opts.Src == "" {
		return opts, false, errors.New("-src is required")
	}
	opts.Files = files
	return opts, quiet, nil
}

func report(w io.Writer, out string, res *bundle.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "bytes\tbr\tgzip\t  file")
	var total, totalBr int
	for _, a := range res.Assets {
		fmt.Fprintf(tw, "%d\t%s\t%s\t  %s\n", a.Size, size(a.Variants, "br"), size(a.Variants, "gzip"), a.Name)
		total += a.Size
		if s, ok := a.Variants["br"]; ok {
			totalBr += s
		} else {
			totalBr += a.Size
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "bundle: %d files in %s, %d bytes (%d with brotli)\n", len(res.Assets), out, total, totalBr)
}

func size(v map[string]int, enc string) string {
	if s, ok := v[enc]; ok {
		return fmt.Sprint(s)
	}
	return "-"
}
