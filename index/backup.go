package index

import (
	"errors"
	"fmt"
	"os"

	"github.com/cockroachdb/pebble/v2"
)

// Checkpoint writes a consistent copy of the AIN store into dir, which must
// not exist, while allocations go on: a Pebble checkpoint (the immutable
// tables hard-linked when dir is on the same file system, the WAL, MANIFEST
// and OPTIONS copied) holding every allocation committed before the call.
// dir is a complete AIN store directory: OpenAINStore(parent of dir) opens
// it when dir is named "ain" (AINDir).
func (s *AINStore) Checkpoint(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("checkpoint AIN store: %s exists", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint AIN store: %w", err)
	}
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("checkpoint AIN store: %w", err)
	}
	return nil
}
