package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/server"
)

// runAudit implements `grunndata audit verify|who-looked-up`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: grunndata audit verify --data DATADIR | grunndata audit who-looked-up --data DATADIR --nin NIN [--json]")
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data", "data `DIR`")
	dir := fs.String("audit-dir", "", "audit log `DIR` (default DATADIR/audit)")
	nin := fs.String("nin", "", "the person number to look for")
	asJSON := fs.Bool("json", false, "JSON lines instead of a table")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" {
		*dir = filepath.Join(*data, "audit")
	}
	switch args[0] {
	case "verify":
		n, err := server.VerifyAudit(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "audit log %s: INVALID after %d good records: %v\n", *dir, n, err)
			return 1
		}
		fmt.Fprintf(stdout, "audit log %s: %d records, chain intact\n", *dir, n)
		return 0
	case "who-looked-up":
		if _, _, err := registry.ParseNIN([]byte(*nin)); err != nil {
			fmt.Fprintf(stderr, "grunndata audit: --nin: %v\n", err)
			return 2
		}
		enc := json.NewEncoder(stdout)
		n := 0
		err := server.SearchAudit(*dir, *nin, func(r *server.AuditRecord) bool {
			n++
			if *asJSON {
				enc.Encode(r)
				return true
			}
			fmt.Fprintf(stdout, "%s\tclient_id=%s\torgnr_parent=%s\torgnr_child=%s\troute=%s\tstatus=%d\tgeneration=%s\n",
				r.Time.Format(time.RFC3339), r.ClientID, r.OrgnrParent, r.OrgnrChild, r.Route, r.Status, r.Generation)
			return true
		})
		if err != nil {
			fmt.Fprintf(stderr, "grunndata audit: %v\n", err)
			return 1
		}
		if n == 0 && !*asJSON {
			fmt.Fprintln(stderr, "no recorded access")
		}
		return 0
	}
	return usage()
}
