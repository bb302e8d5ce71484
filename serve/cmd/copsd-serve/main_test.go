package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"testing"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    options
		wantErr bool
	}{
		{nil, options{addr: "127.0.0.1:8080", dataDir: "./copsd-data", boardRate: 5, boardBurst: 300}, false},
		{[]string{"-addr", ":9000", "-data", "/tmp/board"}, options{addr: ":9000", dataDir: "/tmp/board", boardRate: 5, boardBurst: 300}, false},
		{[]string{"-frame-ancestors", "https://course.example.edu https://lms.example.org:8443"},
			options{addr: "127.0.0.1:8080", dataDir: "./copsd-data", boardRate: 5, boardBurst: 300,
				frameAncestors: []string{"https://course.example.edu", "https://lms.example.org:8443"}}, false},
		{[]string{"-frame-ancestors", "'self'"}, options{}, true},
		{[]string{"-frame-ancestors", "https://course.example.edu/path"}, options{}, true},
		{[]string{"-frame-ancestors", "*"}, options{}, true},
		{[]string{"-board-rate", "0.5", "-board-burst", "3"}, options{addr: "127.0.0.1:8080", dataDir: "./copsd-data", boardRate: 0.5, boardBurst: 3}, false},
		{[]string{"-board-rate", "0"}, options{}, true},
		{[]string{"-board-burst", "0"}, options{}, true},
		{[]string{"stray"}, options{}, true},
		{[]string{"-nope"}, options{}, true},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.args, io.Discard)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseFlags(%q): got error %v, want error %t", tt.args, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseFlags(%q): got %+v, want %+v", tt.args, got, tt.want)
		}
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags(-h): got %v, want flag.ErrHelp", err)
	}
}
