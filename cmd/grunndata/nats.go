package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/grunndata/grunndata/index/fleet"
)

// runNATS is `grunndata nats`: an embedded NATS server with JetStream (the
// nats-server library) for development, tests and `make fleet`. Production
// runs a real 3-node cluster (docs/fleet.md).
func runNATS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg fleet.ServerConfig
	var routes string
	fs := flag.NewFlagSet("nats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.StoreDir, "store", "", "JetStream storage `DIR` (required)")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:4222", "client listen address")
	fs.StringVar(&cfg.Name, "name", "", "server name (unique within a cluster)")
	fs.StringVar(&cfg.Cluster, "cluster", "", "join the JetStream cluster of this `NAME` (with --cluster-addr and --routes)")
	fs.StringVar(&cfg.ClusterAddr, "cluster-addr", "127.0.0.1:6222", "route listen address in a cluster")
	fs.StringVar(&routes, "routes", "", "comma-separated route URLs of the other cluster members (nats-route://HOST:PORT)")
	quiet := fs.Bool("quiet", false, "do not print the server's own log")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || cfg.StoreDir == "" {
		fmt.Fprintln(stderr, "usage: grunndata nats --store DIR [--addr HOST:PORT] [--cluster NAME --cluster-addr HOST:PORT --routes URL,...]")
		return 2
	}
	if routes != "" {
		cfg.Routes = strings.Split(routes, ",")
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "grunndata nats: %v\n", err)
		return 1
	}
	cfg.Log = !*quiet
	s, err := fleet.StartServer(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata nats: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "NATS with JetStream on %s (store %s); Ctrl-C stops it\n", s.ClientURL(), cfg.StoreDir)
	<-ctx.Done()
	s.Shutdown()
	return 0
}
