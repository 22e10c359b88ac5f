package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/grunndata/grunndata/loader/jsonl"
	"github.com/grunndata/grunndata/registry"
)

// IDs are the identifiers the harness looks up, per route, as the API takes
// them (decimal serials, 9-digit orgnrs, 11-digit person numbers).
type IDs [NumRoutes][]string

// Count returns how many ids route r has.
func (ids *IDs) Count(r Route) int { return len(ids[r]) }

// The files of a dataset directory (docs/formats.md) that ids are read from.
const (
	fileEnheter  = "enheter_alle.json.gz"
	dirFreg      = "freg"
	fileHPR      = "hpr.jsonl.gz"
	fileAR       = "ar.jsonl.gz"
	fileResh     = "resh.jsonl.gz"
	filePatients = "flr_patients.jsonl.gz"
)

var errEnough = errors.New("enough ids")

// DatasetDir returns the dataset directory to read ids from: dir itself if
// it holds source files, or dir/source if dir is a data directory with
// snapshot generations (an ACTIVE file). The snapshot itself is not read:
// the harness knows the server only from the outside.
func DatasetDir(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "ACTIVE")); err == nil {
		src := filepath.Join(dir, "source")
		if _, err := os.Stat(filepath.Join(src, fileAR)); err == nil {
			return src, nil
		}
		return "", fmt.Errorf("%s is a data directory with snapshots but no source files in %s: "+
			"pass --ids-from the dataset directory the snapshot was loaded from", dir, src)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		switch e.Name() {
		case fileEnheter, dirFreg, fileHPR, fileAR, fileResh, filePatients:
			return dir, nil
		}
	}
	return "", fmt.Errorf("%s holds neither a dataset (ar.jsonl.gz, freg/, …) nor snapshots (ACTIVE)", dir)
}

// LoadIDs reads at most max ids for each route that mix gives a positive
// weight from the dataset in dir (see DatasetDir): HER-ids from ar.jsonl.gz,
// orgnrs from enheter_alle.json.gz, person numbers from freg/ (files spread
// over the directory), HPR-numbers from hpr.jsonl.gz, GP patients' numbers
// from flr_patients.jsonl.gz and RESH-ids from resh.jsonl.gz. Reading stops
// as soon as max ids are read, so a national dataset costs a few seconds.
func LoadIDs(dir string, max int, mix Mix) (*IDs, error) {
	if max <= 0 {
		return nil, fmt.Errorf("max ids must be positive")
	}
	dir, err := DatasetDir(dir)
	if err != nil {
		return nil, err
	}
	ids := new(IDs)
	for r := Route(0); r < NumRoutes; r++ {
		if mix[r] == 0 {
			continue
		}
		var err error
		switch r {
		case RouteHer:
			ids[r], err = serials(filepath.Join(dir, fileAR), "herId", max)
		case RouteHPR:
			ids[r], err = serials(filepath.Join(dir, fileHPR), "hprNumber", max)
		case RouteResh:
			ids[r], err = serials(filepath.Join(dir, fileResh), "reshId", max)
		case RouteOrg:
			ids[r], err = orgnrs(filepath.Join(dir, fileEnheter), max)
		case RouteGP:
			ids[r], err = patients(filepath.Join(dir, filePatients), max)
		case RoutePerson:
			ids[r], err = persons(filepath.Join(dir, dirFreg), max)
		}
		if err != nil {
			return nil, fmt.Errorf("ids for %s: %w", r, err)
		}
		if len(ids[r]) == 0 {
			return nil, fmt.Errorf("ids for %s: none found in %s", r, dir)
		}
	}
	return ids, nil
}

// gzipFile opens a gzip file; close the returned closer when done.
func gzipFile(path string) (io.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return gz, f, nil
}

