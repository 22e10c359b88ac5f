// Package docs holds the documents the binary ships: docs/openapi.yaml, the
// OpenAPI 3.1 description of the API and admin listeners, is embedded here
// (one source: the file in the repository is the one served) and served as
// JSON at GET /openapi.json.
package docs

import (
	_ "embed"
	"sync"

	"sigs.k8s.io/yaml"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIYAML returns docs/openapi.yaml as embedded.
func OpenAPIYAML() []byte { return openAPIYAML }

var openAPIJSON = sync.OnceValues(func() ([]byte, error) { return yaml.YAMLToJSON(openAPIYAML) })

// OpenAPIJSON returns docs/openapi.yaml as JSON, converted once. It panics if
// the embedded file is not YAML (a test proves it is).
func OpenAPIJSON() []byte {
	b, err := openAPIJSON()
	if err != nil {
		panic("docs: openapi.yaml: " + err.Error())
	}
	return b
}
