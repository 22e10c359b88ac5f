package server

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/grunndata/grunndata/registry"
	"github.com/grunndata/grunndata/registry/audit"
	"github.com/grunndata/grunndata/registry/auth"
)

// eventScopes is the scopes each feed needs (all of them). A feed of person
// data pages through the population, so it needs grunndata:person.feed on
// top of what a lookup needs; every page of persons, gp and personnel (HPR
// records carry fødselsnumre) is audited with every subject on it.
var eventScopes = map[string]auth.Scope{
	"persons":               auth.ScopePersonFeed,
	"organisations":         auth.ScopeOrganisationRead,
	"communication-parties": auth.ScopeOrganisationRead,
	"personnel":             auth.ScopePersonnelRead,
	"gp":                    auth.ScopeGPRead | auth.ScopePersonFeed,
}

// eventForbidden are the 403 bodies of the feeds.
var eventForbidden = map[string][]byte{}

func init() {
	for name, need := range eventScopes {
		eventForbidden[name] = problemBody(403, "forbidden", "Missing scope",
			"the "+name+" feed needs the scope "+strings.ReplaceAll(need.String(), " ", " and "), "", need.String())
	}
}

// eventSubject returns the person an event is about, if any: the person or
// GP patient of the key, or the fødselsnummer in an HPR record.
func eventSubject(pk, entity []byte) (registry.NIN, bool) {
	var n registry.NIN
	switch registry.Register(pk[0]) {
	case registry.RegPerson, registry.RegGPPatient:
		if len(pk) != 1+len(n) {
			return n, false
		}
		copy(n[:], pk[1:])
		return n, true
	case registry.RegPersonnel:
		if entity != nil {
			return registry.HPRNIN(entity)
		}
	}
	return n, false
}

// eventID renders a primary key as the id clients know.
func eventID(out []byte, key []byte) []byte {
	switch registry.Register(key[0]) {
	case registry.RegParty, registry.RegPersonnel, registry.RegResh, registry.RegCertificates:
		return strconv.AppendUint(out, uint64(binary.BigEndian.Uint32(key[1:])), 10)
	case registry.RegGPContract:
		return strconv.AppendUint(out, binary.BigEndian.Uint64(key[1:]), 10)
	}
	out = append(out, '"')
	out = append(out, key[1:]...)
	return append(out, '"')
}

// events answers GET /v1/events/{register}?after=SEQ&limit=N: the register's
// changes after SEQ, in order, each with the full entity as the serving
// generation holds it (not a slim event that forces another GET); a delete
// has no entity, a record removed for legal reasons is "gone". An after older
// than the retained events answers 410 with the oldest available SEQ.
func (s *Server) events(ctx *fasthttp.RequestCtx, c call) int {
	name, p, start := c.id, c.p, c.start
	er, ok := registry.LookupEventRegister(string(name))
	if !ok {
		writeProblem(ctx, 404, problemBody(404, CodeNotFound, "No such feed",
			"feeds: persons, organisations, communication-parties, personnel, gp", "", "register"))
		return 404
	}
	if need := eventScopes[er.Name]; p.Scopes&need != need {
		writeProblem(ctx, 403, eventForbidden[er.Name])
		return 403
	}
	limit, _, st := page(ctx)
	if st != 0 {
		return st
	}
	var after uint64
	if b := ctx.QueryArgs().Peek("after"); len(b) > 0 {
		v, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			writeProblem(ctx, 400, problemBody(400, "invalid_parameter", "Invalid after", "after is a sequence number (0 for the start)", "", "after"))
			return 400
		}
		after = v
	}
	v, err := s.store.Acquire()
	if err != nil {
		return writeError(ctx, err)
	}
	defer v.Release()
	first, last := uint64(1), uint64(0)
	mk := registry.RawKey(registry.EventMetaKey(er.Code))
	if mv, err := v.Get(nil, &mk); err == nil {
		if f, l, ok := registry.DecodeEventRange(mv); ok {
			first, last = f, l
		}
	}
	if after+1 < first {
		b := problemBody(410, CodeGone, "Events no longer retained",
			"resynchronise from a snapshot, then follow from oldestAvailable-1", "", "after")
		b = append(b[:len(b)-1], `,"oldestAvailable":`...)
		b = strconv.AppendUint(b, first, 10)
		b = append(b, '}')
		writeProblem(ctx, 410, b)
		return 410
	}
	seeProtected := p.Scopes&auth.ScopePersonReadProtected != 0
	out := append(make([]byte, 0, 8192), `{"register":"`...)
	out = append(out, er.Name...)
	out = append(out, `","items":[`...)
	var from [8]byte
	binary.BigEndian.PutUint64(from[:], after+1)
	n := 0
	next := after
	var subjects [][]byte
	var gpBuf []byte
	err = v.Scan([]byte{byte(registry.IdxEvents), er.Code}, from[:], func(k, ev []byte) bool {
		if n == limit {
			return false
		}
		seq := binary.BigEndian.Uint64(k[2:])
		typ, pk, ok := registry.DecodeEventValue(ev)
		if !ok || len(pk) == 0 || len(pk) > registry.MaxKeyLen {
			return true
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"seq":`...)
		out = strconv.AppendUint(out, seq, 10)
		if er.Name == "gp" {
			if registry.Register(pk[0]) == registry.RegGPContract {
				out = append(out, `,"kind":"contract"`...)
			} else {
				out = append(out, `,"kind":"patient"`...)
			}
		}
		if registry.Register(pk[0]) == registry.RegCertificates {
			out = append(out, `,"kind":"certificates"`...)
		}
		out = append(out, `,"id":`...)
		out = eventID(out, pk)
		key := registry.RawKey(pk)
		val, gerr := s.cache.Get(v, &key)
		var entity []byte
		switch {
		case typ == registry.EventDelete || gerr != nil:
			out = append(out, `,"type":"delete"}`...)
		case registry.Register(pk[0]) == registry.RegCertificates:
			out = s.appendCertEvent(out, v, pk, val)
		default:
			flags, full, restricted, derr := registry.DecodeValue(val)
			switch {
			case derr != nil:
				out = append(out, `,"type":"delete"}`...)
			case flags&registry.FlagGone != 0:
				out = append(out, `,"type":"gone"}`...)
			default:
				body := restricted
				if seeProtected {
					body = full
				}
				if registry.Register(pk[0]) == registry.RegGPPatient {
					var zk registry.Key
					body = s.gpBody(v, pk[1:], flags, full, restricted, seeProtected, &zk, &gpBuf)
				}
				entity = full
				out = append(out, `,"type":"upsert","entity":`...)
				out = append(out, body...)
				out = append(out, '}')
			}
		}
		if sn, ok := eventSubject(pk, entity); ok {
			subjects = append(subjects, append([]byte(nil), sn[:]...))
		}
		n++
		next = seq
		return true
	})
	if err != nil {
		return writeError(ctx, err)
	}
	out = append(out, `],"lastSeq":`...)
	out = strconv.AppendUint(out, last, 10)
	out = append(out, `,"nextAfter":`...)
	out = strconv.AppendUint(out, next, 10)
	out = append(out, `,"generation":"`...)
	out = append(out, v.ID()...)
	out = append(out, `"}`...)
	writeJSON(ctx, out)
	if len(subjects) == 0 {
		return 200
	}
	return s.audit(ctx, &audit.Entry{Caller: caller(p), Route: c.r.name + "-" + er.Name, Subjects: subjects, Status: 200,
		Duration: time.Since(start), Generation: v.ID()}, 200)
}
