package main

import (
	"bytes"
	"os"
	"testing"
)

// The page's copy of Vugu's renderer script is the one the Go renderer in
// this build expects.
func TestScriptIsFresh(t *testing.T) {
	want, err := Script()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../web/vugu-render.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("wasm/web/vugu-render.js is stale: run `make generate` (go generate ./...)")
	}
	for _, p := range patches {
		if !bytes.Contains(want, []byte(p.new)) {
			t.Errorf("patch %q not applied", p.new)
		}
	}
	if !bytes.Contains(want, []byte("if(window.vuguRender)return")) {
		t.Error("the script no longer returns early when installed twice; the page's eval swap (wasm/page) relies on it")
	}
}
