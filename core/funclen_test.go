package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function in core/ may be, counting its
// signature and closing brace (style.md).
const maxFuncLines = 80

// longFuncAllowed lists what may be longer: the unrolled matmul kernels
// (core/model/gemm*.go, by file) and functions that are table-driven data (by
// "file:function"; none today).
var longFuncAllowed = struct {
	fileGlobs []string
	funcs     map[string]string // "path:func" → why
}{
	fileGlobs: []string{"model/gemm*.go"},
	funcs:     map[string]string{},
}

// longFuncs returns "path:func (n lines)" for every function declared in the
// Go source src (named path) that is longer than maxFuncLines and not allowed.
func longFuncs(fset *token.FileSet, path string, src any) ([]string, error) {
	for _, g := range longFuncAllowed.fileGlobs {
		if ok, _ := filepath.Match(g, filepath.ToSlash(path)); ok {
			return nil, nil
		}
	}
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) > 0 {
			name = recvName(fd.Recv.List[0].Type) + "." + name
		}
		n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
		key := filepath.ToSlash(path) + ":" + name
		if _, ok := longFuncAllowed.funcs[key]; n > maxFuncLines && !ok {
			out = append(out, key+" ("+strconv.Itoa(n)+" lines)")
		}
	}
	return out, nil
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

// TestNoFunctionOver80Lines walks every Go file of core/, tests included.
func TestNoFunctionOver80Lines(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		files++
		long, err := longFuncs(fset, path, nil)
		for _, l := range long {
			t.Errorf("core/%s: split it (at most %d lines; see style.md)", l, maxFuncLines)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked only %d Go files: is the test running in core/?", files)
	}
}

// TestLongFuncsCatchesALongFunction checks the checker: an 81-line function
// is named, an 80-line one is not, and a gemm file is skipped.
func TestLongFuncsCatchesALongFunction(t *testing.T) {
	src := func(name string, lines int) string {
		return "func " + name + "() {\n" + strings.Repeat("\t_ = 0\n", lines-2) + "}\n"
	}
	fset := token.NewFileSet()
	got, err := longFuncs(fset, "x/long.go", "package p\n"+src("long", 81)+src("ok", 80))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "x/long.go:long (81 lines)" {
		t.Errorf("long functions %q, want only x/long.go:long (81 lines)", got)
	}
	if got, _ := longFuncs(fset, "model/gemm_amd64.go", "package p\n"+src("kernel", 200)); len(got) != 0 {
		t.Errorf("a gemm kernel was flagged: %q", got)
	}
}
