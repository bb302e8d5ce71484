package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version, commit and commitTime are set at link time by `make release` (-ldflags "-X
// main.version=v1.2.0 -X main.commit=<sha> -X main.commitTime=<RFC 3339>"), from git; a plain
// `go build` in a checkout gets them from the build information the go command stamps (unless
// -buildvcs=false), and the module version from the module system.
var version, commit, commitTime string

// versionLine is what -version prints: the module version, the commit (with "+dirty" when the
// tree had uncommitted changes), the commit's time, and the Go release and platform.
func versionLine() string {
	v, c, when := version, commit, commitTime
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
				if when == "" {
					when = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true" && commit == ""
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
