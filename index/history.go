package index

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HistoryName is the file in the data directory holding the activation
// history, the stack rollback walks back along.
const HistoryName = "HISTORY"

// maxHistory bounds the history; older activations are forgotten.
const maxHistory = 64

// lockName is the data-directory lock serialising changes of ACTIVE and
// HISTORY and prunes between processes (CLI, server, loader).
const lockName = ".lock"

var errLocked = errors.New("locked by another process")

// inode identifies a file independently of its names.
type inode struct{ dev, ino uint64 }

// HistoryEntry is one activation on the history stack.
type HistoryEntry struct {
	Generation string
	At         time.Time
}

// lockDataDir takes the data-directory lock, waiting for it.
func lockDataDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := lockFile(filepath.Join(dir, lockName), true)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	return func() { f.Close() }, nil
}

// ErrActiveChanged is the error of a compare-and-set of the active pointer
// (WriteActiveIf, WriteRollbackIf) that found another generation active
// than the caller expected: an activation, rollback, load or delta made
// meanwhile, which the caller's write would have silently undone. Nothing
// is written; the caller's generation stays on disk for the operator.
var ErrActiveChanged = errors.New("the active generation changed")

// WriteActive durably makes id the active generation of dir, whatever is
// active, and pushes it on the activation history. It is for setting up a
// data directory (tests, tools); an activation that decided on what was
// active uses WriteActiveIf.
func WriteActive(dir, id string) error {
	return swapPointer(dir, nil, id, false)
}

// WriteActiveIf durably makes next the active generation of dir and pushes
// it on the activation history, if and only if expect ("" for none) is the
// active generation; otherwise it writes nothing and returns an error
// wrapping ErrActiveChanged that names both. The check and the write are
// made under the data-directory lock, so of two callers expecting the same
// generation exactly one succeeds, whichever process each runs in.
//
// The history is written first and ACTIVE second, each with write-temp,
// fsync, rename and fsync of the directory, so a crash leaves either the
// old pointer (and a history entry that ReadHistory drops because ACTIVE
// does not name it) or the new one with its history.
func WriteActiveIf(dir, expect, next string) error {
	return swapPointer(dir, &expect, next, false)
}

// WriteRollbackIf is WriteActiveIf for a rollback: it pops the history down
// to the last activation of next (or pushes next when the history does not
// hold it), so that a second rollback goes further back.
func WriteRollbackIf(dir, expect, next string) error {
	return swapPointer(dir, &expect, next, true)
}

// swapPointer writes next as the active generation of dir under the data
// directory lock, if expect is nil or names the active generation.
func swapPointer(dir string, expect *string, next string, rollback bool) error {
	if !validGenID(next) {
		return fmt.Errorf("%q is not a generation id", next)
	}
	unlock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if expect != nil {
		now, err := ReadActive(dir)
		if err != nil {
			return err
		}
		if now != *expect {
			return fmt.Errorf("%w: %s is active, not %s", ErrActiveChanged, noneIfEmpty(now), noneIfEmpty(*expect))
		}
	}
	h, err := readHistoryLocked(dir)
	if err != nil {
		return err
	}
	if !rollback {
		if len(h) == 0 || h[len(h)-1].Generation != next {
			h = append(h, HistoryEntry{Generation: next, At: time.Now().UTC()})
		}
		return writePointer(dir, next, h)
	}
	if len(h) > 0 {
		h = h[:len(h)-1] // the generation rolled back from
	}
	if i := lastIndex(h, next); i >= 0 {
		h = h[:i+1]
	} else {
		h = append(h, HistoryEntry{Generation: next, At: time.Now().UTC()})
	}
	return writePointer(dir, next, h)
}

func noneIfEmpty(id string) string {
	if id == "" {
		return "none"
	}
	return id
}

func writePointer(dir, id string, h []HistoryEntry) error {
	if len(h) > maxHistory {
		h = h[len(h)-maxHistory:]
	}
	var b bytes.Buffer
	for _, e := range h {
		fmt.Fprintf(&b, "%s\t%s\n", e.Generation, e.At.Format(time.RFC3339Nano))
	}
	if err := writeFileSync(filepath.Join(dir, HistoryName), b.Bytes()); err != nil {
		return fmt.Errorf("write activation history: %w", err)
	}
	if err := writeFileSync(filepath.Join(dir, ActiveName), []byte(id+"\n")); err != nil {
		return fmt.Errorf("write active generation: %w", err)
	}
	return nil
}

// ReadHistory returns the activation history of dir, oldest first. It is
// reconciled with ACTIVE, which is the truth: the last entry is always the
// active generation (entries a crash left above it are dropped; an ACTIVE
// written by an older version without history is appended). Empty when no
// generation is active.
func ReadHistory(dir string) ([]HistoryEntry, error) {
	return readHistoryLocked(dir)
}

func readHistoryLocked(dir string) ([]HistoryEntry, error) {
	active, err := ReadActive(dir)
	if err != nil || active == "" {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, HistoryName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read activation history: %w", err)
	}
	var h []HistoryEntry
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		id, at, _ := strings.Cut(strings.TrimSpace(sc.Text()), "\t")
		if !validGenID(id) {
			continue // a damaged line costs one rollback step, never the pointer
		}
		t, _ := time.Parse(time.RFC3339Nano, at)
		h = append(h, HistoryEntry{Generation: id, At: t})
	}
	if i := lastIndex(h, active); i >= 0 {
		return h[:i+1], nil
	}
	var at time.Time
	if fi, err := os.Stat(filepath.Join(dir, ActiveName)); err == nil {
		at = fi.ModTime().UTC()
	}
	return append(h, HistoryEntry{Generation: active, At: at}), nil
}

func lastIndex(h []HistoryEntry, id string) int {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Generation == id {
			return i
		}
	}
	return -1
}

// RollbackCandidates returns, nearest first, the generations a rollback of
// dir may go back to: earlier activations in the history other than the
// active generation, whose directory passes VerifyQuick. When the history
// holds none (a data directory from before the history), the complete
// generations older than the active one are the candidates, newest first.
func RollbackCandidates(dir string) ([]string, error) {
	h, err := ReadHistory(dir)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, nil
	}
	active := h[len(h)-1].Generation
	seen := map[string]bool{active: true}
	var out []string
	for i := len(h) - 2; i >= 0; i-- {
		id := h[i].Generation
		if seen[id] {
			continue
		}
		seen[id] = true
		if VerifyQuick(dir, id) == nil {
			out = append(out, id)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	ids, err := ListGenerations(dir)
	if err != nil {
		return nil, err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i] < active && VerifyQuick(dir, ids[i]) == nil {
			out = append(out, ids[i])
		}
	}
	return out, nil
}
