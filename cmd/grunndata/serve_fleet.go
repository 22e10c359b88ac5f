package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/index/fleet"
)

// FleetConfig makes `grunndata serve` a fleet replica: it follows the
// fleet's active generation from NATS JetStream, heartbeats, and allocates
// AINs in the fleet's bucket. Empty URL: single node (the default).
type FleetConfig struct {
	URL string
	// Replica names this replica (default: host name and API port).
	Replica string
	// Replicas is the replication factor of buckets created if missing.
	Replicas int
	// RateMiB limits downloads (MiB per second; 0: none).
	RateMiB                     float64
	Heartbeat, Poll, RetryAfter time.Duration
	HeartbeatTTL                time.Duration
}

type fleetState struct {
	// name is the replica's name in the fleet (nameReplica).
	name     string
	client   *fleet.Client
	auditor  *fleet.Auditor
	ain      *fleet.AINStore
	follower *fleet.Follower
	cancel   context.CancelFunc
	done     chan struct{}
}

func bindFleetFlags(fs *flag.FlagSet, c *FleetConfig) {
	fs.StringVar(&c.URL, "nats", "", "follow the fleet on these NATS `URL`s (comma-separated): its active generation, AINs and heartbeats")
	fs.StringVar(&c.Replica, "replica-id", "", "this replica's name in the fleet (default: host name and API port)")
	fs.IntVar(&c.Replicas, "nats-replicas", 1, "replicas of the buckets created if missing: 1 on one node, 3 on a production cluster")
	fs.Float64Var(&c.RateMiB, "fleet-download-mibps", 0, "limit generation downloads to this many MiB/s (0: none)")
	fs.DurationVar(&c.Heartbeat, "fleet-heartbeat", 2*time.Second, "how often this replica writes its heartbeat")
	fs.DurationVar(&c.RetryAfter, "fleet-retry", 30*time.Second, "wait before retrying a fleet generation that was refused")
}

func (c *FleetConfig) validate() error {
	if c.RateMiB < 0 {
		return errors.New("--fleet-download-mibps must be ≥ 0")
	}
	if c.Replica != "" && !fleet.ValidReplicaName(c.Replica) {
		return fmt.Errorf("--replica-id %q: letters, digits, - and _ only", c.Replica)
	}
	if c.URL == "" && c.Replica != "" {
		return errors.New("--replica-id needs --nats")
	}
	return nil
}

// setupFleet connects to NATS (in the background if it does not answer:
// the replica serves its local generation meanwhile) and opens the fleet's
// AIN store.
func (m *Main) setupFleet(cfg *ServeConfig) error {
	fc := cfg.Fleet
	if fc.URL == "" {
		return nil
	}
	c, err := fleet.Connect(fleet.Config{URL: fc.URL, Replicas: fc.Replicas, Retry: true, Name: "grunndata-serve",
		HeartbeatTTL: fc.HeartbeatTTL, Log: m.Log})
	if err != nil {
		return err
	}
	if !c.Connected() {
		m.Log.Error("NATS does not answer; serving the local generation until it does", "nats", fc.URL)
	}
	m.fleet.client = c
	m.fleet.ain = fleet.OpenAINStore(c, m.Log)
	return nil
}

// startFleet starts following the fleet once the listeners are bound.
func (m *Main) startFleet(reg *prometheus.Registry) {
	c := m.fleet.client
	if c == nil {
		return
	}
	fc := m.Config.Fleet
	name := m.fleet.name
	f := fleet.NewFollower(fleet.FollowerConfig{
		Client: c, DataDir: m.Config.DataDir, Replica: name, API: m.APIAddr(),
		Active: func() string {
			if g := m.store.Active(); g != nil {
				return g.ID()
			}
			return ""
		},
		Activate: func(gen string) error {
			_, err := m.store.ActivateWith(gen, index.ActivateOptions{Durable: true, Warm: m.warmFunc()})
			return err
		},
		Heartbeat: fc.Heartbeat, Poll: fc.Poll, RetryAfter: fc.RetryAfter,
		Fetch: fleet.FetchOptions{RateBytes: int64(fc.RateMiB * (1 << 20))}, Log: m.Log,
	})
	reg.MustRegister(f)
	ctx, cancel := context.WithCancel(context.Background())
	m.fleet.follower, m.fleet.cancel, m.fleet.done = f, cancel, make(chan struct{})
	go func() {
		defer close(m.fleet.done)
		var imp sync.WaitGroup
		if m.fleet.auditor != nil {
			imp.Go(func() { m.importLocalAudit(ctx) })
		}
		f.Run(ctx)
		imp.Wait()
	}()
	m.Log.Info("following the fleet", "nats", fc.URL, "replica", name)
}

