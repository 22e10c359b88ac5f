package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry/audit"
)

// Backups hold what grunndata cannot rebuild from its sources: the AIN
// store and the audit log. (Generations are rebuilt by loading the sources
// again.) A backup is one gzipped tar:
//
//	ain/…              a Pebble checkpoint of the AIN store
//	audit/audit-*.jsonl, audit/HEAD
//	                   the audit log up to its last complete record, with a
//	                   HEAD naming that record
//	BACKUP.json        written last: counts and the size and SHA-256 of every
//	                   file (a backup without it is incomplete)
//
// Both parts are consistent while the server runs: the checkpoint holds every
// AIN allocated before it began, and the audit copy every record made durable
// before it began (each answered request's record), as a chain that
// audit.Verify accepts. The AIN store belongs to one process (Pebble's
// lock), so while a server runs, `grunndata backup` asks it over the admin
// listener (POST /admin/backup, found through DATADIR/SERVING) to stream the
// archive; otherwise it opens the store itself. Either way the archive is
// verified (extracted, checksums, AIN store verify, audit chain) before it
// is renamed into place.

const (
	backupFormat       = 1
	backupManifestName = "BACKUP.json"
	// ServingName is the file in the data directory naming a running
	// server's admin address (removed when it stops).
	servingName = "SERVING"
)

// backupManifest is BACKUP.json.
type backupManifest struct {
	Format       int             `json:"format"`
	CreatedAt    time.Time       `json:"createdAt"`
	AINs         int64           `json:"ains"`
	AuditRecords int64           `json:"auditRecords"`
	Audit        bool            `json:"audit"`
	Files        []index.FileSum `json:"files"`
}

// writeBackup writes a backup archive of ain and the audit log in auditDir
// ("": none) to w. tmpParent must be on the AIN store's file system (the
// checkpoint hard-links its tables there).
func writeBackup(w io.Writer, ain *index.AINStore, auditDir, tmpParent string) (backupManifest, error) {
	man := backupManifest{Format: backupFormat, CreatedAt: time.Now().UTC()}
	tmp, err := os.MkdirTemp(tmpParent, ".backup-")
	if err != nil {
		return man, err
	}
	defer os.RemoveAll(tmp)
	if err := ain.Checkpoint(index.AINDir(tmp)); err != nil {
		return man, err
	}
	cp, err := index.OpenAINStore(tmp, nil)
	if err != nil {
		return man, fmt.Errorf("open the AIN checkpoint: %w", err)
	}
	man.AINs, err = cp.Verify()
	if cerr := cp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return man, fmt.Errorf("AIN checkpoint: %w", err)
	}
	if auditDir != "" {
		if _, err := os.Stat(auditDir); err == nil {
			man.Audit = true
			if man.AuditRecords, err = copyAuditLog(auditDir, filepath.Join(tmp, "audit")); err != nil {
				return man, err
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return man, err
		}
	}
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	err = filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(tmp, p)
		if err != nil {
			return err
		}
		sum, err := addTarFile(tw, filepath.ToSlash(rel), p)
		man.Files = append(man.Files, sum)
		return err
	})
	if err != nil {
		return man, err
	}
	b, _ := json.MarshalIndent(&man, "", "  ")
	b = append(b, '\n')
	if err := tw.WriteHeader(&tar.Header{Name: backupManifestName, Mode: 0o600, Size: int64(len(b)), ModTime: man.CreatedAt}); err != nil {
		return man, err
	}
	if _, err := tw.Write(b); err != nil {
		return man, err
	}
	if err := tw.Close(); err != nil {
		return man, err
	}
	return man, gz.Close()
}

func addTarFile(tw *tar.Writer, name, p string) (index.FileSum, error) {
	sum := index.FileSum{Name: name}
	f, err := os.Open(p)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sum, err
	}
	sum.Size = fi.Size()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return sum, err
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(tw, h), f, fi.Size()); err != nil {
		return sum, fmt.Errorf("archive %s: %w", name, err)
	}
	sum.SHA256 = hex.EncodeToString(h.Sum(nil))
	return sum, nil
}

