// Package e2e holds the end-to-end system test (e2e_test.go, build tag
// e2e): `make e2e` runs it against bin/grunndata on the medium preset and
// writes e2e-report-YYYY-MM-DD.md. It is not part of `make test`.
package e2e