// localAuditDir is where this node's file audit log is (or was, before it
// joined a fleet).
func (m *Main) localAuditDir() string {
	if d := m.Config.Security.AuditDir; d != "" {
		return d
	}
	return filepath.Join(m.Config.DataDir, "audit")
}

// importLocalAudit copies the node's pre-fleet file audit log into the
// fleet's stream (fleet.ImportLocalAudit: resumable, idempotent), retrying
// while NATS does not answer. The local log stays where it is.
func (m *Main) importLocalAudit(ctx context.Context) {
	dir := m.localAuditDir()
	if _, err := os.Stat(dir); err != nil {
		return
	}
	for ctx.Err() == nil {
		rep, err := m.fleet.client.ImportLocalAudit(ctx, m.fleet.name, dir, 0)
		if err == nil {
			if rep.Records > 0 {
				m.Log.Info("copied the local audit log from before the fleet into the audit stream", "dir", dir,
					"subject", rep.Subject, "records", rep.Records, "already", rep.Skipped, "seconds", rep.Elapsed.Seconds())
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, fleet.ErrLocalAudit) {
			m.Log.Error("the local audit log from before the fleet is not copied into the audit stream; it stays in its directory", "dir", dir, "err", err)
			return
		}
		m.Log.Error("copy the local audit log into the audit stream; retrying in 30 s", "dir", dir, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(30 * time.Second):
		}
	}
}

// fleetAuditor is the replica's audit log in fleet mode: every record is
// published to the fleet's JetStream stream, on the replica's own chain
// (named by nameReplica before the API serves).
func (m *Main) fleetAuditor() (*fleet.Auditor, error) {
	a, err := fleet.NewAuditor(m.fleet.client, fleet.AuditConfig{Observe: m.ops.observeAudit, Log: m.Log})
	if err != nil {
		return nil, fmt.Errorf("audit stream: %w", err)
	}
	m.fleet.auditor = a
	return a, nil
}

// nameReplica names the replica (--replica-id, or the host name and API
// port) once the API listener is bound, before it serves: its heartbeat
// and its audit chain carry the name.
func (m *Main) nameReplica() error {
	if m.fleet.client == nil {
		return nil
	}
	m.fleet.name = m.Config.Fleet.Replica
	if m.fleet.name == "" {
		m.fleet.name = defaultReplicaName(m.APIAddr())
	}
	if m.fleet.auditor != nil {
		return m.fleet.auditor.SetReplica(m.fleet.name)
	}
	return nil
}

func defaultReplicaName(api string) string {
	h, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(api)
	var b strings.Builder
	for _, r := range h + "-" + port {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// fleetReadyDetail adds the replica's fleet state to /readyz.
func (m *Main) fleetReadyDetail() map[string]func() any {
	if m.fleet.client == nil {
		return nil
	}
	return map[string]func() any{"fleet": func() any {
		if f := m.fleet.follower; f != nil {
			return f.Status()
		}
		return nil
	}}
}

// FleetStatus returns the replica's fleet state (tests).
func (m *Main) FleetStatus() (fleet.Status, bool) {
	if m.fleet.follower == nil {
		return fleet.Status{}, false
	}
	return m.fleet.follower.Status(), true
}

func (m *Main) closeFleet() {
	if m.fleet.cancel != nil {
		m.fleet.cancel()
		<-m.fleet.done
		m.fleet.cancel = nil
	}
	if m.fleet.ain != nil {
		m.fleet.ain.Close()
		m.fleet.ain = nil
	}
	if m.fleet.client != nil {
		m.fleet.client.Close()
		m.fleet.client = nil
	}
}