// copyAuditLog copies the audit log in src, which a server may be appending
// to, into dst up to its last complete record, writes a HEAD naming that
// record, and verifies the copy's chain. HEAD of src is read first, so the
// copy holds at least every record durable before the call.
func copyAuditLog(src, dst string) (int64, error) {
	headSeq, err := readHeadSeq(src)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return 0, err
	}
	var files []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "audit-") && strings.HasSuffix(e.Name(), ".jsonl") {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	var last []byte // the last complete record copied
	for _, name := range files {
		rec, err := copyCompleteLines(filepath.Join(src, name), filepath.Join(dst, name))
		if err != nil {
			return 0, fmt.Errorf("copy audit file %s: %w", name, err)
		}
		if rec != nil {
			last = rec
		}
	}
	var seq uint64
	if last != nil {
		var r struct {
			Seq  uint64 `json:"seq"`
			Hash string `json:"hash"`
		}
		if err := json.Unmarshal(last, &r); err != nil {
			return 0, fmt.Errorf("audit copy: last record: %w", err)
		}
		seq = r.Seq
		head := strconv.FormatUint(r.Seq, 10) + " " + r.Hash + "\n"
		if err := os.WriteFile(filepath.Join(dst, "HEAD"), []byte(head+strings.Repeat(" ", max(0, 100-len(head)))), 0o600); err != nil {
			return 0, err
		}
	}
	if seq < headSeq {
		return 0, fmt.Errorf("audit copy ends at record %d but HEAD named %d before the copy: records were removed", seq, headSeq)
	}
	n, err := audit.Verify(dst)
	if err != nil {
		return n, fmt.Errorf("audit copy does not verify: %w", err)
	}
	return n, nil
}

// readHeadSeq returns the record number HEAD of the audit log in dir names
// (0: none yet).
func readHeadSeq(dir string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "HEAD"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, nil
	}
	return strconv.ParseUint(f[0], 10, 64)
}

// copyCompleteLines copies src to dst up to the end of its last complete
// line (a server may be appending to src) and returns that line (nil: none).
func copyCompleteLines(src, dst string) ([]byte, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	br := bufio.NewReaderSize(in, 1<<20)
	bw := bufio.NewWriterSize(out, 1<<20)
	var last []byte
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			break // a torn tail (a batch being written) is left out
		}
		if err != nil {
			return nil, err
		}
		if _, err := bw.Write(line); err != nil {
			return nil, err
		}
		last = line
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(last, []byte("\n")), out.Sync()
}

// extractBackup extracts the archive in r into dst (empty), checks every
// file against BACKUP.json, verifies the AIN store and the audit chain, and
// returns the manifest.
func extractBackup(r io.Reader, dst string) (backupManifest, error) {
	var man backupManifest
	gz, err := gzip.NewReader(r)
	if err != nil {
		return man, fmt.Errorf("not a grunndata backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]index.FileSum{}
	haveManifest := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return man, fmt.Errorf("backup archive is damaged or incomplete: %w", err)
		}
		if haveManifest {
			return man, fmt.Errorf("backup archive: %s follows %s", h.Name, backupManifestName)
		}
		if h.Typeflag != tar.TypeReg {
			return man, fmt.Errorf("backup archive: %s is not a regular file", h.Name)
		}
		name := path.Clean(h.Name)
		if h.Name == backupManifestName {
			b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
			if err != nil {
				return man, fmt.Errorf("backup archive: %w", err)
			}
			if err := json.Unmarshal(b, &man); err != nil {
				return man, fmt.Errorf("backup archive: %s: %w", backupManifestName, err)
			}
			haveManifest = true
			continue
		}
		if name != h.Name || path.IsAbs(name) || strings.Contains(name, "..") ||
			!(strings.HasPrefix(name, "ain/") || strings.HasPrefix(name, "audit/")) {
			return man, fmt.Errorf("backup archive: unexpected file %q", h.Name)
		}
		if _, dup := got[name]; dup {
			return man, fmt.Errorf("backup archive: %s appears twice", name)
		}
		p := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return man, err
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return man, err
		}
		hs := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, hs), tr)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return man, fmt.Errorf("backup archive: %s: %w", name, err)
		}
		got[name] = index.FileSum{Name: name, Size: n, SHA256: hex.EncodeToString(hs.Sum(nil))}
	}
	if !haveManifest {
		return man, fmt.Errorf("backup archive has no %s: it is incomplete (the backup was interrupted)", backupManifestName)
	}
	if man.Format != backupFormat {
		return man, fmt.Errorf("backup format %d, want %d", man.Format, backupFormat)
	}
	for _, want := range man.Files {
		g, ok := got[want.Name]
		if !ok {
			return man, fmt.Errorf("backup archive lacks %s", want.Name)
		}
		if g != want {
			return man, fmt.Errorf("backup archive: %s does not match its checksum", want.Name)
		}
		delete(got, want.Name)
	}
	for name := range got {
		return man, fmt.Errorf("backup archive: %s is not listed in %s", name, backupManifestName)
	}
	ain, err := index.OpenAINStore(dst, nil)
	if err != nil {
		return man, fmt.Errorf("backup's AIN store: %w", err)
	}
	n, err := ain.Verify()
	if cerr := ain.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return man, fmt.Errorf("backup's AIN store: %w", err)
	}
	if n != man.AINs {
		return man, fmt.Errorf("backup's AIN store holds %d AINs, %s says %d", n, backupManifestName, man.AINs)
	}
	if man.Audit {
		n, err := audit.Verify(filepath.Join(dst, "audit"))
		if err != nil {
			return man, fmt.Errorf("backup's audit log: %w", err)
		}
		if n != man.AuditRecords {
			return man, fmt.Errorf("backup's audit log holds %d records, %s says %d", n, backupManifestName, man.AuditRecords)
		}
	}
	return man, nil
}

