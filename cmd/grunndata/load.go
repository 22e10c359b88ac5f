package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/loader"
)

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "dataset `DIR` to load (the formats of docs/formats.md)")
	delta := fs.String("delta", "", "apply the change-feed `DIR` (docs/formats.md, Delta directory) to the active generation instead")
	data := fs.String("data", "data", "data `DIR` that receives the generation")
	def := loader.DefaultConfig("", "")
	ratio := fs.Float64("max-reject-ratio", def.MaxRejectRatio, "fail when a register rejects more than this share of its records")
	noActivate := fs.Bool("no-activate", false, "build the generation but leave the active one")
	sortMB := fs.Int("sort-mb", def.SortBytes>>20, "memory for sorting keys before spilling to disk, in MiB")
	workers := fs.Int("workers", def.Workers, "Folkeregisteret files parsed in parallel")
	maxShrink := fs.Float64("max-shrink", def.MaxShrinkPercent, "refuse a load with fewer records of a register than the active generation by more than this `PERCENT`")
	var allowMissing, allowShrink registerList
	fs.Var(&allowMissing, "allow-missing", "load although `REGISTERS` (comma-separated: resh, ar, flr, hpr, freg, brreg, or register names) are missing or empty")
	fs.Var(&allowShrink, "allow-shrink", "load although `REGISTERS` shrink by more than --max-shrink")
	quiet := fs.Bool("quiet", false, "no progress output")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load to `FILE`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "grunndata load: %v\n", err)
			return 1
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if (*from == "") == (*delta == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: grunndata load --from DIR --data DATADIR [flags]\n       grunndata load --delta DIR --data DATADIR [flags]")
		fs.PrintDefaults()
		return 2
	}
	src := *from
	if *delta != "" {
		src = *delta
	}
	cfg := loader.DefaultConfig(src, *data)
	cfg.MaxRejectRatio, cfg.Activate, cfg.SortBytes, cfg.Workers = *ratio, !*noActivate, *sortMB<<20, *workers
	cfg.MaxShrinkPercent, cfg.AllowMissing, cfg.AllowShrink = *maxShrink, allowMissing, allowShrink
	for _, l := range []registerList{allowMissing, allowShrink} {
		if _, err := loader.ExpandRegisters(l); err != nil {
			fmt.Fprintf(stderr, "grunndata load: %v\n", err)
			return 2
		}
	}
	cfg.Logger = newLogger(stderr)
	if !*quiet {
		cfg.Progress = stderr
		if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			cfg.ProgressTTY = true
		}
	}
	run := loader.Run
	if *delta != "" {
		run = loader.RunDelta
	}
	start := time.Now()
	rep, err := run(ctx, cfg)
	printLoadReport(stdout, &rep)
	if rerr := index.RecordLoad(*data, loadOutcome(start, *delta != "", &rep, err)); rerr != nil {
		fmt.Fprintf(stderr, "grunndata load: record the outcome in %s: %v\n", index.LoadStatusName, rerr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "grunndata load: %v\n", err)
		if errors.Is(err, loader.ErrTooManyRejects) {
			fmt.Fprintf(stderr, "nothing was activated; the previous generation keeps serving\n")
		} else {
			fmt.Fprintf(stderr, "load failed: nothing was activated; the previous generation keeps serving\n")
		}
		return 1
	}
	if *delta != "" && rep.Generation == "" {
		fmt.Fprintf(stdout, "the delta has no changes; generation %s stays active\n", rep.Parent)
		return 0
	}
	if rep.Activated {
		fmt.Fprintf(stdout, "generation %s is active (a running server picks it up within a second, or on SIGHUP)\n", rep.Generation)
	} else {
		fmt.Fprintf(stdout, "generation %s is built, not active (grunndata snapshots activate %s)\n", rep.Generation, rep.Generation)
	}
	return 0
}

// registerList is a repeatable, comma-separated flag of register names.
type registerList []string

func (l *registerList) String() string { return strings.Join(*l, ",") }

func (l *registerList) Set(v string) error {
	*l = append(*l, strings.Split(v, ",")...)
	return nil
}

