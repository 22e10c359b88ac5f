package index

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FormatVersion is the snapshot format version written to manifests. A
// generation with another version is refused.
const FormatVersion = 1

// ManifestName is the manifest file inside a generation directory.
const ManifestName = "manifest.json"

// Manifest describes a complete generation.
type Manifest struct {
	Generation    string                   `json:"generation"`
	FormatVersion int                      `json:"formatVersion"`
	CreatedAt     time.Time                `json:"createdAt"`
	Parent        string                   `json:"parent,omitempty"`
	Sources       []SourceFile             `json:"sources"`
	Registers     map[string]RegisterStats `json:"registers"`
	FeedPositions map[string]int64         `json:"feedPositions,omitempty"`
	SizeBytes     int64                    `json:"sizeBytes"`
	// Files lists every file of the generation (Pebble's tables, MANIFEST,
	// OPTIONS and markers; not LOCK nor this manifest) with its size and
	// SHA-256, so activation can refuse a generation whose files are missing,
	// truncated or altered. Generations built before it existed have none.
	Files []FileSum `json:"files,omitempty"`
}

// FileSum is one file of a generation.
type FileSum struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// SourceFile is one input file of a load.
type SourceFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// RegisterStats counts one register's records in a generation.
type RegisterStats struct {
	Records int64 `json:"records"`
	Rejects int64 `json:"rejects"`
	// Warnings counts records loaded as given with a warning, by rule
	// (absent-reference: a reference to an entity the dataset lacks).
	Warnings map[string]int64 `json:"warnings,omitempty"`
}

// ReadManifest reads and checks the manifest of the generation in dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse manifest %s: %w", dir, err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("manifest %s: format version %d, want %d", dir, m.FormatVersion, FormatVersion)
	}
	if m.Generation != filepath.Base(dir) {
		return nil, fmt.Errorf("manifest %s: names generation %q", dir, m.Generation)
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, ManifestName), append(b, '\n'))
}

// writeFileSync writes name via a temporary file, fsyncs it, renames it into
// place and fsyncs the directory, so a crash leaves the old or the new file.
func writeFileSync(name string, data []byte) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
