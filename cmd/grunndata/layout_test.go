package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules keeps the layout of DESIGN.md and STYLE.md: data moves one
// way, and each dependency has one home (like pebble's forbidden-imports
// lint).
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/grunndata/grunndata/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/grunndata/grunndata/"
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(f[0], mod), f[1:]
		for _, imp := range imports {
			local := strings.TrimPrefix(imp, mod)
			switch {
			case pkg == "registry" && strings.Contains(imp, "."):
				t.Errorf("registry imports %s: it may import only the standard library", imp)
			case strings.HasPrefix(imp, "github.com/cockroachdb/pebble") && pkg != "index":
				t.Errorf("%s imports Pebble: only index may", pkg)
			case strings.HasPrefix(imp, "github.com/dgraph-io/ristretto") && pkg != "registry/cache":
				t.Errorf("%s imports ristretto: only registry/cache may", pkg)
			case strings.HasPrefix(pkg, "registry") && !strings.HasPrefix(pkg, "registry/server") && strings.HasPrefix(imp, "github.com/valyala/fasthttp"):
				t.Errorf("%s imports fasthttp: the domain (registry, auth, audit, query, …) knows nothing of HTTP; registry/server is the adapter", pkg)
			case strings.HasPrefix(pkg, "registry/query") && (imp == "net/http" || strings.HasPrefix(local, "registry/server") ||
				strings.HasPrefix(local, "registry/auth") || strings.HasPrefix(local, "registry/audit") || local == "index" || strings.HasPrefix(local, "index/")):
				t.Errorf("%s imports %s: the query engine answers from a registry.View through the cache; callers pass what the caller may see and audit what it names", pkg, imp)
			case strings.HasPrefix(pkg, "registry/ops") && (strings.HasPrefix(imp, "net/http") || strings.HasPrefix(local, "registry/server") ||
				local == "index" || strings.HasPrefix(local, "index/")):
				t.Errorf("%s imports %s: the store's status and snapshot administration know no HTTP and no index (cmd fills them)", pkg, imp)
			case (strings.HasPrefix(pkg, "registry/audit") || strings.HasPrefix(pkg, "registry/auth")) && strings.HasPrefix(local, "registry/server"):
				t.Errorf("%s imports %s: the server depends on auth and audit, not the other way", pkg, local)
			case strings.HasPrefix(pkg, "registry/audit") && strings.HasPrefix(local, "registry/auth"),
				strings.HasPrefix(pkg, "registry/auth") && strings.HasPrefix(local, "registry/audit"):
				t.Errorf("%s imports %s: an audit entry holds the caller's fields, not a principal", pkg, local)
			case strings.HasPrefix(pkg, "registry/server") && (local == "index" || strings.HasPrefix(local, "index/")):
				t.Errorf("registry/server imports %s: it reads through registry.Store and registry.AINStore", local)
			case strings.HasPrefix(imp, "github.com/nats-io/") && pkg != "index/fleet":
				t.Errorf("%s imports NATS: only index/fleet may (the fleet's one home)", pkg)
			case pkg == "index/fleet" && (strings.HasPrefix(local, "registry/server") || strings.HasPrefix(local, "loader")):
				t.Errorf("index/fleet imports %s: it moves generations and AINs, below the server and beside the loader", local)
			case strings.HasPrefix(pkg, "bench") && (local == "index" || strings.HasPrefix(local, "registry/server")):
				t.Errorf("bench imports %s: it tests the server from the outside", local)
			case strings.HasPrefix(pkg, "loader/") && !strings.HasPrefix(pkg, "loader/loadertest") && (local == "index" || local == "loader"):
				t.Errorf("%s imports %s: format parsers are pure (io.Reader → records)", pkg, local)
			case pkg != "main" && !strings.HasPrefix(pkg, "cmd/") && strings.HasPrefix(local, "cmd/"):
				t.Errorf("%s imports %s: nothing imports cmd", pkg, local)
			}
		}
	}
}

// TestIndexExposesNoPebble: Pebble stays inside index. No exported function,
// method, type, field, variable or constant of index names a Pebble type, so
// callers never import Pebble to use index (TestImportRules forbids that).
func TestIndexExposesNoPebble(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "..", "index", "*.go"))
	if err != nil || len(files) < 5 {
		t.Fatalf("index sources: %d files, %v", len(files), err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		pebbleNames := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/cockroachdb/pebble") {
				n := filepath.Base(path)
				if _, err := strconv.Atoi(strings.TrimPrefix(n, "v")); err == nil && strings.HasPrefix(n, "v") {
					n = filepath.Base(filepath.Dir(path)) // …/pebble/v2 is package pebble
				}
				if imp.Name != nil {
					n = imp.Name.Name
				}
				pebbleNames[n] = true
			}
		}
		checked++
		if len(pebbleNames) == 0 {
			continue
		}
		for _, d := range exportedAPI(f) {
			ast.Inspect(d.node, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && pebbleNames[id.Name] {
						t.Errorf("%s: index.%s exposes %s.%s", fset.Position(sel.Pos()), d.name, id.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
	if checked < 5 {
		t.Fatalf("only %d index files checked", checked)
	}
}

type apiPart struct {
	name string
	node ast.Node
}

// exportedAPI returns the parts of f's declarations that other packages
// see: signatures of exported functions and of exported methods of exported
// types, exported types (only the exported and embedded fields of structs),
// and exported variables and constants.
func exportedAPI(f *ast.File) []apiPart {
	var out []apiPart
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && len(d.Recv.List) == 1 {
				rt := d.Recv.List[0].Type
				if st, ok := rt.(*ast.StarExpr); ok {
					rt = st.X
				}
				if id, ok := rt.(*ast.Ident); ok && !id.IsExported() {
					continue
				}
			}
			out = append(out, apiPart{d.Name.Name, d.Type})
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch sp := spec.(type) {
				case *ast.TypeSpec:
					if !sp.Name.IsExported() {
						continue
					}
					st, ok := sp.Type.(*ast.StructType)
					if !ok {
						out = append(out, apiPart{sp.Name.Name, sp.Type})
						continue
					}
					for _, fl := range st.Fields.List {
						exported := len(fl.Names) == 0 // embedded: promoted
						for _, n := range fl.Names {
							exported = exported || n.IsExported()
						}
						if exported {
							out = append(out, apiPart{sp.Name.Name, fl.Type})
						}
					}
				case *ast.ValueSpec:
					for i, n := range sp.Names {
						if !n.IsExported() {
							continue
						}
						if sp.Type != nil {
							out = append(out, apiPart{n.Name, sp.Type})
						}
						if i < len(sp.Values) {
							out = append(out, apiPart{n.Name, sp.Values[i]})
						}
					}
				}
			}
		}
	}
	return out
}
