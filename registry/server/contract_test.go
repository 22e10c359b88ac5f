package server

import (
	"fmt"
	"os"
	"testing"

	"github.com/grunndata/grunndata/docs/openapitest"
)

// TestMain checks every response the tests receive over HTTP
// (http.DefaultTransport: the admin routes' tests) against
// docs/openapi.yaml; a drift fails the run. The fasthttp handler tests call
// Handle in memory on fixture records and are not checked here;
// cmd/grunndata's suites check the API's real answers.
func TestMain(m *testing.M) {
	rec, err := openapitest.Install()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docs/openapi.yaml:", err)
		os.Exit(1)
	}
	os.Exit(rec.Exit(m.Run(), os.Stderr))
}
