package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
)

// SecurityConfig configures authentication, scopes and auditing of the API.
type SecurityConfig struct {
	// AuthOff disables authentication (local experiments; loopback only).
	AuthOff bool
	// JWKS is a file path or https URL of the issuer's key set.
	JWKS        string
	JWKSRefresh time.Duration
	Auth        auth.Config
	// AuditOff disables the audit log (benchmarks of its cost only).
	AuditOff bool
	// AuditNoSync skips fsync in the audit log (benchmarks only).
	AuditNoSync bool
	AuditDir    string
	AuditMaxMB  int64
}

// DefaultSecurityConfig: authentication and auditing on.
func DefaultSecurityConfig() SecurityConfig {
	return SecurityConfig{JWKSRefresh: 30 * time.Second, Auth: auth.DefaultConfig(), AuditMaxMB: 256}
}

// securityState is what Main keeps of the security setup.
type securityState struct {
	auth  *auth.Authenticator
	audit audit.Auditor
	ain   *index.AINStore
	// auditDir is where the audit log lives ("" when it is off).
	auditDir string
}

type authFlag struct{ off *bool }

func (f authFlag) String() string {
	if f.off != nil && *f.off {
		return "off"
	}
	return "on"
}

func (f authFlag) Set(s string) error {
	switch s {
	case "on":
		*f.off = false
	case "off":
		*f.off = true
	default:
		return errors.New("must be on or off")
	}
	return nil
}

func bindSecurityFlags(fs *flag.FlagSet, c *SecurityConfig) {
	*c = DefaultSecurityConfig()
	fs.Var(authFlag{&c.AuthOff}, "auth", "on, or off for local experiments (refused on a non-loopback address)")
	fs.StringVar(&c.JWKS, "jwks", "", "JWKS `FILE or https URL` of the token issuer (HelseID)")
	fs.StringVar(&c.Auth.Issuer, "issuer", "", "required token issuer (iss)")
	fs.StringVar(&c.Auth.Audience, "audience", "", "required token audience (aud)")
	fs.DurationVar(&c.Auth.Leeway, "leeway", c.Auth.Leeway, "clock skew tolerated on exp and nbf")
	fs.DurationVar(&c.JWKSRefresh, "jwks-refresh", c.JWKSRefresh, "least time between JWKS reloads on an unknown kid")
	fs.Float64Var(&c.Auth.RatePerSecond, "rate-limit", c.Auth.RatePerSecond, "requests per second per client_id (0: none)")
	fs.Float64Var(&c.Auth.Burst, "rate-burst", c.Auth.Burst, "burst per client_id")
	fs.BoolVar(&c.AuditOff, "audit-off", false, "disable the audit log (measuring its cost only)")
	fs.BoolVar(&c.AuditNoSync, "audit-nosync", false, "do not fsync the audit log (measuring its cost only)")
	fs.StringVar(&c.AuditDir, "audit-dir", "", "audit log `DIR` (default DATADIR/audit)")
	fs.Int64Var(&c.AuditMaxMB, "audit-rotate-mb", c.AuditMaxMB, "rotate audit files past this size")
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *SecurityConfig) validate(cfg *ServeConfig) error {
	if c.AuthOff {
		if !isLoopback(cfg.Addr) || !isLoopback(cfg.AdminAddr) {
			return errors.New("--auth=off is for local experiments: both --addr and --admin-addr must be loopback addresses")
		}
		return nil
	}
	if c.JWKS == "" || c.Auth.Issuer == "" || c.Auth.Audience == "" {
		return errors.New("authentication needs --jwks, --issuer and --audience (or --auth=off on loopback for experiments)")
	}
	return nil
}

// setupSecurity prepares cfg.Server's authentication, auditing and the AIN
// store (allocations are audited and need the ain.write scope) before the
// API server is built.
func (m *Main) setupSecurity(cfg *ServeConfig) error {
	var err error
	if m.fleet.ain != nil {
		cfg.Server.AIN = m.fleet.ain // unique across the fleet (serve_fleet.go)
	} else {
		ain, err := index.OpenAINStore(cfg.DataDir, m.Log)
		if err != nil {
			return err
		}
		m.security.ain = ain
		cfg.Server.AIN = ain
	}
	c := &cfg.Security
	if c.AuthOff {
		m.Log.Warn("authentication is OFF: every caller is anonymous with every scope but person.read-protected; local experiments only")
	} else {
		var keys *auth.JWKS
		keys, err = auth.NewJWKS(c.JWKS, c.JWKSRefresh)
		if err != nil {
			return err
		}
		ac := c.Auth
		ac.Enabled, ac.Keys = true, keys
		if m.security.auth, err = auth.New(ac); err != nil {
			return err
		}
		cfg.Server.Auth = m.security.auth
	}
	if !c.AuditOff && m.fleet.client != nil {
		// A fleet replica audits to the fleet's stream (serve_fleet.go).
		a, err := m.fleetAuditor()
		if err != nil {
			return err
		}
		m.security.audit = a
		cfg.Server.Audit = a
	} else if !c.AuditOff {
		dir := c.AuditDir
		if dir == "" {
			dir = filepath.Join(cfg.DataDir, "audit")
		}
		a, err := audit.Open(audit.Config{Dir: dir, MaxFileBytes: c.AuditMaxMB << 20, NoSync: c.AuditNoSync,
			Observe: m.ops.observeAudit})
		if err != nil {
			return fmt.Errorf("open audit log: %w", err)
		}
		m.security.audit, m.security.auditDir = a, dir
		cfg.Server.Audit = a
	} else {
		m.Log.Warn("audit log is OFF: person lookups are not recorded")
	}
	return nil
}

func (m *Main) closeSecurity() error {
	var errs []error
	if m.security.audit != nil {
		errs = append(errs, m.security.audit.Close())
		m.security.audit = nil
	}
	if m.security.ain != nil {
		errs = append(errs, m.security.ain.Close())
		m.security.ain = nil
	}
	return errors.Join(errs...)
}
