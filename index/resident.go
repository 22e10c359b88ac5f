package index

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

// A resident generation keeps its data in the process's own memory: it is
// opened with a block cache of its own, sized to hold every block, and
// every block is read into it before the swap. Lookups after the
// activation never wait for the disk, whatever the OS page cache evicted
// (this machine drops page cache untouched for about a minute). The old
// generation's cache goes with its DB: Pebble frees it when the last
// reader has left and the DB closes.
//
// The need is read from the tables' properties (uncompressed keys and
// values, index and filter blocks): the block cache holds blocks
// uncompressed. Memory is taken only as blocks are read, so the cache's
// capacity is an upper bound, not an allocation.

// Resident modes (Config.Resident).
const (
	// ResidentAuto makes a generation resident when its need fits in the
	// memory the kernel reports available, less ResidentMarginBytes.
	ResidentAuto = "auto"
	// ResidentOn always does (an operator who knows the machine).
	ResidentOn = "on"
	// ResidentOff never does: every generation shares BlockCacheBytes.
	ResidentOff = "off"
)

// ValidResident reports whether m is a resident mode.
func ValidResident(m string) bool {
	return m == ResidentAuto || m == ResidentOn || m == ResidentOff
}

// residentNeed returns the block cache bytes generation dir needs to be
// resident: its tables' uncompressed keys and values plus index and
// filter blocks, and a block's overhead in the cache. It opens the
// generation read-only for the properties only (no data block is read).
func residentNeed(dir string, log *slog.Logger) (int64, error) {
	c := pebble.NewCache(1 << 20)
	defer c.Unref()
	opts := pebbleOptions(c, log)
	opts.ReadOnly = true
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	levels, err := db.SSTables(pebble.WithProperties())
	if err != nil {
		return 0, err
	}
	var raw, blocks uint64
	for _, l := range levels {
		for _, t := range l {
			if p := t.Properties; p != nil {
				raw += p.RawKeySize + p.RawValueSize + p.IndexSize + p.FilterSize
				blocks += p.NumDataBlocks
			}
		}
	}
	// A cached block carries about a hundred bytes of bookkeeping, and a
	// data block's restart points add a little to its keys and values.
	return int64(raw + raw/16 + blocks*128 + 8<<20), nil
}

// memAvailable returns the kernel's MemAvailable (Linux); ok is false
// where it cannot be read.
func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("MemAvailable:")); ok {
			v = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))
			kb, err := strconv.ParseInt(string(v), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// residentPlan decides whether generation dir is made resident, and with
// which cache capacity; why says why not (for the activation report).
func (s *Store) residentPlan(dir string) (need int64, resident bool, why string) {
	if s.cfg.Resident == ResidentOff {
		return 0, false, "off"
	}
	need, err := residentNeed(dir, s.log)
	if err != nil {
		return 0, false, fmt.Sprintf("properties unreadable: %v", err)
	}
	if s.cfg.Resident == ResidentOn {
		return need, true, ""
	}
	avail, ok := s.cfg.MemAvailable()
	switch {
	case !ok:
		return need, false, "available memory unknown"
	case need > avail-s.cfg.ResidentMarginBytes:
		return need, false, fmt.Sprintf("needs %d MiB, %d MiB available less a margin of %d MiB",
			need>>20, avail>>20, s.cfg.ResidentMarginBytes>>20)
	}
	return need, true, ""
}

// fill reads every block of g into its cache: one pass over all keys.
func (g *Gen) fill() (keys int64, err error) {
	it, err := g.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if _, err := it.ValueAndErr(); err != nil {
			it.Close()
			return keys, err
		}
		keys++
	}
	if err := it.Error(); err != nil {
		it.Close()
		return keys, err
	}
	return keys, it.Close()
}
