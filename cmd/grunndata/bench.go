package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/grunndata/grunndata/bench"
)

// runBench implements `grunndata bench`: it binds flags into bench.Config,
// runs bench.Run and prints the report (or, with --compare, compares two).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Target, "target", cfg.Target, "API base `URL`, or several comma-separated (a fleet's replicas: the connections spread over them)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send requests")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: requests per second, latency measured from when each was due (0: closed loop)")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "connections (and requests in flight at most)")
	mix := fs.String("mix", bench.DefaultMix, "route weights: her, org, person, hpr, gp, resh")
	fs.Float64Var(&cfg.MissRate, "miss-rate", cfg.MissRate, "share of well-formed ids that do not exist")
	fs.Float64Var(&cfg.InvalidRate, "invalid-rate", cfg.InvalidRate, "share of malformed ids")
	fs.Float64Var(&cfg.Zipf, "zipf", cfg.Zipf, "zipfian key popularity with this exponent s > 1 (0: uniform)")
	fs.StringVar(&cfg.IDsFrom, "ids-from", "data", "dataset `DIR` (or data directory with DIR/source) to read ids from")
	fs.IntVar(&cfg.MaxIDs, "max-ids", cfg.MaxIDs, "ids read per route at most")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the request sequence")
	fs.StringVar(&cfg.AuthToken, "auth-token", "", "bearer `TOKEN` sent with every request")
	tokenFile := fs.String("token-file", "", "read the bearer token from `FILE`")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "open loop: how long after --duration to keep sending requests that were due")
	fs.StringVar(&cfg.Admin, "admin", "", "admin listener base `URL` (for --activate-every)")
	fs.DurationVar(&cfg.ActivateEvery, "activate-every", 0, "alternate the two newest generations this often (needs --admin)")
	jsonOut := fs.String("json", "", "also write the report as JSON to `FILE`")
	quiet := fs.Bool("quiet", false, "no per-second lines")
	compare := fs.Bool("compare", false, "compare two JSON reports: grunndata bench --compare A.json B.json")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: grunndata bench --target URL[,URL...] --ids-from DIR [--rate R | --connections N] [flags]\n"+
			"       grunndata bench --compare A.json B.json\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *compare {
		if fs.NArg() != 2 {
			fs.Usage()
			return 2
		}
		a, err := bench.ReadReport(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "grunndata bench: %v\n", err)
			return 1
		}
		b, err := bench.ReadReport(fs.Arg(1))
		if err != nil {
			fmt.Fprintf(stderr, "grunndata bench: %v\n", err)
			return 1
		}
		bench.Compare(stdout, &a, &b, fs.Arg(0), fs.Arg(1))
		return 0
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	var err error
	if cfg.Mix, err = bench.ParseMix(*mix); err != nil {
		fmt.Fprintf(stderr, "grunndata bench: %v\n", err)
		return 2
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintf(stderr, "grunndata bench: %v\n", err)
			return 1
		}
		cfg.AuthToken = strings.TrimSpace(string(b))
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata bench: %v\n", err)
		return 1
	}
	rep.WriteText(stdout)
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			fmt.Fprintf(stderr, "grunndata bench: %v\n", err)
			return 1
		}
	}
	return 0
}
