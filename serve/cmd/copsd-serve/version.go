package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit may be set at link time (-ldflags "-X main.version=v1.2.0 -X
// main.commit=abc123"), for builds made outside a git checkout; otherwise they come from the build
// information the go command stamps into every binary built in a module with its VCS.
var version, commit string

// versionLine is what -version prints: the module version, the commit (with "+dirty" when the
// tree had uncommitted changes), the commit's time, and the Go release and platform.
func versionLine() string {
	v, c, when := version, commit, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && c != "" {
			c += "+dirty"
		}
	}
	if v == "" {
		v = "(unknown version)"
	}
	if c == "" {
		c = "unknown"
	}
	line := fmt.Sprintf("copsd-serve %s commit %s", v, c)
	if when != "" {
		line += " (" + when + ")"
	}
	return line + fmt.Sprintf(" %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
