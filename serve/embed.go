package serve

import (
	"embed"
	"io/fs"
)

// dist is the bundled app, written by ./cmd/bundle before this package is compiled. On a fresh
// clone it holds only README.txt, and the server answers "/" with 503.
//
//go:embed all:dist
var dist embed.FS

// App returns the embedded app tree, rooted at the site root.
func App() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // "dist" is a valid, embedded directory name
		panic(err)
	}
	return sub
}
