package docs_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/grunndata/grunndata/docs"
)

// TestOpenAPIIsValid: docs/openapi.yaml converts to JSON and is a valid
// OpenAPI 3.1 document (kin-openapi's validation: references resolve,
// schemas are JSON Schema 2020-12, operation ids are unique, every path
// parameter is declared).
func TestOpenAPIIsValid(t *testing.T) {
	b := docs.OpenAPIJSON()
	if !json.Valid(b) {
		t.Fatal("OpenAPIJSON is not JSON")
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPIMajorMinor() != "3.1" {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(doc.Paths.Map()); n < 40 {
		t.Fatalf("only %d paths", n)
	}
}
