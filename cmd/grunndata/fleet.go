package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/index/fleet"
)

// fleetFlags are the NATS flags of publish and fleet.
type fleetFlags struct {
	url      string
	replicas int
	timeout  time.Duration
}

func (f *fleetFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "nats", "", "NATS `URL`s of the fleet (comma-separated)")
	fs.IntVar(&f.replicas, "nats-replicas", 1, "replicas of the buckets created if missing: 1 on one node, 3 on a production cluster")
	fs.DurationVar(&f.timeout, "nats-timeout", 10*time.Second, "timeout of each NATS request")
}

func (f *fleetFlags) connect(name string) (*fleet.Client, error) {
	return fleet.Connect(fleet.Config{URL: f.url, Replicas: f.replicas, Timeout: f.timeout, Name: name})
}

// parseInterleaved parses flags that may follow positional arguments
// ("fleet activate 000002 --nats URL") and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func whoAmI() string {
	h, _ := os.Hostname()
	return h
}

// runPublish is `grunndata publish`.
func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var ff fleetFlags
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data", "producer data `DIR`")
	gen := fs.String("generation", "", "generation to publish (default: the active one)")
	noActivate := fs.Bool("no-activate", false, "upload only; move the fleet pointer later with `grunndata fleet activate`")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	ff.bind(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || ff.url == "" {
		fmt.Fprintln(stderr, "usage: grunndata publish --data DIR --nats URL [--generation GEN] [--no-activate]")
		return 2
	}
	if *gen == "" {
		id, err := index.ReadActive(*data)
		if err != nil || id == "" {
			fmt.Fprintf(stderr, "grunndata publish: %s has no active generation (load one, or name it with --generation): %v\n", *data, err)
			return 1
		}
		*gen = id
	}
	c, err := ff.connect("grunndata-publish")
	if err != nil {
		fmt.Fprintf(stderr, "grunndata publish: %v\n", err)
		return 1
	}
	defer c.Close()
	rep, err := c.Publish(ctx, *data, *gen, !*noActivate, whoAmI())
	if err != nil {
		fmt.Fprintf(stderr, "grunndata publish: %v\n", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(map[string]any{"generation": rep.Generation, "files": rep.Files, "uploaded": rep.Uploaded,
			"skipped": rep.Skipped, "bytes": rep.Bytes, "uploadedBytes": rep.UploadedBytes, "seconds": rep.Elapsed.Seconds(),
			"mbPerSecond": rep.MBPerSecond(), "activated": rep.Pointer.Generation != ""})
		return 0
	}
	fmt.Fprintf(stdout, "published generation %s: %d files, %d uploaded (%.1f MB in %.2f s, %.1f MB/s), %d already in the object store\n",
		rep.Generation, rep.Files, rep.Uploaded, float64(rep.UploadedBytes)/(1<<20), rep.Elapsed.Seconds(), rep.MBPerSecond(), rep.Skipped)
	if rep.Pointer.Generation != "" {
		fmt.Fprintf(stdout, "the fleet's active generation is now %s (revision %d)\n", rep.Pointer.Generation, rep.Pointer.Revision)
	}
	return 0
}

// runFleet is `grunndata fleet activate GEN|rollback|status`.
func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var ff fleetFlags
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	ff.bind(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	usage := func() int {
		fmt.Fprintln(stderr, "usage: grunndata fleet activate GEN|rollback|status [--json] --nats URL")
		return 2
	}
	if len(pos) == 0 || ff.url == "" {
		return usage()
	}
	switch {
	case pos[0] == "activate" && len(pos) == 2 && index.ValidID(pos[1]):
	case (pos[0] == "rollback" || pos[0] == "status") && len(pos) == 1:
	default:
		return usage()
	}
	c, err := ff.connect("grunndata-fleet")
	if err != nil {
		fmt.Fprintf(stderr, "grunndata fleet: %v\n", err)
		return 1
	}
	defer c.Close()
	var p fleet.Pointer
	switch pos[0] {
	case "activate":
		p, err = c.Activate(ctx, pos[1], whoAmI())
	case "rollback":
		p, err = c.Rollback(ctx, whoAmI())
	case "status":
		return fleetStatus(ctx, c, *asJSON, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "grunndata fleet %s: %v\n", pos[0], err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(p)
		return 0
	}
	fmt.Fprintf(stdout, "the fleet's active generation is now %s (revision %d); replicas follow within seconds: grunndata fleet status --nats %s\n",
		p.Generation, p.Revision, ff.url)
	return 0
}

func fleetStatus(ctx context.Context, c *fleet.Client, asJSON bool, stdout, stderr io.Writer) int {
	p, err := c.Pointer(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata fleet status: %v\n", err)
		return 1
	}
	gens, err := c.Generations(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata fleet status: %v\n", err)
		return 1
	}
	reps, err := c.Replicas(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata fleet status: %v\n", err)
		return 1
	}
	type replica struct {
		fleet.Heartbeat
		Lag          int     `json:"lag"`
		HeartbeatAgo float64 `json:"heartbeatSecondsAgo"`
	}
	out := struct {
		Fleet     string    `json:"fleetGeneration"`
		History   []string  `json:"history"`
		Revision  uint64    `json:"revision"`
		Published []string  `json:"published"`
		Replicas  []replica `json:"replicas"`
	}{p.Generation, p.History, p.Revision, gens, []replica{}}
	for _, hb := range reps {
		out.Replicas = append(out.Replicas, replica{hb, fleet.Lag(gens, hb.Generation, p.Generation), hb.Age.Seconds()})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	fmt.Fprintf(stdout, "fleet generation: %s (revision %d, history %v)\npublished: %v\n", orDash(p.Generation), p.Revision, p.History, gens)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tAPI\tGENERATION\tLAG\tSTATE\tHEARTBEAT\tERROR")
	for _, r := range out.Replicas {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%.1fs ago\t%s\n", r.Replica, r.API, orDash(r.Generation), r.Lag, r.State, r.HeartbeatAgo, r.Error)
	}
	tw.Flush()
	if len(out.Replicas) == 0 {
		fmt.Fprintln(stdout, "(no replica has sent a heartbeat within the bucket's TTL)")
	}
	return 0
}
