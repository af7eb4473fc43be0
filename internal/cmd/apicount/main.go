// Command apicount prints the size figures of issue 13 for a module tree:
// exported names per directory (top-level identifiers, and methods of
// exported types and interfaces), the public total (outside pkg/presentation,
// internal/ and main packages), non-test functions over 80 lines and files
// over 600 lines.
//
//	go run ./internal/cmd/apicount .
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// tree holds the counts of one walk.
type tree struct {
	top, methods         map[string]int // per directory
	longFuncs, longFiles []string
}

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	t := &tree{top: map[string]int{}, methods: map[string]int{}}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && p != root && (info.Name() == "testdata" || strings.HasPrefix(info.Name(), ".")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") {
			t.file(p)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicount:", err)
		os.Exit(1)
	}
	t.print()
}

// file counts one Go file.
func (t *tree) file(p string) {
	src, err := os.ReadFile(p)
	if err != nil {
		return
	}
	if n := strings.Count(string(src), "\n"); n > 600 {
		t.longFiles = append(t.longFiles, fmt.Sprintf("%s %d", p, n))
	}
	fs := token.NewFileSet()
	f, err := parser.ParseFile(fs, p, src, 0)
	if err != nil {
		return
	}
	test := strings.HasSuffix(p, "_test.go")
	public := !test && f.Name.Name != "main"
	dir := filepath.Dir(p)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if n := fs.Position(d.End()).Line - fs.Position(d.Pos()).Line + 1; n > 80 && !test {
				t.longFuncs = append(t.longFuncs, fmt.Sprintf("%s:%s %d", p, d.Name.Name, n))
			}
			if !public || !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				t.top[dir]++
			} else if exportedReceiver(d.Recv.List[0].Type) {
				t.methods[dir]++
			}
		case *ast.GenDecl:
			if public {
				t.gen(dir, d)
			}
		}
	}
}

// gen counts the exported types, constants and variables of a declaration.
func (t *tree) gen(dir string, d *ast.GenDecl) {
	for _, s := range d.Specs {
		switch s := s.(type) {
		case *ast.TypeSpec:
			if !s.Name.IsExported() {
				continue
			}
			t.top[dir]++
			if it, ok := s.Type.(*ast.InterfaceType); ok {
				for _, m := range it.Methods.List {
					for _, n := range m.Names {
						if n.IsExported() {
							t.methods[dir]++
						}
					}
				}
			}
		case *ast.ValueSpec:
			for _, n := range s.Names {
				if n.IsExported() {
					t.top[dir]++
				}
			}
		}
	}
}

func exportedReceiver(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if ix, ok := e.(*ast.IndexExpr); ok {
		e = ix.X
	}
	id, ok := e.(*ast.Ident)
	return ok && id.IsExported()
}

func (t *tree) print() {
	dirs := map[string]bool{}
	for d := range t.top {
		dirs[d] = true
	}
	for d := range t.methods {
		dirs[d] = true
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted)
	var pubTop, pubMethods int
	for _, d := range sorted {
		fmt.Printf("%-40s %4d + %4d\n", d, t.top[d], t.methods[d])
		if !strings.Contains(d, "internal") && !strings.Contains(d, "presentation") {
			pubTop += t.top[d]
			pubMethods += t.methods[d]
		}
	}
	fmt.Printf("public outside pkg/presentation and internal/: %d + %d = %d\n", pubTop, pubMethods, pubTop+pubMethods)
	for _, l := range t.longFuncs {
		fmt.Println("function over 80 lines:", l)
	}
	for _, l := range t.longFiles {
		fmt.Println("file over 600 lines:", l)
	}
}