// serials reads the integer field of each JSON line of path.
func serials(path, field string, max int) ([]string, error) {
	r, c, err := gzipFile(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []string
	err = jsonl.Lines(r, func(line int, b []byte) error {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil // a reject of the loader; not ours to report
		}
		v, err := strconv.ParseUint(string(m[field]), 10, 63)
		if err != nil || v == 0 {
			return nil
		}
		out = append(out, strconv.FormatUint(v, 10))
		if len(out) >= max {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

func orgnrs(path string, max int) ([]string, error) {
	r, c, err := gzipFile(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []string
	err = jsonl.Array(r, func(_ int, raw []byte) error {
		var e struct {
			Orgnr string `json:"organisasjonsnummer"`
		}
		if json.Unmarshal(raw, &e) != nil {
			return nil
		}
		if _, err := registry.ParseOrgnr([]byte(e.Orgnr)); err != nil {
			return nil
		}
		out = append(out, e.Orgnr)
		if len(out) >= max {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// patients reads distinct patient numbers (a patient with an earlier GP has
// two lines).
func patients(path string, max int) ([]string, error) {
	r, c, err := gzipFile(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []string
	seen := make(map[string]struct{})
	err = jsonl.Lines(r, func(_ int, b []byte) error {
		var p struct {
			NIN string `json:"patientNin"`
		}
		if json.Unmarshal(b, &p) != nil {
			return nil
		}
		if _, _, err := registry.ParseNIN([]byte(p.NIN)); err != nil {
			return nil
		}
		if _, ok := seen[p.NIN]; ok {
			return nil
		}
		seen[p.NIN] = struct{}{}
		out = append(out, p.NIN)
		if len(out) >= max {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// persons reads person numbers from the Freg bulkoppslag files in dir. The
// files are sampled evenly across the directory (every k-th file) so that
// the sample spans the whole dataset rather than its first files.
func persons(dir string, max int) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.json.gz files in %s", dir)
	}
	sort.Strings(files)
	var out []string
	step := 1
	for i := 0; i < len(files) && len(out) < max; i += step {
		n := len(out)
		if out, err = fregNINs(files[i], out, max); err != nil {
			return nil, err
		}
		if i == 0 && len(out) > n {
			// Files are about the same size: read just enough of them.
			need := (max + len(out) - 1) / len(out)
			step = len(files) / need
			if step < 1 {
				step = 1
			}
		}
	}
	return out, nil
}

// fregNINs appends foedselsEllerDNummer of each oppslag item of one file.
func fregNINs(path string, out []string, max int) ([]string, error) {
	r, c, err := gzipFile(path)
	if err != nil {
		return out, err
	}
	defer c.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	bad := func(err error) error { return fmt.Errorf("%s: not a bulkoppslag response: %w", path, err) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return out, bad(err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out, bad(err)
		}
		if t != "oppslag" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return out, bad(err)
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return out, bad(err)
		}
		for dec.More() {
			var it struct {
				NIN    string          `json:"foedselsEllerDNummer"`
				Person json.RawMessage `json:"folkeregisterperson"`
			}
			if err := dec.Decode(&it); err != nil {
				return out, bad(err)
			}
			if len(it.Person) == 0 || string(it.Person) == "null" {
				continue // a feilmelding item
			}
			if _, _, err := registry.ParseNIN([]byte(it.NIN)); err != nil {
				continue
			}
			out = append(out, it.NIN)
			if len(out) >= max {
				return out, nil
			}
		}
		return out, nil
	}
	return out, nil
}

// Misses: well-formed identifiers that no dataset holds.
//
//   - Serials (HER-id, HPR-number, RESH-id) from 2 000 000 000 up to the
//     32-bit bound: real ones are seven or eight digits, the generator's
//     smaller still.
//   - Orgnrs with a valid check digit starting with 1–7: Brreg issues only
//     numbers starting with 8 or 9 (the others are test data), and so does
//     the generator.
//   - Person numbers: synthetic Tenor fødselsnummer (month + 80, so never a
//     real person's) with a two-digit year of 54–99 and an individnummer of
//     500–749, which the century rules reserve for births in 1855–1899:
//     neither Freg nor the generator has them.
func missID(r Route, rng *rand.Rand) string {
	switch r {
	case RouteHer, RouteHPR, RouteResh:
		return strconv.FormatUint(2_000_000_000+rng.Uint64N(registry.MaxHerID-2_000_000_000), 10)
	case RouteOrg:
		for {
			var d [9]byte
			d[0] = byte(1 + rng.IntN(7))
			for i := 1; i < 8; i++ {
				d[i] = byte(rng.IntN(10))
			}
			k, ok := registry.OrgnrCheckDigit(&d)
			if !ok {
				continue
			}
			d[8] = k
			for i := range d {
				d[i] += '0'
			}
			return string(d[:])
		}
	default:
		for {
			var d [11]byte
			day, month, yy := 1+rng.IntN(28), 1+rng.IntN(12), 54+rng.IntN(46)
			ind := 500 + rng.IntN(250)
			month += 80
			d[0], d[1], d[2], d[3], d[4], d[5] = byte(day/10), byte(day%10), byte(month/10), byte(month%10), byte(yy/10), byte(yy%10)
			d[6], d[7], d[8] = byte(ind/100), byte(ind/10%10), byte(ind%10)
			k1, k2, ok := registry.NINCheckDigits(&d)
			if !ok {
				continue
			}
			d[9], d[10] = k1, k2
			for i := range d {
				d[i] += '0'
			}
			return string(d[:])
		}
	}
}

// invalidID returns a malformed variant of a well-formed id of route r:
// a wrong check digit, a non-digit, a leading zero, the wrong length or
// nothing at all. Every one of them is a 400 (invalid_identifier).
func invalidID(r Route, valid string, rng *rand.Rand) string {
	switch r {
	case RouteOrg, RoutePerson, RouteGP:
		switch rng.IntN(4) {
		case 0: // wrong check digit
			b := []byte(valid)
			last := len(b) - 1
			b[last] = '0' + (b[last]-'0'+1+byte(rng.IntN(9)))%10
			return string(b)
		case 1:
			return valid[:len(valid)-1] + "X"
		case 2:
			return valid[:len(valid)-1]
		default:
			return valid + "0"
		}
	default:
		switch rng.IntN(4) {
		case 0:
			return "0" + valid
		case 1:
			return valid + "x"
		case 2:
			return "-" + valid
		default:
			return strings.Repeat("9", 20)
		}
	}
}