// verifyBackupFile extracts the archive at p into a temporary directory
// beside it, verifies it and removes the extraction.
func verifyBackupFile(p string) (backupManifest, error) {
	f, err := os.Open(p)
	if err != nil {
		return backupManifest{}, err
	}
	defer f.Close()
	tmp, err := os.MkdirTemp(filepath.Dir(p), ".verify-")
	if err != nil {
		return backupManifest{}, err
	}
	defer os.RemoveAll(tmp)
	return extractBackup(bufio.NewReaderSize(f, 1<<20), tmp)
}

// backupHandler serves POST /admin/backup on the admin listener: the
// archive, streamed. A failure midway aborts the response, so the client
// gets an archive without BACKUP.json and refuses it.
func (m *Main) backupHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "POST makes a backup", http.StatusMethodNotAllowed)
			return
		}
		if m.security.ain == nil {
			http.Error(w, "this server keeps its AINs in the fleet's NATS key-value bucket, not in DATADIR/ain: back up NATS JetStream (docs/runbook.md)", http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Content-Disposition", `attachment; filename="grunndata-backup.tar.gz"`)
		start := time.Now()
		man, err := writeBackup(w, m.security.ain, m.security.auditDir, m.Config.DataDir)
		if err != nil {
			m.Log.Error("backup failed", "err", err)
			panic(http.ErrAbortHandler)
		}
		m.Log.Info("backup streamed", "ains", man.AINs, "audit_records", man.AuditRecords, "seconds", time.Since(start).Seconds())
	})
}

// writeServing records the admin address in DATADIR/SERVING so that
// `grunndata backup` finds the server holding the AIN store.
func writeServing(dataDir, adminAddr string) error {
	b, _ := json.Marshal(map[string]any{"admin": adminAddr, "pid": os.Getpid()})
	return os.WriteFile(filepath.Join(dataDir, servingName), append(b, '\n'), 0o644)
}

func removeServing(dataDir, adminAddr string) {
	p := filepath.Join(dataDir, servingName)
	if addr, err := readServing(dataDir); err == nil && addr == adminAddr {
		os.Remove(p)
	}
}

