package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/cache"
	"github.com/grunndata/grunndata/registry/console"
	"github.com/grunndata/grunndata/registry/ops"
	"github.com/grunndata/grunndata/registry/server"
)

// ServeConfig is everything `grunndata serve` is configured with.
type ServeConfig struct {
	DataDir   string
	Addr      string
	AdminAddr string
	// FollowInterval is how often the ACTIVE pointer is checked for a new
	// generation (SIGHUP checks at once; on Linux inotify does too).
	FollowInterval time.Duration
	// Warm is how many of the most requested keys are read from a new
	// generation into the cache before it is swapped in (0: no warm-up),
	// by WarmWorkers goroutines (more finish sooner but compete harder
	// with the requests being served; see docs/operations.md).
	Warm, WarmWorkers int
	Index             index.Config
	Cache             cache.Config
	Server            server.Config
	TLSCert           string
	TLSKey            string
	// Security is authentication, scopes and auditing (serve_security.go).
	Security SecurityConfig
	// Fleet, with a NATS URL, makes this process a fleet replica
	// (serve_fleet.go).
	Fleet FleetConfig
}

// DefaultServeConfig returns the defaults.
func DefaultServeConfig() ServeConfig {
	return ServeConfig{
		DataDir:        "data",
		Addr:           "127.0.0.1:8080",
		AdminAddr:      "127.0.0.1:9090",
		FollowInterval: time.Second,
		WarmWorkers:    1,
		Index:          index.DefaultConfig("data"),
		Cache:          cache.DefaultConfig(),
		Server:         server.DefaultConfig(),
	}
}

// Main is the serving daemon: open the store, serve the API and the admin
// listener, follow activations. Tests run it on :0 (main_test.go).
type Main struct {
	Config ServeConfig
	Log    *slog.Logger

	store    *index.Store
	cache    *cache.Cache
	disk     diskCache
	api      *server.Server
	admin    *http.Server
	apiLn    net.Listener
	adminLn  net.Listener
	security securityState
	fleet    fleetState
	ops      *opsMetrics
	// consoleStop stops the console's metric sampler.
	consoleStop    chan struct{}
	consoleSampler *console.Sampler
	done           chan struct{}
	hup            chan os.Signal
	serveErr       chan error
}

// Run opens everything and starts serving; it returns once listening.
func (m *Main) Run(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	cfg := m.Config
	cfg.Index.Dir = cfg.DataDir
	cfg.Index.Logger = m.Log
	if cfg.Warm > 0 && cfg.Cache.TrackKeys == 0 {
		cfg.Cache.TrackKeys = min(max(4*cfg.Warm, 1024), 1<<20)
	}
	m.Config = cfg
	var err error
	if m.store, err = index.Open(cfg.Index); err != nil {
		return err
	}
	if m.cache, err = cache.New(cfg.Cache); err != nil {
		m.store.Close()
		return err
	}
	reg := prometheus.NewRegistry()
	m.ops = newOpsMetrics(reg, cfg.DataDir)
	if err := m.setupFleet(&cfg); err != nil {
		m.Close()
		return err
	}
	if err := m.setupSecurity(&cfg); err != nil {
		m.Close()
		return err
	}
	// The API's request metrics go to /metrics and to the console's
	// sampler (a registry of their own: the sampler never runs the other
	// collectors).
	apiReg := prometheus.NewRegistry()
	m.api = server.New(cfg.Server, m.store, m.cache, server.NewMetrics(reg, apiReg), m.Log)
	// The admin listener's routes (server.adminRoutes) need grunndata:admin
	// when authentication is on, but /healthz, /readyz and /metrics.
	reg.MustRegister(ops.NewCertCollector(m.store, cfg.Server.Clock))
	adminHandler := server.NewAdmin(server.AdminConfig{Status: m.status, Cache: m.cache, Registry: reg, Auth: m.security.auth,
		Snapshots: snapshotAdmin{m}, Store: m.store, Clock: cfg.Server.Clock, AuditDir: m.security.auditDir,
		Backup: m.backupHandler(), ReadyDetail: m.fleetReadyDetail(), Console: m.newConsole(apiReg)})
	if m.apiLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		m.Close()
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	if m.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
		m.Close()
		return fmt.Errorf("listen admin %s: %w", cfg.AdminAddr, err)
	}
	if err := m.nameReplica(); err != nil {
		m.Close()
		return err
	}
	m.admin = &http.Server{Handler: adminHandler, ReadHeaderTimeout: 5 * time.Second}
	m.serveErr = make(chan error, 2)
	go func() {
		var err error
		if cfg.TLSCert != "" {
			err = m.api.ServeTLS(m.apiLn, cfg.TLSCert, cfg.TLSKey)
		} else {
			err = m.api.Serve(m.apiLn)
		}
		m.serveErr <- err
	}()
	go func() {
		if err := m.admin.Serve(m.adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- err
		}
	}()
	m.startFleet(reg)
	m.done = make(chan struct{})
	m.hup = make(chan os.Signal, 1)
	signal.Notify(m.hup, syscall.SIGHUP)
	go m.follow()
	gen := "none"
	if g := m.store.Active(); g != nil {
		gen = g.ID()
	}
	m.Log.Info("serving", "api", m.apiLn.Addr().String(), "admin", m.adminLn.Addr().String(), "generation", gen)
	if err := writeServing(cfg.DataDir, m.adminLn.Addr().String()); err != nil {
		m.Log.Warn("record the admin address for grunndata backup", "err", err)
	}
	return nil
}

