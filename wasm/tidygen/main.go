// Command tidygen finishes Vugu's generated code in a package directory:
// it drops the text nodes that are only the .vugu file's indentation, and
// gofmts every *_gen.go file (vugugen's output is not gofmt-clean).
//
//	go tool vugugen ui && go run ./wasm/tidygen ui
//
// Indentation between tags is a text node to Vugu like any other, and Vugu
// sends every node to the page on every render: in the lab's page they were
// a third of the nodes. A whitespace-only node that holds a line break
// renders as at most one space between inline elements, and as nothing in
// the flex and grid layouts the page uses; text with anything else in it,
// and spaces within a line, are kept.
//
// One consequence to keep in mind when writing templates: Vugu does not
// clear an element whose children are all gone from one render to the next
// (it only trims children after the last one it visits), so an element
// whose children are all conditional needs one fixed child, which the
// indentation used to be by accident.
package main

import (
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tidygen DIR")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*_gen.go"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no *_gen.go files in %s", os.Args[1])
	}
	for _, f := range files {
		if err != nil {
			break
		}
		var b []byte
		if b, err = os.ReadFile(f); err == nil {
			if b, err = Tidy(b); err == nil {
				err = os.WriteFile(f, b, 0o644)
			}
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", f, err)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tidygen:", err)
		os.Exit(1)
	}
}

// indentNode matches a generated whitespace-only text node that holds a
// line break, in vugugen's output or after gofmt.
var indentNode = regexp.MustCompile(`(?m)^[ \t]*vgn = &vugu\.VGNode\{Type: ?vugu\.VGNodeType\(1\), ?Data: ?"(?:\\t| )*\\n(?:\\n|\\t| )*"\}\n[ \t]*vgparent\.AppendChild\(vgn\)\n`)

// Tidy drops indentation text nodes from generated code and gofmts it.
func Tidy(src []byte) ([]byte, error) {
	return format.Source(indentNode.ReplaceAll(src, nil))
}
