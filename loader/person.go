package loader

import (
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	json "github.com/goccy/go-json"

	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/registry"
)

// loadFreg loads every Folkeregisteret bulk file, Workers files at a time:
// bulkoppslag responses (*.json[.gz]) and JSON lines of person documents
// (*.jsonl[.gz]). Each person is stored under every number it has had
// (D-number and fødselsnummer), with a full and, for protected persons, a
// restricted view. Keys the Freg schema does not know are counted.
//
// A person number belongs to one person of a load: a record any of whose
// numbers an earlier record already has is a reject (rule duplicate), and
// the earlier record stays, with its search entries only. "Earlier" is file
// order (files sorted by name, records in file order), whatever the number
// of workers: files are parsed in parallel but their records are added in
// file order, so the same input always builds the same generation.
func (r *run) loadFreg() error {
	files, err := r.fregFiles()
	if err != nil || len(files) == 0 {
		return err
	}
	st := r.stats[RegPersons]
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	type job struct {
		seq  int
		name string
	}
	var (
		mu       sync.Mutex // guards r.b, st, r.sources, seen, turn
		turnCond = sync.NewCond(&mu)
		turn     int // the file whose records are added next
		seen     = roaring64.New()
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan job)
	)
	worker := func() {
		defer wg.Done()
		var buf, val []byte
		type kv struct {
			key registry.Key
			val []byte
		}
		// record is one accepted person of a file: its numbers and the end
		// of its entries in out and search.
		type record struct {
			pos       string
			nin       string
			nins      []uint64
			outEnd    int
			searchEnd int
		}
		for j := range next {
			name := j.name
			var out []kv
			var search []searchKV
			var recs []record
			unknown := map[string]int64{}
			s, err := r.open(name)
			if err == nil {
				read, kind := freg.ReadBulk, "oppslag"
				if isJSONL(name) {
					read, kind = freg.ReadLines, "line"
				}
				err = read(s.r, func(it *freg.Item) error {
					p := pos(kind, it.Index)
					for _, k := range it.Unknown {
						unknown[k]++
					}
					switch {
					case it.Err != nil:
						r.reject(RegPersons, name, p, maskNIN(it.NIN), ruleShape, it.Err.Error())
						return nil
					case it.Person == nil:
						detail := "no folkeregisterperson"
						if len(it.Feilmelding) > 0 {
							detail = "feilmelding: " + string(it.Feilmelding)
						}
						r.reject(RegPersons, name, p, maskNIN(it.NIN), ruleRequired, detail)
						return nil
					}
					buf = buf[:0]
					full, restricted, sum := it.Person.View(buf)
					buf = full[:0]
					if sum.NIN == "" {
						r.reject(RegPersons, name, p, maskNIN(it.NIN), ruleRequired, "identifikasjonsnummer")
						return nil
					}
					n, _, err := registry.ParseNIN([]byte(sum.NIN))
					if err != nil {
						r.reject(RegPersons, name, p, maskNIN(sum.NIN), err.(*registry.IDError).Rule, "foedselsEllerDNummer")
						return nil
					}
					rec := record{pos: p, nin: sum.NIN, nins: []uint64{ninInt(n)}}
					val = registry.AppendValue(val[:0], 0, full, restricted)
					v := append([]byte(nil), val...)
					out = append(out, kv{registry.PersonKey(n), v})
					flags := []byte{0}
					if restricted != nil {
						flags[0] = registry.FlagRestricted
					}
					out = append(out, kv{registry.PersonExistsKey(n), flags})
					search = appendSearchKeys(search, n, &sum)
					for _, other := range sum.Identifiers[1:] {
						// Earlier numbers (a D-number before the fødselsnummer)
						// find the same person; a malformed old number is skipped.
						if on, _, err := registry.ParseNIN([]byte(other)); err == nil {
							out = append(out, kv{registry.PersonKey(on), v}, kv{registry.PersonExistsKey(on), flags})
							rec.nins = append(rec.nins, ninInt(on))
						}
					}
					rec.outEnd, rec.searchEnd = len(out), len(search)
					recs = append(recs, rec)
					return nil
				})
				if err == nil {
					err = r.finish(s, &mu)
				} else {
					s.f.Close()
					err = parseErr(name, err)
				}
			}
			mu.Lock()
			for turn != j.seq {
				turnCond.Wait()
			}
			for k, n := range unknown {
				r.unknown[k] += n
			}
			st.Files++
			if s != nil {
				st.Bytes += s.size
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			var o, sr int
			for _, rec := range recs {
				if firstErr != nil {
					break
				}
				dup := false
				for _, x := range rec.nins {
					dup = dup || seen.Contains(x)
				}
				if dup {
					r.reject(RegPersons, name, rec.pos, maskNIN(rec.nin), ruleDuplicate,
						"a person number of this record belongs to a person loaded before (the first one is kept)")
					o, sr = rec.outEnd, rec.searchEnd
					continue
				}
				for _, x := range rec.nins {
					seen.Add(x)
				}
				for ; o < rec.outEnd && firstErr == nil; o++ {
					firstErr = r.b.Add(out[o].key.Bytes(), out[o].val)
				}
				for ; sr < rec.searchEnd && firstErr == nil; sr++ {
					firstErr = r.b.Add(search[sr].key, search[sr].val)
				}
				st.Records++
			}
			turn++
			turnCond.Broadcast()
			mu.Unlock()
		}
	}
	for i := 0; i < r.cfg.Workers; i++ {
		wg.Add(1)
		go worker()
	}
	for i, f := range files {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || r.ctx.Err() != nil {
			break
		}
		next <- job{i, f}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}
	return r.checkRatio(RegPersons)
}

