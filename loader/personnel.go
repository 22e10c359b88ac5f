package loader

import (
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/grunndata/grunndata/loader/hpr"
	"github.com/grunndata/grunndata/registry"
)

// loadFile runs parse over From/name when it exists, counts the file in reg
// and checks the reject ratio afterwards.
func (r *run) loadFile(name, reg string, parse func(s *source) error) error {
	if !r.exists(name) {
		return nil
	}
	s, err := r.open(name)
	if err != nil {
		return err
	}
	st := r.stats[reg]
	st.Files++
	st.Bytes += s.size
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	if err := parse(s); err != nil {
		s.f.Close()
		return parseErr(name, err)
	}
	if err := r.finish(s, nil); err != nil {
		return err
	}
	return r.checkRatio(reg)
}

// rejectShape reports a record that failed to decode or lacks a field, and
// says whether it did.
func (r *run) rejectShape(reg, name, p, id, missing string, err error) bool {
	switch {
	case err != nil:
		r.reject(reg, name, p, id, ruleShape, err.Error())
	case missing != "":
		r.reject(reg, name, p, id, ruleRequired, missing)
	default:
		return false
	}
	return true
}

// serial validates a serial id held as int64 and returns its decimal form
// for reports.
func serial(t registry.IDType, v int64) (uint64, registry.Rule, bool) {
	if v <= 0 {
		return 0, registry.RuleRange, false
	}
	var b [20]byte
	n := len(b)
	for x := uint64(v); x > 0; x /= 10 {
		n--
		b[n] = byte('0' + x%10)
	}
	id, err := registry.ParseSerial(t, b[n:])
	if err != nil {
		var ie *registry.IDError
		errors.As(err, &ie)
		return 0, ie.Rule, false
	}
	return id, "", true
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// has reports whether key is in the generation so far.
func (r *run) has(k registry.Key) (bool, error) { return r.b.Has(k.Bytes()) }

// loadHPR loads HPR persons; a person's fødselsnummer must be a Freg person.
func (r *run) loadHPR() error {
	const name, reg = "hpr.jsonl.gz", RegPersonnel
	return r.loadFile(name, reg, func(s *source) error {
		var val []byte
		return hpr.Read(s.r, func(rec *hpr.Record) error {
			p := pos("line", rec.Line)
			if r.rejectShape(reg, name, p, itoa(rec.HPRNumber), rec.Missing, rec.Err) {
				return nil
			}
			id, rule, ok := serial(registry.IDHPR, rec.HPRNumber)
			if !ok {
				r.reject(reg, name, p, itoa(rec.HPRNumber), rule, "hprNumber")
				return nil
			}
			if rec.NIN != "" {
				n, _, err := registry.ParseNIN([]byte(rec.NIN))
				if err != nil {
					r.reject(reg, name, p, itoa(rec.HPRNumber), err.(*registry.IDError).Rule, "nin "+maskNIN(rec.NIN))
					return nil
				}
				ok, err := r.has(registry.PersonExistsKey(n))
				if err != nil {
					return err
				}
				if !ok {
					r.reject(reg, name, p, itoa(rec.HPRNumber), ruleReference, "nin "+maskNIN(rec.NIN)+" is not a Folkeregisteret person")
					return nil
				}
				ik := registry.PersonnelByNINKey(n)
				var hv [4]byte
				binary.BigEndian.PutUint32(hv[:], uint32(id))
				if err := r.b.Add(ik.Bytes(), hv[:]); err != nil {
					return err
				}
			}
			k := registry.SerialKey(registry.RegPersonnel, id)
			val = registry.AppendValue(val[:0], 0, rec.JSON, nil)
			if err := r.b.Add(k.Bytes(), val); err != nil {
				return err
			}
			if err := r.addPersonnelSearch(uint32(id), rec); err != nil {
				return err
			}
			r.stats[reg].Records++
			return nil
		})
	})
}

// addPersonnelSearch writes the HPR search entries of a person: family and
// given name words and each profession (9060), with a summary to filter on.
func (r *run) addPersonnelSearch(id uint32, rec *hpr.Record) error {
	sum := registry.PersonnelSummary{Given: registry.Fold(rec.Given), Family: registry.Fold(rec.Family),
		Categories: uniq(rec.Professions), Specialities: uniq(rec.Specialities)}
	val := registry.AppendPersonnelSummary(nil, &sum)
	var keys [][]byte
	for _, w := range uniq(registry.NameTokens(rec.Family)) {
		keys = append(keys, registry.AppendSerialWordKey(nil, registry.IdxPersonnelFamily, w, id))
	}
	for _, w := range uniq(registry.NameTokens(rec.Given)) {
		keys = append(keys, registry.AppendSerialWordKey(nil, registry.IdxPersonnelGiven, w, id))
	}
	for _, c := range sum.Categories {
		keys = append(keys, registry.AppendSerialWordKey(nil, registry.IdxPersonnelCategory, c, id))
	}
	for _, k := range keys {
		if err := r.b.Add(k, val); err != nil {
			return err
		}
	}
	return nil
}

func uniq(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