func readServing(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, servingName))
	if err != nil {
		return "", err
	}
	var s struct {
		Admin string `json:"admin"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Admin == "" {
		return "", fmt.Errorf("%s is malformed", servingName)
	}
	return s.Admin, nil
}

// runBackup implements `grunndata backup`.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "data", "data `DIR` holding the AIN store and the audit log")
	out := fs.String("out", "", "write the backup archive to `FILE` (tar.gz)")
	auditDir := fs.String("audit-dir", "", "audit log `DIR` (default DATADIR/audit)")
	admin := fs.String("admin", "", "back up through the server on this admin `URL` (default: DATADIR/SERVING when a server holds the store)")
	token := fs.String("token", os.Getenv("GRUNNDATA_TOKEN"), "access `TOKEN` with the grunndata:admin scope for --admin (default $GRUNNDATA_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: grunndata backup --data DATADIR --out FILE [--audit-dir DIR] [--admin URL --token T]")
		return 2
	}
	if *auditDir == "" {
		*auditDir = filepath.Join(*data, "audit")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "grunndata backup: %v\n", err)
		return 1
	}
	start := time.Now()
	tmpName := *out + ".tmp"
	f, err := os.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmpName)
	via := "directly"
	err = func() error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if *admin == "" {
			if _, serr := os.Stat(*data); serr != nil {
				return serr
			}
			ain, oerr := index.OpenAINStore(*data, nil)
			if oerr != nil {
				addr, rerr := readServing(*data)
				if rerr != nil {
					return fmt.Errorf("%v (and no running server is recorded in %s)", oerr, filepath.Join(*data, servingName))
				}
				*admin = "http://" + addr
			} else {
				_, werr := writeBackup(bw, ain, *auditDir, *data)
				if cerr := ain.Close(); werr == nil {
					werr = cerr
				}
				if werr != nil {
					return werr
				}
			}
		}
		if *admin != "" {
			via = "through the server at " + *admin
			if err := fetchBackup(ctx, bw, *admin, *token); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return f.Sync()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	man, err := verifyBackupFile(tmpName)
	if err != nil {
		return fail(fmt.Errorf("the backup does not verify, %s was not written: %w", *out, err))
	}
	if err := os.Rename(tmpName, *out); err != nil {
		return fail(err)
	}
	fi, _ := os.Stat(*out)
	fmt.Fprintf(stdout, "backup %s (%s): %d AINs, %d audit records, %.1f MB, verified, %.2fs\n",
		*out, via, man.AINs, man.AuditRecords, float64(fi.Size())/1e6, time.Since(start).Seconds())
	return 0
}

func fetchBackup(ctx context.Context, w io.Writer, admin, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(admin, "/")+"/admin/backup", nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask the server for a backup: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		return fmt.Errorf("the server refused the backup: %s: %s", res.Status, bytes.TrimSpace(b))
	}
	if _, err := io.Copy(w, res.Body); err != nil {
		return fmt.Errorf("the backup stream broke off: %w", err)
	}
	return nil
}

// runRestore implements `grunndata restore`.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup archive `FILE` written by grunndata backup")
	data := fs.String("data", "", "data `DIR` to restore the AIN store and the audit log into (they must not exist there)")
	auditDir := fs.String("audit-dir", "", "audit log `DIR` (default DATADIR/audit)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || *data == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: grunndata restore --from FILE --data DATADIR [--audit-dir DIR]")
		return 2
	}
	if *auditDir == "" {
		*auditDir = filepath.Join(*data, "audit")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "grunndata restore: %v\n", err)
		return 1
	}
	start := time.Now()
	for _, d := range []string{index.AINDir(*data), *auditDir} {
		if ents, err := os.ReadDir(d); err == nil && len(ents) > 0 {
			return fail(fmt.Errorf("%s exists and is not empty: restore never overwrites; move it away first", d))
		}
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(*data, ".restore-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	f, err := os.Open(*from)
	if err != nil {
		return fail(err)
	}
	man, err := extractBackup(bufio.NewReaderSize(f, 1<<20), tmp)
	f.Close()
	if err != nil {
		return fail(fmt.Errorf("%s: %w; nothing was restored", *from, err))
	}
	moves := [][2]string{{index.AINDir(tmp), index.AINDir(*data)}}
	if man.Audit {
		moves = append(moves, [2]string{filepath.Join(tmp, "audit"), *auditDir})
	}
	for _, mv := range moves {
		os.Remove(mv[1]) // an empty directory
		if err := os.MkdirAll(filepath.Dir(mv[1]), 0o755); err != nil {
			return fail(err)
		}
		if err := os.Rename(mv[0], mv[1]); err != nil {
			return fail(fmt.Errorf("move the restored files into place: %w", err))
		}
		if err := syncPath(filepath.Dir(mv[1])); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(stdout, "restored %d AINs into %s and %d audit records into %s from %s (taken %s), %.2fs\n",
		man.AINs, index.AINDir(*data), man.AuditRecords, *auditDir, *from, man.CreatedAt.Format(time.RFC3339), time.Since(start).Seconds())
	if !man.Audit {
		fmt.Fprintln(stdout, "the backup holds no audit log (it was taken with the audit log off)")
	}
	return 0
}

func syncPath(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
