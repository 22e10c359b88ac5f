package loader

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/grunndata/grunndata/index"
)

// A bulk load replaces every register at once, so a dataset that lacks a
// register's file, or has it empty or truncated, would silently empty or
// cut that register (every RESH, AR or GP lookup answering 404). The
// register guard compares the load with the active generation: a register
// the active generation has with records must be in the dataset with
// records (unless named in Config.AllowMissing), and must not shrink by
// more than Config.MaxShrinkPercent (unless named in Config.AllowShrink).
// The first load of a data directory has nothing to compare with.

// registerAliases are the source names operators know, for the flags.
var registerAliases = map[string][]string{
	"brreg": {RegEnheter, RegUnderenheter},
	"freg":  {RegPersons},
	"hpr":   {RegPersonnel},
	"ar":    {RegParties},
	"flr":   {RegGPContracts, RegGPPatients},
	"certs": {RegCertificates},
	"all":   registerOrder,
}

// ExpandRegisters resolves register names (enheter, underenheter, persons,
// personnel, communication-parties, certificates, resh, gp-contracts,
// gp-patients) and source names (brreg, freg, hpr, ar, certs, flr, all)
// into register names.
func ExpandRegisters(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case n == "":
		case slices.Contains(registerOrder, n):
			out = append(out, n)
		case registerAliases[n] != nil:
			out = append(out, registerAliases[n]...)
		default:
			return nil, fmt.Errorf("unknown register %q (registers: %s; or brreg, freg, hpr, ar, certs, flr, all)",
				n, strings.Join(registerOrder, ", "))
		}
	}
	return out, nil
}

type registerGuard struct {
	cfg          *Config
	active       string
	prev         map[string]index.RegisterStats
	allowMissing map[string]bool
	allowShrink  map[string]bool
}

// newRegisterGuard reads the active generation's register counts.
func newRegisterGuard(cfg *Config) (*registerGuard, error) {
	g := &registerGuard{cfg: cfg, allowMissing: map[string]bool{}, allowShrink: map[string]bool{}}
	for _, set := range []struct {
		names []string
		m     map[string]bool
		flag  string
	}{{cfg.AllowMissing, g.allowMissing, "--allow-missing"}, {cfg.AllowShrink, g.allowShrink, "--allow-shrink"}} {
		regs, err := ExpandRegisters(set.names)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", set.flag, err)
		}
		for _, r := range regs {
			set.m[r] = true
		}
	}
	active, err := index.ReadActive(cfg.DataDir)
	if err != nil || active == "" {
		return g, err
	}
	m, err := index.ReadManifest(filepath.Join(index.SnapshotsDir(cfg.DataDir), active))
	if err != nil {
		// A damaged active generation serves nothing worth protecting;
		// the load that replaces it must not be blocked.
		cfg.Logger.Warn("cannot read the active generation's register counts; the missing and shrinking register checks are skipped",
			"generation", active, "err", err)
		return g, nil
	}
	g.active, g.prev = active, m.Registers
	return g, nil
}

// sourcePresent reports whether the dataset in dir has a file of register
// reg (docs/formats.md).
func sourcePresent(dir, reg string) bool {
	exists := func(names ...string) bool {
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return true
			}
		}
		return false
	}
	switch reg {
	case RegEnheter:
		return exists("enheter_alle.json.gz", "enheter_alle.json", "enheter_alle.csv.gz", "enheter_alle.csv")
	case RegUnderenheter:
		return exists("underenheter_alle.json.gz", "underenheter_alle.json", "underenheter_alle.csv.gz", "underenheter_alle.csv")
	case RegPersons:
		r := &run{cfg: Config{From: dir}}
		files, _ := r.fregFiles()
		return len(files) > 0
	case RegPersonnel:
		return exists("hpr.jsonl.gz")
	case RegParties:
		return exists("ar.jsonl.gz")
	case RegResh:
		return exists("resh.jsonl.gz")
	case RegGPContracts:
		return exists("flr_contracts.jsonl.gz")
	case RegGPPatients:
		return exists("flr_patients.jsonl.gz")
	case RegCertificates:
		return exists(certIndexFile)
	}
	// A register this table does not know yet: the count check after
	// parsing still guards it.
	return true
}

// guarded returns the registers the active generation has with records,
// in load order.
func (g *registerGuard) guarded() []string {
	var out []string
	for _, reg := range registerOrder {
		if g.prev[reg].Records > 0 {
			out = append(out, reg)
		}
	}
	return out
}

func (g *registerGuard) missing(reg, what string) error {
	return fmt.Errorf("%w: %s: %s, but the active generation %s has %d records; name it with --allow-missing %s to load without it",
		ErrRegisterMissing, reg, what, g.active, g.prev[reg].Records, reg)
}

// checkFiles refuses a dataset without a file of a guarded register.
func (g *registerGuard) checkFiles(dir string) error {
	if !slices.ContainsFunc(registerOrder, func(reg string) bool { return sourcePresent(dir, reg) }) {
		return nil // not a dataset at all: ErrNoSources says so
	}
	var errs []error
	for _, reg := range g.guarded() {
		if !g.allowMissing[reg] && !sourcePresent(dir, reg) {
			errs = append(errs, g.missing(reg, "no source file in "+dir))
		}
	}
	return joinErrs(errs)
}

// checkCounts refuses a load that has a guarded register without records,
// or shrunk by more than the limit.
func (g *registerGuard) checkCounts(stats map[string]*Stats) error {
	var errs []error
	for _, reg := range g.guarded() {
		prev, now := g.prev[reg].Records, stats[reg].Records
		switch {
		case now == 0:
			if !g.allowMissing[reg] {
				what := "no source file"
				if stats[reg].Files > 0 {
					what = fmt.Sprintf("0 records (%d rejects)", stats[reg].Rejects)
				}
				errs = append(errs, g.missing(reg, what))
			}
		case now < prev:
			shrink := float64(prev-now) / float64(prev) * 100
			if shrink > g.cfg.MaxShrinkPercent && !g.allowShrink[reg] {
				errs = append(errs, fmt.Errorf("%w: %s: %d records, the active generation %s has %d (%.1f %% fewer, more than --max-shrink %v %%); name it with --allow-shrink %s if that is right",
					ErrRegisterShrunk, reg, now, g.active, prev, shrink, g.cfg.MaxShrinkPercent, reg))
			}
		}
	}
	return joinErrs(errs)
}

// joinErrs joins errs into one error, one line each, missing registers
// first, that matches each (errors.Is).
func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		return errors.Is(errs[i], ErrRegisterMissing) && !errors.Is(errs[j], ErrRegisterMissing)
	})
	return errors.Join(errs...)
}
