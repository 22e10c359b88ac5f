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
	"github.com/grunndata/grunndata/index/fleet"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
)

// runAudit implements `grunndata audit verify|who-looked-up`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: grunndata audit verify (--data DATADIR | --nats URL) | grunndata audit who-looked-up (--data DATADIR | --nats URL) --nin NIN [--json]")
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
	natsURL := fs.String("nats", "", "the fleet's NATS `URL`s: verify or search every replica's chain in the audit stream")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return usage()
	}
	if *natsURL != "" {
		return runFleetAudit(ctx, args[0], *natsURL, *data, *nin, *asJSON, stdout, stderr)
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
		pr := newAccessPrinter(stdout, *asJSON)
		err = audit.Search(*dir, numbers, func(r *audit.Record) bool { return pr.print("", r) })
		return pr.finish(err, stderr)
	}
	return usage()
}

// accessPrinter prints the records of who-looked-up.
type accessPrinter struct {
	w      io.Writer
	enc    *json.Encoder
	asJSON bool
	n      int
}

func newAccessPrinter(w io.Writer, asJSON bool) *accessPrinter {
	return &accessPrinter{w: w, enc: json.NewEncoder(w), asJSON: asJSON}
}

// print prints r (replica: the fleet replica that recorded it; "" for the
// local log).
func (p *accessPrinter) print(replica string, r *audit.Record) bool {
	p.n++
	if p.asJSON {
		if replica == "" {
			p.enc.Encode(r)
		} else {
			p.enc.Encode(struct {
				Replica string `json:"replica"`
				*audit.Record
			}{replica, r})
		}
		return true
	}
	if replica != "" {
		fmt.Fprintf(p.w, "replica=%s\t", replica)
	}
	fmt.Fprintf(p.w, "%s\tclient_id=%s\torgnr_parent=%s\torgnr_child=%s\troute=%s\tstatus=%d\tgeneration=%s\n",
		r.Time.Format(time.RFC3339), r.ClientID, r.OrgnrParent, r.OrgnrChild, r.Route, r.Status, r.Generation)
	return true
}

func (p *accessPrinter) finish(err error, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "grunndata audit: %v\n", err)
		return 1
	}
	if p.n == 0 && !p.asJSON {
		fmt.Fprintln(stderr, "no recorded access")
	}
	return 0
}

// runFleetAudit is `grunndata audit verify|who-looked-up --nats URL`: every
// replica's chain in the fleet's audit stream.
func runFleetAudit(ctx context.Context, cmd, url, data, nin string, asJSON bool, stdout, stderr io.Writer) int {
	var pn registry.NIN
	if cmd == "who-looked-up" {
		var err error
		if pn, _, err = registry.ParseNIN([]byte(nin)); err != nil {
			fmt.Fprintf(stderr, "grunndata audit: --nin: %v\n", err)
			return 2
		}
	} else if cmd != "verify" {
		fmt.Fprintln(stderr, "usage: grunndata audit verify --nats URL | grunndata audit who-looked-up --nats URL --nin NIN [--data DATADIR] [--json]")
		return 2
	}
	c, err := fleet.Connect(fleet.Config{URL: url, Name: "grunndata-audit", Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintf(stderr, "grunndata audit: %v\n", err)
		return 1
	}
	defer c.Close()
	if cmd == "verify" {
		rep, err := c.VerifyAudit(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "grunndata audit: %v\n", err)
			return 1
		}
		var total int64
		for _, cr := range rep.Chains {
			total += cr.Records
			if cr.Err != nil {
				fmt.Fprintf(stderr, "replica %s: INVALID after %d good records (last good seq %d): %v\n", cr.Replica, cr.Records, cr.LastSeq, cr.Err)
				continue
			}
			fmt.Fprintf(stdout, "replica %s: %d records in %d messages, chain intact\n", cr.Replica, cr.Records, cr.Messages)
		}
		if rep.Err != nil {
			fmt.Fprintf(stderr, "audit stream %s: INVALID: %v\n", fleet.AuditStream, rep.Err)
		}
		if !rep.OK() {
			return 1
		}
		fmt.Fprintf(stdout, "audit stream %s: %d replicas, %d records, %d messages up to stream sequence %d, every chain intact\n",
			fleet.AuditStream, len(rep.Chains), total, rep.Messages, rep.LastStreamSeq)
		return 0
	}
	numbers, err := personNumbers(data, pn)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata audit: the person's numbers are not read from the generation (%v); searching the numbers the audit stream links to the one given\n", err)
		numbers = []string{nin}
	}
	pr := newAccessPrinter(stdout, asJSON)
	err = c.SearchAudit(ctx, numbers, pr.print)
	return pr.finish(err, stderr)
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
