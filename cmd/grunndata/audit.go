package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
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
		n, err := audit.Verify(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "audit log %s: INVALID after %d good records: %v\n", *dir, n, err)
			return 1
		}
		fmt.Fprintf(stdout, "audit log %s: %d records, chain intact\n", *dir, n)
		return 0
	case "who-looked-up":
		pn, _, err := registry.ParseNIN([]byte(*nin))
		if err != nil {
			fmt.Fprintf(stderr, "grunndata audit: --nin: %v\n", err)
			return 2
		}
		numbers, err := personNumbers(*data, pn)
		if err != nil {
			// The serving process holds the generation: the numbers the log
			// itself links are searched (GET /admin/audit on the running
			// server also reads the person's numbers from the generation).
			fmt.Fprintf(stderr, "grunndata audit: the person's numbers are not read from the generation (%v); searching the numbers the audit log links to the one given\n", err)
			numbers = []string{*nin}
		}
		enc := json.NewEncoder(stdout)
		n := 0
		err = audit.Search(*dir, numbers, func(r *audit.Record) bool {
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

// personNumbers returns every number of the person n names, as the active
// generation of the data directory knows them (a person is stored under each
// number they have had, and their record lists them all), so that accesses
// by an old D-number and by the current fødselsnummer are found from either.
// Without an active generation only n itself is searched.
func personNumbers(dataDir string, n registry.NIN) ([]string, error) {
	if active, err := index.ReadActive(dataDir); err != nil || active == "" {
		return []string{string(n[:])}, nil
	}
	cfg := index.DefaultConfig(dataDir)
	cfg.BlockCacheBytes = 8 << 20
	s, err := index.Open(cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	v, err := s.Acquire()
	if err != nil {
		return nil, err
	}
	defer v.Release()
	return audit.PersonNumbers(v, n), nil
}
