package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry/ops"
)

const snapshotsUsage = `usage: grunndata snapshots COMMAND [flags]

  list      [--data DIR] [--json]          every generation: created, sources, counts, rejects, feeds, size, state
  activate  [--data DIR] [--full] [--admin URL [--token T]] GEN
                                           verify GEN and make it the active generation
  rollback  [--data DIR] [--admin URL [--token T]]
                                           back to the previous good generation of the activation history
  prune     [--data DIR] --keep N          remove all but the N newest (never the active one, the
                                           rollback target or the newest), and the half-built
                                           generations of killed loads and deltas
  verify    [--data DIR] [--full] [GEN...] check generations (default: all) without activating

A running server on the same data directory follows activate and rollback at
once (inotify), within --follow-interval, or on SIGHUP. With --admin URL (the
server's admin listener, e.g. http://127.0.0.1:9090) the server does the
activation itself and answers when the new generation serves; when the admin
listener checks tokens, --token (default $GRUNNDATA_TOKEN) is a token with the
grunndata:admin scope.
`

func runSnapshots(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, snapshotsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("snapshots "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, snapshotsUsage) }
	data := fs.String("data", "data", "data `DIR` holding the generations")
	asJSON, full, keep, admin, token := new(bool), new(bool), new(int), new(string), new(string)
	tokenFlag := func() {
		fs.StringVar(token, "token", os.Getenv("GRUNNDATA_TOKEN"), "access `TOKEN` with the grunndata:admin scope for --admin (default $GRUNNDATA_TOKEN)")
	}
	switch cmd {
	case "list":
		fs.BoolVar(asJSON, "json", false, "print a JSON array")
	case "activate":
		fs.BoolVar(full, "full", false, "checksum every file whatever the generation's size")
		fs.StringVar(admin, "admin", "", "activate through the server's admin listener at `URL`")
		tokenFlag()
	case "rollback":
		fs.StringVar(admin, "admin", "", "roll back through the server's admin listener at `URL`")
		tokenFlag()
	case "prune":
		fs.IntVar(keep, "keep", -1, "keep the `N` newest generations")
	case "verify":
		fs.BoolVar(full, "full", false, "checksum every file (default: sizes only)")
	default:
		fmt.Fprintf(stderr, "grunndata snapshots: unknown command %q\n\n%s", cmd, snapshotsUsage)
		return 2
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "grunndata snapshots %s: %v\n", cmd, err)
		return 1
	}
	switch cmd {
	case "list":
		if len(pos) > 0 {
			fs.Usage()
			return 2
		}
		infos, err := snapshotInfos(*data, "")
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			if infos == nil {
				infos = []ops.SnapshotInfo{}
			}
			b, _ := json.MarshalIndent(infos, "", "  ")
			fmt.Fprintf(stdout, "%s\n", b)
			return 0
		}
		printSnapshots(stdout, infos, index.DiskUsage(*data))
		return 0
	case "activate":
		if len(pos) != 1 {
			fs.Usage()
			return 2
		}
		gen := pos[0]
		if *admin != "" {
			return adminCall(ctx, stdout, stderr, *admin, *token, "/admin/snapshots/"+gen+"/activate")
		}
		start := time.Now()
		// The pointer is read before the verification and written only if
		// it still names the same generation (compare-and-set), so an
		// activation, rollback or load made meanwhile is never undone.
		prev, err := index.ReadActive(*data)
		if err != nil {
			return fail(err)
		}
		if err := verifyForActivation(*data, gen, *full); err != nil {
			fmt.Fprintf(stderr, "grunndata snapshots activate: %v\nnothing was activated; the active generation keeps serving\n", err)
			return 1
		}
		if prev == gen {
			fmt.Fprintf(stdout, "generation %s is already active\n", gen)
			return 0
		}
		if err := index.WriteActiveIf(*data, prev, gen); err != nil {
			fmt.Fprintf(stderr, "grunndata snapshots activate: %v\nnothing was activated; look at `grunndata snapshots list` and activate again if still wanted\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "generation %s is active (was %s; verified and written in %s); a running server follows at once, or on SIGHUP\n",
			gen, orNone(prev), time.Since(start).Round(time.Millisecond))
		return 0
	case "rollback":
		if len(pos) > 0 {
			fs.Usage()
			return 2
		}
		if *admin != "" {
			return adminCall(ctx, stdout, stderr, *admin, *token, "/admin/snapshots/rollback")
		}
		prev, err := index.ReadActive(*data)
		if err != nil {
			return fail(err)
		}
		cands, err := index.RollbackCandidates(*data)
		if err != nil {
			return fail(err)
		}
		var errs []error
		for _, c := range cands {
			if err := verifyForActivation(*data, c, false); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := index.WriteRollbackIf(*data, prev, c); err != nil {
				if errors.Is(err, index.ErrActiveChanged) {
					fmt.Fprintf(stderr, "grunndata snapshots rollback: %v\nnothing was rolled back; look at `grunndata snapshots list` and roll back again if still wanted\n", err)
					return 1
				}
				return fail(err)
			}
			fmt.Fprintf(stdout, "rolled back from %s to generation %s; a running server follows at once, or on SIGHUP\n", orNone(prev), c)
			return 0
		}
		return fail(fmt.Errorf("%w (active: %s) %w", index.ErrNoRollbackTarget, orNone(prev), errors.Join(errs...)))
	case "prune":
		if len(pos) > 0 || *keep < 0 {
			fmt.Fprintln(stderr, "usage: grunndata snapshots prune --data DIR --keep N")
			return 2
		}
		res, err := index.Prune(*data, *keep)
		if err != nil {
			return fail(err)
		}
		if len(res.RemovedTemp) > 0 {
			fmt.Fprintf(stdout, "removed half-built %s (left by killed loads or deltas)\n", strings.Join(res.RemovedTemp, " "))
		}
		if len(res.Removed) == 0 {
			fmt.Fprintf(stdout, "nothing to prune; kept %s\n", strings.Join(res.Kept, " "))
			return 0
		}
		fmt.Fprintf(stdout, "removed %s; freed %s; kept %s\n", strings.Join(res.Removed, " "),
			humanBytes(res.FreedBytes), strings.Join(res.Kept, " "))
		return 0
	case "verify":
		ids := pos
		if len(ids) == 0 {
			if ids, err = index.ListGenerations(*data); err != nil {
				return fail(err)
			}
		}
		code := 0
		for _, id := range ids {
			start := time.Now()
			err := index.VerifyQuick(*data, id)
			if err == nil && *full {
				err = index.VerifyFull(*data, id)
			}
			if err == nil {
				err = index.VerifyOpen(*data, id)
			}
			level := "sizes"
			if *full {
				level = "checksums"
			}
			if err != nil {
				fmt.Fprintf(stdout, "%s\tFAILED\t%v\n", id, err)
				code = 1
				continue
			}
			fmt.Fprintf(stdout, "%s\tok\t%s, %s\n", id, level, time.Since(start).Round(time.Millisecond))
		}
		return code
	}
	return 2
}

