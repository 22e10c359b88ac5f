package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/grunndata/grunndata/index"
)

// runAIN implements `grunndata ain verify --data DATADIR`.
func runAIN(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: grunndata ain verify --data DATADIR")
		return 2
	}
	fs := flag.NewFlagSet("ain verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data", "data `DIR`")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	s, err := index.OpenAINStore(*data, nil)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata ain: %v (is a server running on this data directory?)\n", err)
		return 1
	}
	defer s.Close()
	n, err := s.Verify()
	if err != nil {
		fmt.Fprintf(stderr, "AIN store %s: INVALID after %d good AINs: %v\n", index.AINDir(*data), n, err)
		return 1
	}
	fmt.Fprintf(stdout, "AIN store %s: %d AINs, all valid and unique\n", index.AINDir(*data), n)
	return 0
}
