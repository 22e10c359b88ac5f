package main

import "flag"

// SecurityConfig configures authentication, scopes and auditing of the API.
// (Filled in by the security work: HelseID-style JWTs, audit log.)
type SecurityConfig struct{}

// securityState is what Main keeps of the security setup.
type securityState struct{}

func bindSecurityFlags(fs *flag.FlagSet, c *SecurityConfig) {}

func (c *SecurityConfig) validate(cfg *ServeConfig) error { return nil }

// setupSecurity prepares cfg.Server's authentication and auditing before the
// API server is built.
func (m *Main) setupSecurity(cfg *ServeConfig) error { return nil }

func (m *Main) closeSecurity() error { return nil }