func printLoadReport(w io.Writer, rep *loader.Report) {
	if len(rep.Feeds) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "feed\tfrom\tto\tpages\titems\tapplied\tukjent\trejects\t")
		for _, f := range rep.Feeds {
			from := strconv.FormatInt(f.From, 10)
			if !f.HadPosition {
				from = "(none)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f.Feed, from, f.To, f.Pages, f.Items, f.Applied, f.Ukjent, f.Rejects)
		}
		tw.Flush()
		for _, f := range rep.Feeds {
			if !f.HadPosition {
				fmt.Fprintf(w, "warning: %s: the parent generation %s recorded no position, so continuity with it was not checked\n", f.Feed, rep.Parent)
			}
			if f.Ukjent > 0 {
				fmt.Fprintf(w, "%s: %d changes of type Ukjent were reported, not applied\n", f.Feed, f.Ukjent)
			}
		}
	}
	if len(rep.UnknownKeys) > 0 {
		fmt.Fprintf(w, "unknown Folkeregisteret keys (ignored):")
		for i, k := range rep.UnknownKeys {
			if i == 8 {
				fmt.Fprintf(w, " … (%d more)", len(rep.UnknownKeys)-i)
				break
			}
			fmt.Fprintf(w, " %s×%d", k.Key, k.Count)
		}
		fmt.Fprintln(w)
	}
	if len(rep.Registers) == 0 {
		return
	}
	if len(rep.Feeds) > 0 {
		fmt.Fprintf(w, "records now:")
		for _, s := range rep.Registers {
			fmt.Fprintf(w, " %s %d", s.Register, s.Records)
		}
		fmt.Fprintf(w, "\ngeneration %s (from %s): %.1f MB on disk, %.2fs\n", rep.Generation, rep.Parent, float64(rep.SizeBytes)/1e6, rep.Duration.Seconds())
		if rep.RejectFile != "" && hasRejects(rep) {
			fmt.Fprintf(w, "rejects: %s\n", rep.RejectFile)
		}
		printWarnings(w, rep)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "register\tfiles\tMB in\trecords\trejects\twarnings\tseconds\trecords/s\t")
	var recs, rejs, warns int64
	for _, s := range rep.Registers {
		secs := s.Duration.Seconds()
		rate := 0.0
		if secs > 0 {
			rate = float64(s.Records) / secs
		}
		nw := sum(s.Warnings)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%d\t%.1f\t%.0f\t\n", s.Register, s.Files, float64(s.Bytes)/1e6, s.Records, s.Rejects, nw, secs, rate)
		recs += s.Records
		rejs += s.Rejects
		warns += nw
	}
	total := rep.Duration.Seconds()
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t%d\t%.1f\t%.0f\t\n", recs, rejs, warns, total, float64(recs)/max(total, 1e-9))
	tw.Flush()
	fmt.Fprintf(w, "generation %s: %.1f MB on disk\n", rep.Generation, float64(rep.SizeBytes)/1e6)
	if rejs > 0 {
		fmt.Fprintf(w, "rejects: %s\n", rep.RejectFile)
	}
	printWarnings(w, rep)
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// printWarnings lists the warnings by register and rule: records loaded as
// given (a reference to an entity the dataset lacks), not rejects.
func printWarnings(w io.Writer, rep *loader.Report) {
	var parts []string
	for _, s := range rep.Registers {
		rules := make([]string, 0, len(s.Warnings))
		for r := range s.Warnings {
			rules = append(rules, r)
		}
		sort.Strings(rules)
		for _, r := range rules {
			parts = append(parts, fmt.Sprintf("%s %s×%d", s.Register, r, s.Warnings[r]))
		}
	}
	if len(parts) == 0 {
		return
	}
	fmt.Fprintf(w, "warnings (loaded as given, not rejects): %s\nwarnings: %s\n", strings.Join(parts, ", "), rep.WarningFile)
}

func hasRejects(rep *loader.Report) bool {
	for _, f := range rep.Feeds {
		if f.Rejects > 0 {
			return true
		}
	}
	return false
}

// loadOutcome is what the data directory remembers of a load (index.LOADS):
// the server reports it as metrics, and alerts fire on a failed load and on
// a rising reject ratio.
func loadOutcome(start time.Time, delta bool, rep *loader.Report, err error) index.LoadOutcome {
	o := index.LoadOutcome{At: time.Now().UTC(), Generation: rep.Generation, Parent: rep.Parent, Delta: delta,
		Seconds: time.Since(start).Seconds(), Activated: rep.Activated,
		Records: map[string]int64{}, Rejects: map[string]int64{}}
	if err != nil {
		o.Error = err.Error()
	}
	if delta {
		for _, f := range rep.Feeds {
			o.Records[f.Feed] += f.Items
			o.Rejects[f.Feed] += f.Rejects
		}
		return o
	}
	for _, s := range rep.Registers {
		o.Records[s.Register] += s.Records
		o.Rejects[s.Register] += s.Rejects
	}
	return o
}
