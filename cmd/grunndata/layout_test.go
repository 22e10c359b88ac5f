package main

import (
	"os/exec"
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
