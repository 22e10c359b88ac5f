package synth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Generate writes the dataset described by cfg into cfg.Out and returns what
// it wrote. Cancelling ctx stops it; files not finished are removed (files
// already finished stay).
func Generate(ctx context.Context, cfg Config) (Summary, error) {
	p, err := LookupPreset(cfg.Preset)
	if err != nil {
		return Summary{}, err
	}
	return generate(ctx, cfg, p)
}

func generate(ctx context.Context, cfg Config, p Preset) (Summary, error) {
	start := time.Now()
	sum := Summary{Preset: p.Name, Seed: cfg.Seed, Dir: cfg.Out}
	if cfg.Out == "" {
		return sum, fmt.Errorf("no output directory")
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w, err := newWorld(p, cfg.Seed)
	if err != nil {
		return sum, err
	}
	if err := w.reshNonLeafServices(cfg.ReshNonLeafServices); err != nil {
		return sum, err
	}
	if cfg.Deltas < 0 || cfg.DeltaChanges < 0 {
		return sum, fmt.Errorf("deltas %d, changes %d: must be ≥ 0", cfg.Deltas, cfg.DeltaChanges)
	}
	changes := cfg.DeltaChanges
	if changes == 0 {
		changes = DefaultDeltaChanges(p.Name)
	}
	if cfg.Deltas > 0 {
		if _, err := w.newDeltaGen(cfg.Out, cfg.Deltas, changes); err != nil {
			return sum, err
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return sum, err
	}

	jobs := []fileJob{
		{name: "enheter_alle.json.gz", units: w.e, chunk: 1000, head: "[\n", tail: "\n]\n", encode: w.encodeArray(w.appendEnhet)},
		{name: "underenheter_alle.json.gz", units: w.u, chunk: 1000, head: "[\n", tail: "\n]\n", encode: w.encodeArray(w.appendUnderenhet)},
		{name: "hpr.jsonl.gz", units: w.h, chunk: 1000, encode: w.encodeLines(w.appendHPR)},
		{name: "ar.jsonl.gz", units: w.arTotal, chunk: 1000, encode: w.encodeLines(w.appendAR)},
		{name: "resh.jsonl.gz", units: len(w.resh), chunk: 1000, encode: w.encodeLines(w.appendResh)},
		{name: "flr_contracts.jsonl.gz", units: len(w.contracts), chunk: 500, encode: w.encodeLines(w.appendContract)},
		{name: "flr_patients.jsonl.gz", units: w.n, chunk: 2000, encode: w.encodePatients},
	}
	if cfg.DeltasOnly {
		if cfg.Deltas == 0 {
			return sum, fmt.Errorf("deltas only, but no deltas asked for")
		}
		if err := writeFeedPositions(cfg.Out); err != nil {
			return sum, err
		}
		ds, err := w.writeDeltas(ctx, cfg.Out, cfg.Deltas, changes)
		sum.Files = append(sum.Files, ds...)
		sum.Elapsed = time.Since(start)
		return sum, err
	}
	for _, j := range jobs[:2] {
		fs, err := writeFile(ctx, cfg.Out, j, workers, cfg.Progress)
		if err != nil {
			return sum, fmt.Errorf("write %s: %w", j.name, err)
		}
		sum.Files = append(sum.Files, fs)
	}
	fs, err := writeFiles(ctx, cfg.Out, fregJob{dir: "freg", units: w.n, per: 1000, encode: w.encodeFreg}, workers, cfg.Progress)
	if err != nil {
		return sum, fmt.Errorf("write freg: %w", err)
	}
	sum.Files = append(sum.Files, fs)
	for _, j := range jobs[2:] {
		fs, err := writeFile(ctx, cfg.Out, j, workers, cfg.Progress)
		if err != nil {
			return sum, fmt.Errorf("write %s: %w", j.name, err)
		}
		sum.Files = append(sum.Files, fs)
	}
	if err := w.writeCerts(ctx, cfg.Out, workers, cfg.Progress, &sum); err != nil {
		return sum, err
	}
	if err := writeFeedPositions(cfg.Out); err != nil {
		return sum, err
	}
	if cfg.Deltas > 0 {
		ds, err := w.writeDeltas(ctx, cfg.Out, cfg.Deltas, changes)
		if err != nil {
			return sum, fmt.Errorf("write deltas: %w", err)
		}
		sum.Files = append(sum.Files, ds...)
	}
	if err := w.writeManifest(cfg.Out, sum); err != nil {
		return sum, err
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func (w *world) encodeArray(enc func(dst []byte, i int) []byte) encodeFunc {
	return func(dst []byte, lo, hi int, _ *scratch) ([]byte, int) {
		for i := lo; i < hi; i++ {
			if i > 0 {
				dst = append(dst, ",\n"...)
			}
			dst = enc(dst, i)
		}
		return dst, hi - lo
	}
}

func (w *world) encodeLines(enc func(dst []byte, i int) []byte) encodeFunc {
	return func(dst []byte, lo, hi int, _ *scratch) ([]byte, int) {
		for i := lo; i < hi; i++ {
			dst = enc(dst, i)
			dst = append(dst, '\n')
		}
		return dst, hi - lo
	}
}

// encodeFreg writes one bulkoppslag response: the persons at file positions
// [lo, hi), in the shuffled order of w.order.
func (w *world) encodeFreg(dst []byte, lo, hi int, s *scratch) ([]byte, int) {
	dst = append(dst, "{\"oppslag\":[\n"...)
	for j := lo; j < hi; j++ {
		if j > lo {
			dst = append(dst, ",\n"...)
		}
		w.derivePerson(int(w.order.at(uint64(j))), &s.p)
		dst = w.appendFregPerson(dst, &s.p)
	}
	return append(dst, "\n]}\n"...), hi - lo
}

// encodePatients writes the GP list entries of the persons at positions
// [lo, hi), in the order of the Freg files.
func (w *world) encodePatients(dst []byte, lo, hi int, s *scratch) ([]byte, int) {
	n := 0
	for j := lo; j < hi; j++ {
		o := int(w.order.at(uint64(j)))
		if !onGPList(o >= w.nf, w.statusOf(o)) {
			continue
		}
		w.derivePerson(o, &s.p)
		var k int
		dst, k = w.appendPatients(dst, &s.p)
		n += k
	}
	return dst, n
}

type manifest struct {
	FormatVersion int              `json:"formatVersion"`
	Generator     string           `json:"generator"`
	Preset        string           `json:"preset"`
	Seed          uint64           `json:"seed"`
	ReferenceDate string           `json:"referenceDate"`
	Sizes         Preset           `json:"sizes"`
	Files         []FileSummary    `json:"files"`
	Counts        map[string]int64 `json:"counts"`
}

func (w *world) writeManifest(dir string, sum Summary) error {
	y, m, d := refDay.civil()
	man := manifest{FormatVersion: FormatVersion, Generator: "grunndata gen", Preset: w.p.Name, Seed: w.seed,
		ReferenceDate: fmt.Sprintf("%04d-%02d-%02d", y, m, d), Sizes: w.p, Files: sum.Files,
		Counts: map[string]int64{
			"personsFnr": int64(w.nf), "personsDnr": int64(w.nd), "enheter": int64(w.e), "underenheter": int64(w.u),
			"hpr": int64(w.h), "hprGPs": int64(w.gpSlots), "ar": int64(w.arTotal), "arOrganizations": int64(len(w.ar)),
			"resh": int64(len(w.resh)), "gpContracts": int64(len(w.contracts)), "gpOffices": int64(len(w.offices)),
		}}
	var serviced int64
	for _, u := range w.resh {
		if len(u.services) > 0 {
			serviced++
		}
	}
	if serviced > 0 { // only on request (Config.ReshNonLeafServices)
		man.Counts["reshNonLeafServices"] = serviced
	}
	for _, f := range sum.Files {
		if f.Name == "flr_patients.jsonl.gz" {
			man.Counts["patients"] = f.Records
		}
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "dataset.json"), append(b, '\n'))
}
