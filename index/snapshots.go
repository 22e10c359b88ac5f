package index

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// GenInfo describes one complete generation of a data directory.
type GenInfo struct {
	ID string
	// Manifest is nil when it does not read; Err says why.
	Manifest *Manifest
	Err      error
	// SizeBytes is the generation's bytes on disk now; UniqueBytes the part
	// no other generation shares (a delta hard-links its parent's tables),
	// which is what pruning it frees.
	SizeBytes, UniqueBytes int64
	Active                 bool
	RollbackTarget         bool
	// LastActivated is its latest activation still in the history (zero if
	// none).
	LastActivated time.Time
}

// List describes every complete generation of dir, ascending by id.
func List(dir string) ([]GenInfo, error) {
	ids, err := ListGenerations(dir)
	if err != nil {
		return nil, err
	}
	active, err := ReadActive(dir)
	if err != nil {
		return nil, err
	}
	hist, err := ReadHistory(dir)
	if err != nil {
		return nil, err
	}
	target := ""
	if cands, err := RollbackCandidates(dir); err == nil && len(cands) > 0 {
		target = cands[0]
	}
	usage := diskUsage(dir)
	out := make([]GenInfo, 0, len(ids))
	for _, id := range ids {
		gi := GenInfo{ID: id, Active: id == active, RollbackTarget: id == target}
		gi.Manifest, gi.Err = ReadManifest(filepath.Join(SnapshotsDir(dir), id))
		u := usage.gens[id]
		gi.SizeBytes, gi.UniqueBytes = u.size, u.unique
		if i := lastIndex(hist, id); i >= 0 {
			gi.LastActivated = hist[i].At
		}
		out = append(out, gi)
	}
	return out, nil
}

type genUsage struct{ size, unique int64 }

type usage struct {
	total int64 // every inode under snapshots/ once
	gens  map[string]genUsage
}

// diskUsage measures dir/snapshots, counting each inode once in the total
// and as unique only in a generation that is its sole holder.
func diskUsage(dir string) usage {
	u := usage{gens: map[string]genUsage{}}
	type file struct {
		gen  string
		id   inode
		size int64
		ok   bool
	}
	var files []file
	owners := map[inode]map[string]bool{}
	root := SnapshotsDir(dir)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		gen := rel
		if i := indexSep(rel); i >= 0 {
			gen = rel[:i]
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		id, ok := fileID(fi)
		files = append(files, file{gen, id, fi.Size(), ok})
		if ok {
			if owners[id] == nil {
				owners[id] = map[string]bool{}
			}
			owners[id][gen] = true
		}
		return nil
	})
	seen := map[inode]bool{}
	for _, f := range files {
		g := u.gens[f.gen]
		g.size += f.size
		if !f.ok || len(owners[f.id]) == 1 {
			g.unique += f.size
		}
		u.gens[f.gen] = g
		if !f.ok || !seen[f.id] {
			u.total += f.size
			if f.ok {
				seen[f.id] = true
			}
		}
	}
	return u
}

func indexSep(p string) int {
	for i := 0; i < len(p); i++ {
		if os.IsPathSeparator(p[i]) {
			return i
		}
	}
	return -1
}

// DiskUsage returns the bytes the generations of dir hold on disk (hard
// links counted once), including half-built ones.
func DiskUsage(dir string) int64 { return diskUsage(dir).total }

// PruneResult says what Prune removed.
type PruneResult struct {
	Removed []string
	Kept    []string
	// RemovedTemp are the half-built generations of killed loads and
	// deltas that were removed (never one whose build is running).
	RemovedTemp []string
	// FreedBytes is the disk space released (tables shared with a kept
	// generation are not freed).
	FreedBytes int64
}

// Prune removes complete generations of dir except the keep newest, the
// active one, the rollback target (the first of RollbackCandidates), the
// newest generation (so ids are never reused) and those named in also (a
// server's in-process active generation). It also removes what killed
// loads and deltas left (see RemoveTemp). Each generation is renamed to <gen>.del
// first, so a crash mid-delete leaves nothing that looks complete.
func Prune(dir string, keep int, also ...string) (PruneResult, error) {
	var res PruneResult
	if keep < 0 {
		return res, fmt.Errorf("keep %d: must be ≥ 0", keep)
	}
	unlock, err := lockDataDir(dir)
	if err != nil {
		return res, err
	}
	defer unlock()
	before := diskUsage(dir).total
	if res.RemovedTemp, err = removeTemp(dir, nil); err != nil {
		return res, err
	}
	ids, err := ListGenerations(dir)
	if err != nil {
		return res, err
	}
	keepSet := map[string]bool{}
	for _, id := range also {
		keepSet[id] = true
	}
	if len(ids) > 0 {
		keepSet[ids[len(ids)-1]] = true
	}
	for i := max(len(ids)-keep, 0); i < len(ids); i++ {
		keepSet[ids[i]] = true
	}
	active, err := ReadActive(dir)
	if err != nil {
		return res, err
	}
	keepSet[active] = true
	cands, err := RollbackCandidates(dir)
	if err != nil {
		return res, err
	}
	if len(cands) > 0 {
		keepSet[cands[0]] = true
	}
	snaps := SnapshotsDir(dir)
	for _, id := range ids {
		if keepSet[id] {
			res.Kept = append(res.Kept, id)
			continue
		}
		del := filepath.Join(snaps, id+".del")
		if err := os.Rename(filepath.Join(snaps, id), del); err != nil {
			return res, fmt.Errorf("prune %s: %w", id, err)
		}
		if err := syncDir(snaps); err != nil {
			return res, err
		}
		if err := os.RemoveAll(del); err != nil {
			return res, fmt.Errorf("prune %s: %w", id, err)
		}
		res.Removed = append(res.Removed, id)
	}
	sort.Strings(res.Kept)
	res.FreedBytes = before - diskUsage(dir).total
	return res, nil
}
