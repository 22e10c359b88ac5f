package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// runCerts is `grunndata certs report`: the certificate problems of the
// active generation — revoked, untrusted, expired, usage mismatch, missing,
// not yet valid, expiring within N days — per party, with how many parties
// inherit each slot.
func runCerts(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "report" {
		fmt.Fprintln(stderr, "usage: grunndata certs report --data DIR [--days N] [--at RFC3339] [--json]")
		return 2
	}
	fs := flag.NewFlagSet("certs report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data", "data `DIR`")
	days := fs.Int("days", 30, "list certificates that expire within `N` days")
	atStr := fs.String("at", "", "evaluate at this instant (RFC 3339; default now)")
	asJSON := fs.Bool("json", false, "print the report as JSON (the admin endpoint's shape)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *days < 0 {
		fmt.Fprintln(stderr, "grunndata certs report: --days must be ≥ 0")
		return 2
	}
	at := time.Now()
	if *atStr != "" {
		t, err := time.Parse(time.RFC3339, *atStr)
		if err != nil {
			fmt.Fprintf(stderr, "grunndata certs report: --at: %v\n", err)
			return 2
		}
		at = t
	}
	cfg := index.DefaultConfig(*data)
	cfg.BlockCacheBytes = 32 << 20
	s, err := index.Open(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata certs report: %v\n", err)
		return 1
	}
	defer s.Close()
	v, err := s.Acquire()
	if err != nil {
		fmt.Fprintf(stderr, "grunndata certs report: %v\n", err)
		return 1
	}
	defer v.Release()
	rep, err := registry.BuildCertReport(v, at, *days)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata certs report: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return 1
		}
		return 0
	}
	writeCertReport(stdout, rep)
	return 0
}

func writeCertReport(w io.Writer, rep *registry.CertReport) {
	fmt.Fprintf(w, "generation %s, at %s, expiry horizon %d days\n", rep.Generation, rep.At.Format(time.RFC3339), rep.WithinDays)
	fmt.Fprintf(w, "%d parties: %d hold certificates (%d certificates), %d inherit them\n",
		rep.Summary["parties"], rep.Summary["holding"], rep.Summary["certificates"], rep.Summary["inheriting"])
	for _, p := range []string{registry.CertProblemRevoked, registry.CertProblemUntrusted, registry.CertProblemExpired,
		registry.CertProblemUsageMismatch, registry.CertProblemMissing, registry.CertProblemNotYetValid, registry.CertProblemExpiringSoon} {
		fmt.Fprintf(w, "  %-14s %d\n", p, rep.Summary[p])
	}
	if len(rep.Findings) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBLEM\tHER-ID\tTYPE\tUSAGE\tNOT AFTER\tINHERITED BY\tNAME")
	for _, f := range rep.Findings {
		na := "-"
		if f.NotAfter != nil {
			na = f.NotAfter.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\n", f.Problem, f.HerID, f.Type, f.Usage, na, f.Dependants, f.Name)
	}
	tw.Flush()
}