// ninInt packs the 11 digits of a person number into an integer for the
// set of numbers a load has seen.
func ninInt(n registry.NIN) uint64 {
	var x uint64
	for _, c := range n {
		x = x*10 + uint64(c-'0')
	}
	return x
}

// searchKV is a person search index entry (see registry.IdxPersonFamily).
type searchKV struct{ key, val []byte }

// appendSearchKeys adds the search entries of a person: one per family-name
// word, one per given-name word and one for the birth date, each holding the
// summary that filters need (gender, birth date, postal code, municipality,
// protection), so a search reads the person records of one page only.
func appendSearchKeys(out []searchKV, n registry.NIN, s *freg.Summary) []searchKV {
	ps := registry.PersonSummary{
		Protected:     s.Grading != freg.Ugradert,
		BirthDate:     s.BirthDate,
		Postnummer:    s.Postnummer,
		Kommunenummer: s.Kommunenummer,
		Given:         registry.Fold(s.Given),
		Family:        registry.Fold(s.Family),
	}
	switch s.Gender {
	case "kvinne":
		ps.Gender = 'k'
	case "mann":
		ps.Gender = 'm'
	}
	val := registry.AppendPersonSummary(nil, &ps)
	seen := map[string]bool{}
	for _, w := range registry.NameTokens(s.Family) {
		if !seen["s"+w] {
			seen["s"+w] = true
			out = append(out, searchKV{registry.AppendWordKey(nil, registry.IdxPersonFamily, w, n), val})
		}
	}
	for _, w := range registry.NameTokens(s.Given) {
		if !seen["g"+w] {
			seen["g"+w] = true
			out = append(out, searchKV{registry.AppendWordKey(nil, registry.IdxPersonGiven, w, n), val})
		}
	}
	if len(s.BirthDate) == 10 {
		k := append([]byte{byte(registry.IdxPersonBirth)}, s.BirthDate...)
		out = append(out, searchKV{append(k, n[:]...), val})
	}
	return out
}

// searchKeysOfView returns the search keys of a stored person view (the API
// person JSON), so a delta can remove them when the person changes.
func searchKeysOfView(view []byte, n registry.NIN) [][]byte {
	var p struct {
		Name struct {
			Given  string `json:"given"`
			Family string `json:"family"`
		} `json:"name"`
		BirthDate string `json:"birthDate"`
	}
	if json.Unmarshal(view, &p) != nil {
		return nil
	}
	var out [][]byte
	for _, w := range registry.NameTokens(p.Name.Family) {
		out = append(out, registry.AppendWordKey(nil, registry.IdxPersonFamily, w, n))
	}
	for _, w := range registry.NameTokens(p.Name.Given) {
		out = append(out, registry.AppendWordKey(nil, registry.IdxPersonGiven, w, n))
	}
	if len(p.BirthDate) == 10 {
		k := append([]byte{byte(registry.IdxPersonBirth)}, p.BirthDate...)
		out = append(out, append(k, n[:]...))
	}
	return out
}

// servedNIN returns the number a stored person view is served under (its
// leading "nin" field): the number its search entries were written under.
func servedNIN(view []byte) (registry.NIN, bool) {
	const p = `{"nin":"`
	if len(view) < len(p)+11 || string(view[:len(p)]) != p {
		return registry.NIN{}, false
	}
	n, _, err := registry.ParseNIN(view[len(p) : len(p)+11])
	return n, err == nil
}
