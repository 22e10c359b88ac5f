package loader

import (
	json "github.com/goccy/go-json"
	"sync"
	"time"

	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/registry"
)

// loadFreg loads every Folkeregisteret bulk file, Workers files at a time:
// bulkoppslag responses (*.json[.gz]) and JSON lines of person documents
// (*.jsonl[.gz]). Each person is stored under every number it has had
// (D-number and fødselsnummer), with a full and, for protected persons, a
// restricted view. Keys the Freg schema does not know are counted.
func (r *run) loadFreg() error {
	files, err := r.fregFiles()
	if err != nil || len(files) == 0 {
		return err
	}
	st := r.stats[RegPersons]
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	var (
		mu       sync.Mutex // guards r.b, st, r.sources
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan string)
	)
	worker := func() {
		defer wg.Done()
		var buf, val []byte
		type kv struct {
			key registry.Key
			val []byte
		}
		for name := range next {
			s, err := r.open(name)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				continue
			}
			var out []kv
			var search []searchKV
			var records int64
			unknown := map[string]int64{}
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
					}
				}
				records++
				return nil
			})
			if err == nil {
				err = r.finish(s, &mu)
			} else {
				s.f.Close()
				err = parseErr(name, err)
			}
			mu.Lock()
			for k, n := range unknown {
				r.unknown[k] += n
			}
			st.Files++
			st.Bytes += s.size
			st.Records += records
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if firstErr == nil {
				for i := range out {
					if err := r.b.Add(out[i].key.Bytes(), out[i].val); err != nil {
						firstErr = err
						break
					}
				}
				for i := range search {
					if firstErr != nil {
						break
					}
					firstErr = r.b.Add(search[i].key, search[i].val)
				}
			}
			mu.Unlock()
		}
	}
	for i := 0; i < r.cfg.Workers; i++ {
		wg.Add(1)
		go worker()
	}
	for _, f := range files {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || r.ctx.Err() != nil {
			break
		}
		next <- f
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