// parseInterspersed parses flags before and after positional arguments
// (`activate 000003 --data d` as well as `activate --data d 000003`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// verifyForActivation is what the CLI checks before it writes ACTIVE: the
// quick verification, the full one when asked or when the generation is
// small enough for the server's default, and a read-only Pebble open
// (skipped when a server holds the generation open).
func verifyForActivation(data, gen string, full bool) error {
	if !index.ValidID(gen) {
		return fmt.Errorf("%q is not a generation id (six digits, as `grunndata snapshots list` shows)", gen)
	}
	if err := index.VerifyQuick(data, gen); err != nil {
		return err
	}
	if !full {
		infos, err := index.List(data)
		if err != nil {
			return err
		}
		for _, gi := range infos {
			if gi.ID == gen && gi.Manifest != nil && gi.Manifest.SizeBytes <= index.DefaultConfig(data).VerifyChecksumBytes {
				full = true
			}
		}
	}
	if full {
		if err := index.VerifyFull(data, gen); err != nil {
			return err
		}
	}
	return index.VerifyOpen(data, gen)
}

// adminCall POSTs to a server's admin listener, with token as the bearer
// token when given, and prints its answer.
func adminCall(ctx context.Context, stdout, stderr io.Writer, base, token, path string) int {
	base = strings.TrimRight(base, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+path, nil)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata snapshots: %v\n", err)
		return 2
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "grunndata snapshots: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		var p struct{ Title, Detail string }
		json.Unmarshal(body, &p)
		fmt.Fprintf(stderr, "grunndata snapshots: %s: %s: %s\n", res.Status, p.Title, p.Detail)
		return 1
	}
	var a ops.ActivationInfo
	if err := json.Unmarshal(body, &a); err != nil {
		fmt.Fprintf(stderr, "grunndata snapshots: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "generation %s serves (was %s) after %.1f ms: verify %.1f, open %.1f, warm %.1f (%d keys), write %.1f, swap %.4f ms\n",
		a.Generation, orNone(a.Previous), a.TotalMS, a.VerifyMS, a.OpenMS, a.WarmMS, a.WarmedKeys, a.WriteMS, a.SwapMS)
	return 0
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// snapshotInfos describes the generations of data as the CLI's --json and
// GET /admin/snapshots show them; serving marks the generation a server
// process serves ("" from the CLI).
func snapshotInfos(data, serving string) ([]ops.SnapshotInfo, error) {
	list, err := index.List(data)
	if err != nil {
		return nil, err
	}
	out := make([]ops.SnapshotInfo, 0, len(list))
	for _, gi := range list {
		si := ops.SnapshotInfo{
			Generation: gi.ID, Active: gi.Active, RollbackTarget: gi.RollbackTarget, Serving: gi.ID == serving,
			SizeBytes: gi.SizeBytes, UniqueBytes: gi.UniqueBytes,
			Sources: []ops.SnapshotSource{}, Registers: map[string]ops.RegisterCounts{},
		}
		if !gi.LastActivated.IsZero() {
			t := gi.LastActivated
			si.LastActivated = &t
		}
		if gi.Err != nil {
			si.Error = gi.Err.Error()
		}
		if m := gi.Manifest; m != nil {
			t := m.CreatedAt
			si.CreatedAt = &t
			si.Parent, si.FormatVersion, si.FeedPositions, si.Files = m.Parent, m.FormatVersion, m.FeedPositions, len(m.Files)
			for _, s := range m.Sources {
				si.Sources = append(si.Sources, ops.SnapshotSource{Path: s.Path, Size: s.Size, SHA256: s.SHA256})
			}
			for r, c := range m.Registers {
				si.Registers[r] = ops.RegisterCounts{Records: c.Records, Rejects: c.Rejects, Warnings: c.Warnings}
				si.Records += c.Records
				si.Rejects += c.Rejects
			}
		}
		out = append(out, si)
	}
	return out, nil
}

func printSnapshots(w io.Writer, infos []ops.SnapshotInfo, disk int64) {
	if len(infos) == 0 {
		fmt.Fprintln(w, "no generations")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GENERATION\tSTATE\tCREATED\tRECORDS\tREJECTS\tSIZE\tSOURCES\tFEEDS\tPARENT")
	for _, si := range infos {
		state := "-"
		switch {
		case si.Error != "":
			state = "broken"
		case si.Active:
			state = "active"
		case si.RollbackTarget:
			state = "rollback"
		}
		created := "-"
		if si.CreatedAt != nil {
			created = si.CreatedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", si.Generation, state, created, si.Records, si.Rejects,
			humanBytes(si.SizeBytes), sourceDigest(si.Sources), feeds(si.FeedPositions), orDash(si.Parent))
	}
	tw.Flush()
	fmt.Fprintf(w, "disk: %s in %d generations (shared tables counted once); state rollback = the target of `snapshots rollback`\n",
		humanBytes(disk), len(infos))
	for _, si := range infos {
		if si.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", si.Generation, si.Error)
		}
	}
}

// sourceDigest summarises a load's source files: their number and a SHA-256
// over their paths and checksums (the full list is in --json).
func sourceDigest(ss []ops.SnapshotSource) string {
	if len(ss) == 0 {
		return "-"
	}
	sorted := append([]ops.SnapshotSource(nil), ss...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	h := sha256.New()
	for _, s := range sorted {
		fmt.Fprintf(h, "%s %s\n", s.Path, s.SHA256)
	}
	return fmt.Sprintf("%d files sha256:%s", len(ss), hex.EncodeToString(h.Sum(nil))[:12])
}

func feeds(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// snapshotAdmin implements ops.Snapshots for a running Main: every
// activation is verified, warmed, written durably and swapped in.
type snapshotAdmin struct{ m *Main }

func (a snapshotAdmin) List() ([]ops.SnapshotInfo, error) {
	serving := ""
	if g := a.m.store.Active(); g != nil {
		serving = g.ID()
	}
	return snapshotInfos(a.m.Config.DataDir, serving)
}

func (a snapshotAdmin) Activate(gen string) (ops.ActivationInfo, error) {
	if !index.ValidID(gen) {
		return ops.ActivationInfo{}, fmt.Errorf("%w: %q (six digits)", ops.ErrInvalidGeneration, gen)
	}
	start := time.Now()
	rep, err := a.m.store.ActivateWith(gen, index.ActivateOptions{Durable: true, Warm: a.m.warmFunc()})
	return activationInfo(rep, start), adminError(err)
}

func (a snapshotAdmin) Rollback() (ops.ActivationInfo, error) {
	start := time.Now()
	rep, err := a.m.store.Rollback(index.ActivateOptions{Warm: a.m.warmFunc()})
	return activationInfo(rep, start), adminError(err)
}

func activationInfo(r index.ActivationReport, start time.Time) ops.ActivationInfo {
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	return ops.ActivationInfo{Generation: r.Generation, Previous: r.Previous, Rollback: r.Rollback, NoOp: r.NoOp,
		FullVerify: r.FullVerify, WarmedKeys: r.Warmed, Resident: r.Resident, ResidentBytes: r.ResidentBytes, NotResident: r.NotResident,
		VerifyMS: ms(r.Verify), OpenMS: ms(r.Open), FillMS: ms(r.Fill), WarmMS: ms(r.Warm),
		WriteMS: ms(r.Write), SwapMS: ms(r.Swap), TotalMS: ms(time.Since(start))}
}

// adminError wraps index errors in the server's, for their statuses.
func adminError(err error) error {
	var ve *index.VerifyError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, index.ErrNoRollbackTarget):
		return fmt.Errorf("%w: %w", ops.ErrNoRollbackTarget, err)
	case errors.Is(err, index.ErrNoGeneration):
		return fmt.Errorf("%w: %w", ops.ErrNoSuchGeneration, err)
	case errors.As(err, &ve), errors.Is(err, index.ErrActiveChanged):
		return fmt.Errorf("%w: %w", ops.ErrGenerationRefused, err)
	}
	return err
}

// diskCache remembers the data directory's disk use for a few seconds, so
// scrapes do not walk it each time.
type diskCache struct {
	mu    sync.Mutex
	at    time.Time
	bytes int64
}

func (d *diskCache) get(dir string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.at) > 10*time.Second {
		d.bytes, d.at = index.DiskUsage(dir), time.Now()
	}
	return d.bytes
}
