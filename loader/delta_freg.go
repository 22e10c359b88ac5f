package loader

import (
	"fmt"
	"time"

	"github.com/grunndata/grunndata/loader/freg"
	"github.com/grunndata/grunndata/registry"
)

// apply applies the Freg events to the overlay: each event's person
// document replaces the person under every number it lists.
func (f *orderedFreg) apply(dr *deltaRun) (FeedStats, error) {
	fs := FeedStats{Feed: FeedFreg, From: f.from, To: f.to, HadPosition: f.hadPosition, Pages: f.pages,
		Items: int64(len(f.events)), Types: map[string]int64{}}
	st := dr.stats[RegPersons]
	st.Files++
	start := time.Now()
	defer func() { st.Duration += time.Since(start) }()
	var buf, val []byte
	for _, e := range f.events {
		ev := e.ev
		fs.Types[ev.Type]++
		p := fmt.Sprintf("sekvensnummer %d", ev.Seq)
		reject := func(file string, rule registry.Rule, id, detail string) {
			dr.reject(RegPersons, file, p, maskNIN(id), rule, detail)
			fs.Rejects++
		}
		if ev.PersonDoc == "" {
			reject(e.file, ruleRequired, ev.NIN, "persondokument")
			continue
		}
		doc := dr.d.docs[ev.PersonDoc]
		if doc == nil {
			return fs, fmt.Errorf("%w: %s: sekvensnummer %d (%s) refers to persondokument %s, which is not in freg/persondokumenter.jsonl",
				ErrIncompleteDelta, FeedFreg, ev.Seq, ev.Type, ev.PersonDoc)
		}
		if doc.err != nil {
			reject(doc.file, ruleShape, ev.NIN, doc.err.Error())
			continue
		}
		person, unknown, err := freg.ParsePerson(doc.raw)
		if err != nil {
			reject(doc.file, ruleShape, ev.NIN, err.Error())
			continue
		}
		for _, k := range unknown {
			dr.unknown[k]++
		}
		full, restricted, sum := person.View(buf[:0])
		buf = full[:0]
		if sum.NIN == "" {
			reject(doc.file, ruleRequired, ev.NIN, "identifikasjonsnummer")
			continue
		}
		n, _, err := registry.ParseNIN([]byte(sum.NIN))
		if err != nil {
			reject(doc.file, err.(*registry.IDError).Rule, sum.NIN, "foedselsEllerDNummer")
			continue
		}
		found := false
		for _, id := range sum.Identifiers {
			found = found || id == ev.NIN
		}
		if !found {
			reject(e.file, ruleMismatch, ev.NIN, "folkeregisteridentifikator is not one of the numbers in persondokument "+ev.PersonDoc)
			continue
		}
		keys := []registry.Key{registry.PersonKey(n)}
		for _, other := range sum.Identifiers[1:] {
			if on, _, err := registry.ParseNIN([]byte(other)); err == nil {
				keys = append(keys, registry.PersonKey(on))
			}
		}
		// The person search entries follow the person: the old ones (names,
		// birth date of every stored version being replaced, under the
		// number that version was served under — a D-number before a
		// change to a fødselsnummer) go, the new ones come.
		existed := false
		for _, k := range keys {
			oldVal, ok, err := dr.ov.get(k)
			if err != nil {
				return fs, err
			}
			if !ok {
				continue
			}
			existed = true
			if _, oldFull, _, err := registry.DecodeValue(oldVal); err == nil {
				if on, ok := servedNIN(oldFull); ok {
					for _, sk := range searchKeysOfView(oldFull, on) {
						dr.ov.delRaw(sk)
					}
				}
			}
		}
		for _, e := range appendSearchKeys(nil, n, &sum) {
			dr.ov.putRaw(e.key, e.val)
		}
		val = registry.AppendValue(val[:0], 0, full, restricted)
		flags := []byte{0}
		if restricted != nil {
			flags[0] = registry.FlagRestricted
		}
		for _, k := range keys {
			dr.ov.put(k, val)
			var nk registry.NIN
			copy(nk[:], k.Bytes()[1:])
			dr.ov.put(registry.PersonExistsKey(nk), flags)
		}
		if !existed {
			st.Records++
		}
		fs.Applied++
	}
	if err := dr.checkRatio(RegPersons); err != nil {
		return fs, err
	}
	return fs, nil
}
