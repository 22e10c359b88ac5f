// Command grunndata is the one binary of the service: it generates synthetic
// datasets, loads snapshots, serves lookups, manages generations and runs the
// load harness. It binds flags into the packages' Config structs and wires
// them together; nothing imports it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set through -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "serve lookups from the active snapshot generation", runServe},
		{"load", "build a snapshot generation from source files and activate it", runLoad},
		{"snapshots", "list, activate, roll back, prune and verify snapshot generations", runSnapshots},
		{"gen", "write a deterministic synthetic national dataset", runGen},
		{"id", "validate identifiers: grunndata id VALUE...", runID},
		{"token", "mint a development access token (local key, created on first use)", runToken},
		{"audit", "verify the audit log, or list who looked a person up", runAudit},
		{"ain", "verify the store of allocated AINs (felles hjelpenummer)", runAIN},
		{"certs", "certificate report: revoked, untrusted, expired, missing, expiring within N days", runCerts},
		{"nats", "run an embedded NATS server with JetStream (development and tests)", runNATS},
		{"publish", "upload a generation to the fleet's object store and make it the fleet's active one", runPublish},
		{"fleet", "activate, roll back or show the fleet's generation and replicas", runFleet},
		{"backup", "back up the AIN store and the audit log into one verified archive (also while serving)", runBackup},
		{"restore", "restore the AIN store and the audit log from a backup archive", runRestore},
		{"examples", "print curl commands that work against a data directory", runExamples},
		{"bench", "load-test a running server: open or closed loop, HDR latency report", runBench},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, version)
			return 0
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: grunndata COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(w, "\nRun 'grunndata COMMAND -h' for the flags of a command.\n")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "grunndata: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}
