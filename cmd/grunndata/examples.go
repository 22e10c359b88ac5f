package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// runExamples prints curl commands that work against the active generation
// of a data directory: `make run` shows them before it starts the server.
func runExamples(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("examples", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data", "data `DIR`")
	addr := fs.String("addr", "127.0.0.1:8080", "API address the commands should call")
	token := fs.String("token", "", "bearer token to put in the commands (empty: none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := index.DefaultConfig(*data)
	cfg.BlockCacheBytes = 8 << 20
	s, err := index.Open(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata examples: %v\n", err)
		return 1
	}
	defer s.Close()
	v, err := s.Acquire()
	if err != nil {
		fmt.Fprintf(stderr, "grunndata examples: %v\n", err)
		return 1
	}
	defer v.Release()
	first := func(reg registry.Register, accept func(k, v []byte) bool) []byte {
		var out []byte
		v.Scan([]byte{byte(reg)}, nil, func(k, val []byte) bool {
			if accept == nil || accept(k, val) {
				out = append([]byte(nil), k[1:]...)
				return false
			}
			return true
		})
		return out
	}
	auth := ""
	if *token != "" {
		auth = fmt.Sprintf(" -H 'Authorization: Bearer %s'", *token)
	}
	base := "http://" + *addr
	if k := first(registry.RegParty, nil); k != nil {
		fmt.Fprintf(stdout, "curl -s%s %s/v1/communication-parties/%d\n", auth, base, binary.BigEndian.Uint32(k))
	}
	if k := first(registry.RegOrganisation, nil); k != nil {
		fmt.Fprintf(stdout, "curl -s%s %s/v1/organisations/%s\n", auth, base, k)
	}
	// Certificates: a service that inherits its organisation's (the answer
	// says inherited: true) and an organisation's by its orgnr.
	if k := first(registry.RegCertificates, func(_, val []byte) bool {
		_, owner, mask, err := registry.OpenCertSet(val)
		return err == nil && owner != 0 && mask&registry.CertMaskEncryption != 0
	}); k != nil {
		fmt.Fprintf(stdout, "curl -s%s '%s/v1/communication-parties/%d/certificates?usage=encryption'\n", auth, base, binary.BigEndian.Uint32(k))
	}
	if k := first(registry.IdxCertOrgnr, nil); k != nil {
		fmt.Fprintf(stdout, "curl -s%s %s/v1/organisations/%s/certificates\n", auth, base, k)
	}
	// A person with a GP, so that the GP lookup works with the same number.
	if k := first(registry.RegGPPatient, nil); k != nil {
		fmt.Fprintf(stdout, "curl -s%s -H 'Content-Type: application/json' -d '{\"nin\":\"%s\"}' %s/v1/persons/lookup\n", auth, k, base)
		fmt.Fprintf(stdout, "curl -s%s -H 'Content-Type: application/json' -d '{\"nin\":\"%s\"}' %s/v1/gp/lookup\n", auth, k, base)
	}
	return 0
}