// APIAddr and AdminAddr return the bound addresses.
func (m *Main) APIAddr() string   { return m.apiLn.Addr().String() }
func (m *Main) AdminAddr() string { return m.adminLn.Addr().String() }

// Store exposes the store (tests and admin wiring).
func (m *Main) Store() *index.Store { return m.store }

// follow activates the generation the ACTIVE pointer names, checked every
// FollowInterval, on SIGHUP and, where inotify exists, as soon as the
// pointer is renamed into place.
func (m *Main) follow() {
	t := time.NewTicker(m.Config.FollowInterval)
	defer t.Stop()
	changed := watchActive(m.Config.DataDir, m.done, m.Log)
	var failed string // the id that last failed, logged once
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		case <-changed:
		case <-m.hup:
			m.Log.Info("SIGHUP: checking for a new generation")
			failed = ""
		}
		failed = m.checkActive(failed)
	}
}

// checkActive activates the generation named by the ACTIVE pointer if it is
// not the active one. A generation that fails to verify or open is logged
// (once: failed is the id that failed last time) and the active one keeps
// serving. It returns the id that failed, or "".
func (m *Main) checkActive(failed string) string {
	id, err := index.ReadActive(m.Config.DataDir)
	if err != nil {
		m.Log.Error("read active generation", "err", err)
		return failed
	}
	if id == "" {
		return ""
	}
	if g := m.store.Active(); g != nil && g.ID() == id {
		return ""
	}
	if id == failed { // logged already; SIGHUP retries
		return failed
	}
	// Follow re-reads the pointer under the activation lock.
	id, _, _, err = m.store.Follow(index.ActivateOptions{Warm: m.warmFunc()})
	if err != nil {
		m.Log.Error("activate generation; the previous one keeps serving", "generation", id, "err", err)
		return id
	}
	return ""
}

// warmFunc returns the warm-up of ActivateOptions: the Config.Warm most
// requested keys read from the new generation into the cache, in parallel;
// nil without warm-up.
func (m *Main) warmFunc() func(registry.View) int {
	if m.Config.Warm <= 0 {
		return nil
	}
	return func(v registry.View) int {
		keys := m.cache.TopKeys(m.Config.Warm)
		var next, warmed atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < max(m.Config.WarmWorkers, 1); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1) - 1; i < int64(len(keys)); i = next.Add(1) - 1 {
					if m.cache.Warm(v, &keys[i]) {
						warmed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		m.cache.DecayTopKeys()
		return int(warmed.Load())
	}
}

func (m *Main) status() ops.StoreStatus {
	st := ops.StoreStatus{Activations: m.store.Activations(), OpenGenerations: m.store.OpenGenerations(),
		SnapshotsDiskBytes: m.disk.get(m.Config.DataDir)}
	for _, g := range m.store.Generations() {
		gs := ops.GenerationStatus{Generation: g.Generation, Active: g.Active, ActivatedAt: g.ActivatedAt.UTC(),
			Requests: g.Requests, Reads: g.Reads}
		if !g.DeactivatedAt.IsZero() {
			t := g.DeactivatedAt.UTC()
			gs.DeactivatedAt = &t
		}
		if !g.ClosedAt.IsZero() {
			t := g.ClosedAt.UTC()
			gs.ClosedAt = &t
		}
		st.Generations = append(st.Generations, gs)
	}
	if a, ok := m.store.LastActivation(); ok {
		st.LastActivation = &ops.ActivationStatus{Generation: a.Generation, Previous: a.Previous, Rollback: a.Rollback,
			At: a.At.UTC(), WarmedKeys: a.Warmed, Resident: a.Resident, ResidentBytes: a.ResidentBytes, Phases: map[string]float64{
				"verify": a.Verify.Seconds(), "open": a.Open.Seconds(), "fill": a.Fill.Seconds(), "warm": a.Warm.Seconds(), "write": a.Write.Seconds(),
				"swap": a.Swap.Seconds(), "old_drained": a.OldDrained.Seconds(), "old_closed": a.OldClosed.Seconds()}}
	}
	g, err := m.store.AcquireGen()
	if err != nil {
		return st
	}
	defer g.Release()
	st.Generation = g.ID()
	st.ActivatedAt = m.store.ActivatedAt()
	st.Served = g.Served()
	st.Requests = g.Requests()
	pm := g.Metrics()
	st.BlockCacheHits, st.BlockCacheMisses, st.BlockCacheBytes = pm.BlockCacheHits, pm.BlockCacheMisses, pm.BlockCacheBytes
	st.DiskBytes = int64(pm.DiskBytes)
	st.ReadAmp = int64(pm.ReadAmp)
	return st
}

// Wait blocks until ctx is done or a listener fails.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-m.serveErr:
		return err
	}
}

