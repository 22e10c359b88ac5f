package bench

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports: the harness tests the server from the outside, so it never
// imports the index or the server (STYLE.md, "Layout").
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v (the test needs the go command)", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch {
		case p == "github.com/grunndata/grunndata/index", strings.HasPrefix(p, "github.com/grunndata/grunndata/index/"),
			p == "github.com/grunndata/grunndata/registry/server", p == "github.com/grunndata/grunndata/registry/cache",
			strings.HasPrefix(p, "github.com/cockroachdb/pebble"):
			t.Errorf("bench depends on %s", p)
		}
	}
}
