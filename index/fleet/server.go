package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ServerConfig configures an embedded NATS server with JetStream (the
// nats-server library, for development, tests and `grunndata nats`;
// production runs a real 3-node NATS cluster, see docs/fleet.md).
type ServerConfig struct {
	// StoreDir holds JetStream's file storage.
	StoreDir string
	// Addr is the client listen address (HOST:PORT; port 0 picks one).
	Addr string
	// Name is the server's name (unique in a cluster; default from Addr).
	Name string
	// Cluster, when set, joins a JetStream cluster of that name, listening
	// for routes on ClusterAddr and connecting to Routes
	// (nats-route://HOST:PORT).
	Cluster     string
	ClusterAddr string
	Routes      []string
	// Log sends the server's own log to stderr.
	Log bool
}

// Server is a running embedded NATS server.
type Server struct {
	s *server.Server
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: bad port", addr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// StartServer starts an embedded NATS server with JetStream and waits until
// it accepts clients (in a cluster, JetStream may need a few more seconds
// to elect its meta leader: see WaitJetStream).
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("nats: a JetStream store directory is required")
	}
	host, port, err := splitHostPort(cfg.Addr)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true,
		NoLog:      !cfg.Log,
		// Object store chunks and AIN values are small; the default max
		// payload (1 MiB) holds a chunk with its headers.
		MaxPayload: 8 << 20,
	}
	if opts.ServerName == "" {
		opts.ServerName = "grunndata-" + strconv.Itoa(port)
	}
	if cfg.Cluster != "" {
		ch, cp, err := splitHostPort(cfg.ClusterAddr)
		if err != nil {
			return nil, fmt.Errorf("cluster %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.Cluster, Host: ch, Port: cp}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	if cfg.Log {
		s.ConfigureLogger()
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats: the server did not accept clients on %s within 10 s", cfg.Addr)
	}
	return &Server{s: s}, nil
}

// ClientURL is the nats:// URL clients connect to.
func (s *Server) ClientURL() string { return s.s.ClientURL() }

// ClusterAddr is the bound route address (nil outside a cluster).
func (s *Server) ClusterAddr() string {
	if a := s.s.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}

// Shutdown stops the server and waits for it.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}

// WaitJetStream waits until JetStream answers at url (a cluster elects its
// meta leader first), or ctx ends.
func WaitJetStream(ctx context.Context, url string) error {
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = js.AccountInfo(c)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("JetStream at %s not ready: %w", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Current reports whether this cluster member has caught up with the
// JetStream meta group and with every fleet stream it holds (after a
// restart: wait for it before taking another member down).
func (s *Server) Current() bool {
	if !s.s.JetStreamIsCurrent() {
		return false
	}
	for _, st := range []string{"KV_" + PointerBucket, "KV_" + ReplicaBucket, "KV_" + AINBucket, "OBJ_" + ObjectBucket} {
		if !s.s.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, st) {
			return false
		}
	}
	// The audit stream exists once a replica audited (or prepared to).
	if s.s.JetStreamIsStreamAssigned(server.DEFAULT_GLOBAL_ACCOUNT, AuditStream) &&
		!s.s.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, AuditStream) {
		return false
	}
	return true
}
