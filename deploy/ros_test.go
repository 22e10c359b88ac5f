package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	testNameRef = regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)`")
	riskRow     = regexp.MustCompile(`(?m)^\| (R[0-9]+) \|.*$`)
)

// TestROSNamesExistingTests: docs/ros.md names, for each risk, the tests
// that prove its measures. It fails when a named test no longer exists in
// the tree (no `func Name(` in any *_test.go) and when a risk row names
// none, so renaming or deleting a test forces the analysis to be revisited.
func TestROSNamesExistingTests(t *testing.T) {
	b, err := os.ReadFile("../docs/ros.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)\(`)
	err = filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !defined["TestROSNamesExistingTests"] {
		t.Fatalf("the walk of the tree found %d tests but not this one: wrong root", len(defined))
	}
	rows := riskRow.FindAllStringSubmatch(doc, -1)
	if len(rows) < 10 {
		t.Fatalf("docs/ros.md has only %d risk rows", len(rows))
	}
	for _, r := range rows {
		if len(testNameRef.FindAllString(r[0], -1)) == 0 {
			t.Errorf("docs/ros.md: risk %s names no test that proves its measures", r[1])
		}
	}
	named := testNameRef.FindAllStringSubmatch(doc, -1)
	for _, m := range named {
		if !defined[m[1]] {
			t.Errorf("docs/ros.md names %s, which no *_test.go defines any more: update the analysis", m[1])
		}
	}
	t.Logf("%d risks, %d test references, %d tests in the tree", len(rows), len(named), len(defined))
}
