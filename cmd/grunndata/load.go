package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/mattn/go-isatty"

	"github.com/grunndata/grunndata/loader"
)

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "dataset `DIR` to load (the formats of docs/formats.md)")
	data := fs.String("data", "data", "data `DIR` that receives the generation")
	def := loader.DefaultConfig("", "")
	ratio := fs.Float64("max-reject-ratio", def.MaxRejectRatio, "fail when a register rejects more than this share of its records")
	noActivate := fs.Bool("no-activate", false, "build the generation but leave the active one")
	sortMB := fs.Int("sort-mb", def.SortBytes>>20, "memory for sorting keys before spilling to disk, in MiB")
	workers := fs.Int("workers", def.Workers, "Folkeregisteret files parsed in parallel")
	quiet := fs.Bool("quiet", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: grunndata load --from DIR --data DATADIR [flags]")
		fs.PrintDefaults()
		return 2
	}
	cfg := loader.DefaultConfig(*from, *data)
	cfg.MaxRejectRatio, cfg.Activate, cfg.SortBytes, cfg.Workers = *ratio, !*noActivate, *sortMB<<20, *workers
	cfg.Logger = newLogger(stderr)
	if !*quiet {
		cfg.Progress = stderr
		if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			cfg.ProgressTTY = true
		}
	}
	rep, err := loader.Run(ctx, cfg)
	printLoadReport(stdout, &rep)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata load: %v\n", err)
		if errors.Is(err, loader.ErrTooManyRejects) {
			fmt.Fprintf(stderr, "nothing was activated; the previous generation keeps serving\n")
		} else {
			fmt.Fprintf(stderr, "load failed: nothing was activated; the previous generation keeps serving\n")
		}
		return 1
	}
	if rep.Activated {
		fmt.Fprintf(stdout, "generation %s is active (a running server picks it up within a second, or on SIGHUP)\n", rep.Generation)
	} else {
		fmt.Fprintf(stdout, "generation %s is built, not active (grunndata snapshots activate %s)\n", rep.Generation, rep.Generation)
	}
	return 0
}

func printLoadReport(w io.Writer, rep *loader.Report) {
	if len(rep.Registers) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "register\tfiles\tMB in\trecords\trejects\tseconds\trecords/s\t")
	var recs, rejs int64
	for _, s := range rep.Registers {
		secs := s.Duration.Seconds()
		rate := 0.0
		if secs > 0 {
			rate = float64(s.Records) / secs
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%.1f\t%.0f\t\n", s.Register, s.Files, float64(s.Bytes)/1e6, s.Records, s.Rejects, secs, rate)
		recs += s.Records
		rejs += s.Rejects
	}
	total := rep.Duration.Seconds()
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t%.1f\t%.0f\t\n", recs, rejs, total, float64(recs)/max(total, 1e-9))
	tw.Flush()
	fmt.Fprintf(w, "generation %s: %.1f MB on disk\n", rep.Generation, float64(rep.SizeBytes)/1e6)
	if rejs > 0 {
		fmt.Fprintf(w, "rejects: %s\n", rep.RejectFile)
	}
}
