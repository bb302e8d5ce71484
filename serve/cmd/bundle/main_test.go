package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"testing"

	"github.com/copsdlab/copsd/serve/internal/bundle"
)

func TestParseFlags(t *testing.T) {
	opts, quiet, err := parseFlags([]string{
		"-src", "wasm/web", "-out", "serve/dist",
		"-file", "engine.wasm=build/engine.wasm",
		"-file", "models/base-rho50.ckpt=assets/models/base-rho50.ckpt",
		"-file", "odd=name=with=equals",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := bundle.Options{Src: "wasm/web", Out: "serve/dist", Files: []bundle.File{
		{Name: "engine.wasm", Path: "build/engine.wasm"},
		{Name: "models/base-rho50.ckpt", Path: "assets/models/base-rho50.ckpt"},
		{Name: "odd", Path: "name=with=equals"},
	}}
	if !reflect.DeepEqual(opts, want) || quiet {
		t.Errorf("parseFlags: got %+v (quiet %t), want %+v", opts, quiet, want)
	}

	for _, args := range [][]string{
		{},                                      // -src missing
		{"-src", "web", "-file", "engine.wasm"}, // no path
		{"-src", "web", "-file", "=x"},
		{"-src", "web", "extra"},
	} {
		if _, _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): got nil error, want one", args)
		}
	}
	if _, _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags(-h): got %v, want flag.ErrHelp", err)
	}
}
