package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"

	"github.com/grunndata/grunndata/loader/synth"
)

// runGen implements `grunndata gen`: it binds flags into synth.Config and
// calls synth.Generate.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := synth.DefaultConfig()
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Preset, "preset", cfg.Preset, "dataset size: "+strings.Join(synth.Presets(), "|"))
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "dataset seed; the same preset and seed give byte-identical files")
	fs.StringVar(&cfg.Out, "out", "", "output directory (required)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "encoding goroutines (0: one per CPU)")
	fs.IntVar(&cfg.Deltas, "deltas", 0, "also write `N` change-feed directories deltas/0001… continuing the bulk (grunndata load --delta)")
	fs.IntVar(&cfg.DeltaChanges, "delta-changes", 0, "changes per delta over both registers (0: 200 small, 2000 medium, 10000 national)")
	fs.BoolVar(&cfg.DeltasOnly, "deltas-only", false, "write only feed-positions.json and the deltas, for a bulk of the same preset and seed written before")
	fs.IntVar(&cfg.ReshNonLeafServices, "resh-nonleaf-services", 0, "give the first `N` RESH units with children a service each (leaf-node rule violations the loader warns about)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: grunndata gen --preset small|medium|national --seed N --out DIR [--workers N] [--deltas N [--delta-changes M]] [--resh-nonleaf-services N]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || cfg.Out == "" {
		fs.Usage()
		return 2
	}
	if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		cfg.Progress = stderr
	}
	sum, err := synth.Generate(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata gen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s seed %d in %s (%.1fs)\n", sum.Preset, sum.Seed, sum.Dir, sum.Elapsed.Seconds())
	for _, f := range sum.Files {
		name := f.Name
		if f.Files > 1 {
			name = fmt.Sprintf("%s (%d files)", name, f.Files)
		}
		fmt.Fprintf(stdout, "  %-36s %11d records %12d bytes\n", name, f.Records, f.Bytes)
	}
	fmt.Fprintf(stdout, "  %-36s %11d records %12d bytes\n", "total", sum.Records(), sum.Bytes())
	return 0
}