// Close shuts the listeners down gracefully, then closes the store.
func (m *Main) Close() error {
	if m.consoleStop != nil {
		close(m.consoleStop)
		m.consoleStop = nil
	}
	if m.done != nil {
		close(m.done)
		signal.Stop(m.hup)
		removeServing(m.Config.DataDir, m.adminLn.Addr().String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if m.api != nil && m.apiLn != nil {
		errs = append(errs, m.api.Shutdown(ctx))
	}
	if m.admin != nil {
		errs = append(errs, m.admin.Shutdown(ctx))
	} else if m.adminLn != nil {
		m.adminLn.Close()
	}
	if m.cache != nil {
		m.cache.Close()
	}
	errs = append(errs, m.closeSecurity()) // the fleet's auditor before its client
	m.closeFleet()
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := DefaultServeConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data `DIR` holding the snapshot generations")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "API listen address")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", cfg.AdminAddr, "admin listen address (/metrics, /healthz, /readyz, /admin/snapshots, /debug/pprof)")
	cacheMB := fs.Int64("cache-mb", cfg.Cache.MaxBytes>>20, "record cache size in MiB")
	blockMB := fs.Int64("block-cache-mb", cfg.Index.BlockCacheBytes>>20, "Pebble block cache size in MiB (hold the hot working set)")
	fs.IntVar(&cfg.Server.MaxBodyBytes, "max-body-bytes", cfg.Server.MaxBodyBytes, "largest request body accepted")
	fs.IntVar(&cfg.Server.MaxConnsPerIP, "max-conns-per-ip", cfg.Server.MaxConnsPerIP, "connections per client address (0: unlimited)")
	fs.DurationVar(&cfg.Server.ReadTimeout, "read-timeout", cfg.Server.ReadTimeout, "slow-client read timeout")
	fs.DurationVar(&cfg.Server.WriteTimeout, "write-timeout", cfg.Server.WriteTimeout, "slow-client write timeout")
	fs.DurationVar(&cfg.Server.IdleTimeout, "idle-timeout", cfg.Server.IdleTimeout, "keep-alive idle timeout")
	fs.DurationVar(&cfg.FollowInterval, "follow-interval", cfg.FollowInterval, "how often to check for a newly activated generation")
	fs.IntVar(&cfg.Warm, "warm", cfg.Warm, "before each swap, read the `N` most requested keys from the new generation into the cache")
	fs.IntVar(&cfg.WarmWorkers, "warm-workers", cfg.WarmWorkers, "goroutines reading the warm-up keys")
	fs.IntVar(&cfg.Cache.TrackSampleEvery, "warm-sample", 64, "count one request in `N` towards the most requested keys (with --warm)")
	fs.StringVar(&cfg.Index.Resident, "resident", cfg.Index.Resident, "keep each active generation's data in memory, read before the swap: auto (when it fits in available memory less --resident-margin-mb), on, off (share --block-cache-mb)")
	marginMB := fs.Int64("resident-margin-mb", cfg.Index.ResidentMarginBytes>>20, "memory --resident=auto leaves to everything else, in MiB")
	verifyMB := fs.Int64("verify-checksum-mb", cfg.Index.VerifyChecksumBytes>>20, "checksum every file of generations up to this many MiB before activating them (larger: sizes only)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "serve HTTPS with this certificate `FILE`")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "private key `FILE` for --tls-cert")
	bindSecurityFlags(fs, &cfg.Security)
	bindFleetFlags(fs, &cfg.Fleet)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		fmt.Fprintln(stderr, "usage: grunndata serve --data DATADIR [--addr HOST:PORT] [--admin-addr HOST:PORT] [--warm N] [--tls-cert F --tls-key F]")
		return 2
	}
	cfg.Cache.MaxBytes = *cacheMB << 20
	cfg.Cache.NumCounters = 0
	cfg.Index.BlockCacheBytes = *blockMB << 20
	cfg.Index.ResidentMarginBytes = *marginMB << 20
	if !index.ValidResident(cfg.Index.Resident) {
		fmt.Fprintf(stderr, "grunndata serve: --resident %q: want auto, on or off\n", cfg.Index.Resident)
		return 2
	}
	cfg.Index.VerifyChecksumBytes = *verifyMB << 20
	if *verifyMB == 0 {
		cfg.Index.VerifyChecksumBytes = -1
	}
	if err := cfg.Fleet.validate(); err != nil {
		fmt.Fprintf(stderr, "grunndata serve: %v\n", err)
		return 2
	}
	if err := cfg.Security.validate(&cfg); err != nil {
		fmt.Fprintf(stderr, "grunndata serve: %v\n", err)
		return 2
	}
	m := &Main{Config: cfg, Log: newLogger(stderr)}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "grunndata serve: %v\n", err)
		return 1
	}
	err := m.Wait(ctx)
	m.Log.Info("shutting down")
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "grunndata serve: %v\n", err)
		return 1
	}
	return 0
}
