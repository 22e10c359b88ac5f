package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LoadStatusName is the file in the data directory recording the outcome of
// the latest successful and the latest failed load, so that a server (a
// separate process) can report them as metrics and alert on a failed load.
const LoadStatusName = "LOADS"

// LoadOutcome is one load or delta as the data directory remembers it.
type LoadOutcome struct {
	At         time.Time `json:"at"`
	Generation string    `json:"generation,omitempty"`
	// Parent is the generation a delta was applied to ("" for a bulk load).
	Parent    string  `json:"parent,omitempty"`
	Delta     bool    `json:"delta,omitempty"`
	Seconds   float64 `json:"seconds"`
	Error     string  `json:"error,omitempty"`
	Activated bool    `json:"activated,omitempty"`
	// Records and Rejects count what the load read, by register (a bulk
	// load) or by feed (a delta).
	Records map[string]int64 `json:"records,omitempty"`
	Rejects map[string]int64 `json:"rejects,omitempty"`
}

// LoadStatus is the content of LoadStatusName.
type LoadStatus struct {
	LastSuccess *LoadOutcome `json:"lastSuccess,omitempty"`
	LastFailure *LoadOutcome `json:"lastFailure,omitempty"`
}

// Latest returns the more recent of the two outcomes (nil: no load yet).
func (s *LoadStatus) Latest() *LoadOutcome {
	switch {
	case s.LastSuccess == nil:
		return s.LastFailure
	case s.LastFailure == nil || s.LastSuccess.At.After(s.LastFailure.At):
		return s.LastSuccess
	}
	return s.LastFailure
}

// ReadLoadStatus reads the load status of dataDir; a directory without one
// gives the zero status.
func ReadLoadStatus(dataDir string) (LoadStatus, error) {
	var s LoadStatus
	b, err := os.ReadFile(filepath.Join(dataDir, LoadStatusName))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return LoadStatus{}, fmt.Errorf("parse %s: %w", LoadStatusName, err)
	}
	return s, nil
}

// RecordLoad stores o as the latest success (o.Error == "") or failure of
// dataDir, durably and under the data-directory lock.
func RecordLoad(dataDir string, o LoadOutcome) error {
	unlock, err := lockDataDir(dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := ReadLoadStatus(dataDir)
	if err != nil {
		s = LoadStatus{} // a damaged file is replaced
	}
	if o.Error == "" {
		s.LastSuccess = &o
	} else {
		s.LastFailure = &o
	}
	b, err := json.MarshalIndent(&s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dataDir, LoadStatusName), append(b, '\n'))
}
