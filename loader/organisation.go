package loader

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grunndata/grunndata/loader/brreg"
	"github.com/grunndata/grunndata/registry"
)

var (
	errMissingField = errors.New("missing required field")
	ruleRequired    = registry.Rule("required-field")
	ruleShape       = registry.Rule("malformed-record")
	ruleReference   = registry.Rule("dangling-reference")
	// ruleAbsent is a warning, not a reject: a well-formed reference to an
	// entity the dataset does not have (a Brreg parent outside the file, an
	// AR organisation whose enhet is missing). The record is loaded and
	// served as given; a malformed reference stays a reject.
	ruleAbsent    = registry.Rule("absent-reference")
	ruleDuplicate = registry.Rule("duplicate")
)

func pos(kind string, n int) string { return fmt.Sprintf("%s %d", kind, n) }

// brregFile returns the one bulk file of Enhetsregisteret register base
// ("enheter_alle") in From: JSON or CSV, gzip or not. Two of them is an
// error: the loader will not guess which is newer.
func (r *run) brregFile(base string) (string, error) {
	var found []string
	for _, ext := range []string{".json.gz", ".json", ".csv.gz", ".csv"} {
		if r.exists(base + ext) {
			found = append(found, base+ext)
		}
	}
	if len(found) > 1 {
		return "", fmt.Errorf("%s: found %s; keep one of them", r.cfg.From, strings.Join(found, " and "))
	}
	if len(found) == 0 {
		return "", nil
	}
	return found[0], nil
}

// readBrreg reads a bulk file of either format.
func readBrreg(name string, rd io.Reader, fn func(rec *brreg.Record) error) error {
	if strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".csv.gz") {
		return brreg.ReadCSV(rd, fn)
	}
	return brreg.Read(rd, fn)
}

func recPos(rec *brreg.Record) string {
	if rec.Line > 0 {
		return pos("line", rec.Line)
	}
	return pos("index", rec.Index)
}

// orgCheck validates an enhet or underenhet record: a valid
// organisasjonsnummer, navn and organisasjonsform (except on a deleted
// entity, whose short SlettetEnhet body may lack them), a valid
// overordnetEnhet when given and, for a live underenhet, present. It returns
// the rule and detail of a reject, or rule "".
func orgCheck(rec *brreg.Record, sub bool) (o, parent registry.Orgnr, hasParent bool, rule registry.Rule, detail string) {
	o, err := registry.ParseOrgnr([]byte(rec.Orgnr))
	if err != nil {
		return o, parent, false, err.(*registry.IDError).Rule, "organisasjonsnummer"
	}
	if rec.Navn == "" && !rec.Deleted {
		return o, parent, false, ruleRequired, "navn"
	}
	if rec.Form == "" && !rec.Deleted {
		return o, parent, false, ruleRequired, "organisasjonsform"
	}
	if rec.Parent != "" {
		if parent, err = registry.ParseOrgnr([]byte(rec.Parent)); err != nil {
			return o, parent, false, err.(*registry.IDError).Rule, "overordnetEnhet"
		}
		hasParent = true
	} else if sub && !rec.Deleted {
		return o, parent, false, ruleRequired, "overordnetEnhet"
	}
	return o, parent, hasParent, "", ""
}

// loadBrreg loads enheter, then underenheter, then checks enheter's own
// overordnetEnhet references. An overordnetEnhet that is not an enhet of
// the dataset is a warning (ruleAbsent); the record is loaded as given and
// listed under that parent, so the parent's subunits are right once it
// arrives. Each register comes from its JSON array or its CSV totalbestand.
func (r *run) loadBrreg() error {
	type parentRef struct {
		child, parent registry.Orgnr
		pos           string
	}
	var enhetParents []parentRef
	load := func(name, reg string, sub bool) error {
		if name == "" {
			return nil
		}
		s, err := r.open(name)
		if err != nil {
			return err
		}
		st := r.stats[reg]
		st.Files++
		start := time.Now()
		defer func() { st.Duration += time.Since(start) }()
		var val []byte
		err = readBrreg(name, s.r, func(rec *brreg.Record) error {
			p := recPos(rec)
			if rec.Err != nil {
				r.reject(reg, name, p, rec.Orgnr, ruleShape, rec.Err.Error())
				return nil
			}
			o, parent, hasParent, rule, detail := orgCheck(rec, sub)
			if rule != "" {
				r.reject(reg, name, p, rec.Orgnr, rule, detail)
				return nil
			}
			if sub && hasParent {
				pk := registry.OrgKey(parent)
				ok, err := r.b.Has(pk.Bytes())
				if err != nil {
					return err
				}
				if !ok {
					r.warn(reg, name, p, rec.Orgnr, ruleAbsent, "overordnetEnhet "+rec.Parent+" is not an enhet of the dataset (loaded as given)")
				}
				ik := registry.PairKey(registry.IdxSubunits, parent[:], o[:])
				if err := r.b.Add(ik.Bytes(), nil); err != nil {
					return err
				}
			} else if hasParent {
				enhetParents = append(enhetParents, parentRef{o, parent, p})
			}
			k := registry.OrgKey(o)
			val = registry.AppendValue(val[:0], 0, rec.JSON, nil)
			if err := r.b.Add(k.Bytes(), val); err != nil {
				return err
			}
			st.Records++
			return nil
		})
		if err != nil {
			s.f.Close()
			return parseErr(name, err)
		}
		st.Bytes += s.size
		if err := r.finish(s, nil); err != nil {
			return err
		}
		return r.checkRatio(reg)
	}
	enheter, err := r.brregFile("enheter_alle")
	if err != nil {
		return err
	}
	underenheter, err := r.brregFile("underenheter_alle")
	if err != nil {
		return err
	}
	if err := load(enheter, RegEnheter, false); err != nil {
		return err
	}
	if err := r.b.Flush(); err != nil {
		return err
	}
	// Enheter point at other enheter (ORGL → STAT …), in any order.
	for _, ref := range enhetParents {
		pk := registry.OrgKey(ref.parent)
		ok, err := r.b.Has(pk.Bytes())
		if err != nil {
			return err
		}
		if !ok {
			// A real record may point outside the file (an extract, or
			// a parent Brreg does not publish): served as given.
			r.warn(RegEnheter, enheter, ref.pos, ref.child.String(), ruleAbsent,
				"overordnetEnhet "+ref.parent.String()+" is not an enhet of the dataset (loaded as given)")
		}
		ik := registry.PairKey(registry.IdxSubunits, ref.parent[:], ref.child[:])
		if err := r.b.Add(ik.Bytes(), nil); err != nil {
			return err
		}
	}
	if err := r.checkRatio(RegEnheter); err != nil {
		return err
	}
	return load(underenheter, RegUnderenheter, true)
}
