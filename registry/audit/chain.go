package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"
)

// The hash chain is shared by every Auditor: the file log (*Log) and the
// fleet's JetStream stream (index/fleet) append records with Chain.Append
// and verify them with Checker, so a record has one format and one chain
// rule wherever it is kept.

// Chain is the state of a hash chain: the sequence number and hash of its
// last record (zero: the chain is empty; its first record has seq 1 and a
// prev of 64 zeros).
type Chain struct {
	Seq  uint64
	Hash [32]byte
	// d is the digest Append reuses (a record costs no allocation). It is
	// not part of the chain's state: copies of a Chain may share it, but
	// never from two goroutines at once.
	d hash.Hash
}

// Append appends e's record, stamped t and chained after c, to p as one
// JSON line ending in '\n', and advances c to it. The record carries the
// previous record's hash ("prev") and its own ("hash": SHA-256 of the
// previous hash and the record's bytes up to the hash field).
func (c *Chain) Append(p []byte, e *Entry, t time.Time) []byte {
	start := len(p)
	p = append(p, `{"seq":`...)
	p = strconv.AppendUint(p, c.Seq+1, 10)
	p = append(p, `,"time":"`...)
	p = t.UTC().AppendFormat(p, time.RFC3339Nano)
	p = append(p, `","clientId":`...)
	p = appendJSONString(p, e.Caller.ClientID)
	if e.Caller.OrgnrParent != "" {
		p = append(p, `,"orgnrParent":`...)
		p = appendJSONString(p, e.Caller.OrgnrParent)
	}
	if e.Caller.OrgnrChild != "" {
		p = append(p, `,"orgnrChild":`...)
		p = appendJSONString(p, e.Caller.OrgnrChild)
	}
	if e.Caller.OrgnrSupplier != "" {
		p = append(p, `,"orgnrSupplier":`...)
		p = appendJSONString(p, e.Caller.OrgnrSupplier)
	}
	p = append(p, `,"route":`...)
	p = appendJSONString(p, e.Route)
	p = append(p, `,"subjects":[`...)
	if len(e.Subject) > 0 {
		p = append(p, '"')
		p = append(p, e.Subject...) // digits only: validated before auditing
		p = append(p, '"')
	}
	for i, sub := range e.Subjects {
		if i > 0 || len(e.Subject) > 0 {
			p = append(p, ',')
		}
		p = append(p, '"')
		p = append(p, sub...)
		p = append(p, '"')
	}
	p = append(p, ']')
	asked := len(e.Asked) > 0 && !bytes.Equal(e.Asked, e.Subject)
	if asked || len(e.AskedAll) > 0 {
		p = append(p, `,"asked":[`...)
		if asked {
			p = append(p, '"')
			p = append(p, e.Asked...)
			p = append(p, '"')
		}
		for i, a := range e.AskedAll {
			if i > 0 || asked {
				p = append(p, ',')
			}
			p = append(p, '"')
			p = append(p, a...)
			p = append(p, '"')
		}
		p = append(p, ']')
	}
	p = append(p, `,"status":`...)
	p = strconv.AppendInt(p, int64(e.Status), 10)
	p = append(p, `,"durationUs":`...)
	p = strconv.AppendInt(p, e.Duration.Microseconds(), 10)
	if e.Generation != "" {
		p = append(p, `,"generation":`...)
		p = appendJSONString(p, e.Generation)
	}
	p = append(p, `,"prev":"`...)
	p = hex.AppendEncode(p, c.Hash[:])
	p = append(p, '"')
	if c.d == nil {
		c.d = sha256.New()
	}
	c.d.Reset()
	c.d.Write(c.Hash[:])
	c.d.Write(p[start:])
	c.d.Sum(c.Hash[:0])
	c.Seq++
	p = append(p, `,"hash":"`...)
	p = hex.AppendEncode(p, c.Hash[:])
	p = append(p, "\"}\n"...)
	return p
}

// Tail returns the chain ending at the last complete record of b (one or
// more record lines; a line not ended by '\n' is ignored). ok is false when
// b holds no complete line.
func Tail(b []byte) (c Chain, ok bool, err error) {
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return c, false, nil
	}
	start := bytes.LastIndexByte(b[:end], '\n') + 1
	var r Record
	if err := json.Unmarshal(b[start:end], &r); err != nil {
		return c, false, fmt.Errorf("last record: %w", err)
	}
	h, err := hex.DecodeString(r.Hash)
	if err != nil || len(h) != 32 || r.Seq == 0 {
		return c, false, errors.New("last record has a bad hash or sequence")
	}
	c.Seq = r.Seq
	copy(c.Hash[:], h)
	return c, true, nil
}

// Checker verifies a chain one record at a time, from its first record
// (a zero Checker) or from a known record (Checker{Chain: c}).
type Checker struct {
	Chain
}

const hashField = `,"hash":"`

// Check verifies that line (one record, without its '\n') follows the
// chain — the next sequence number, prev equal to the previous record's
// hash, its own hash right — and advances the chain to it. Errors name the
// record's sequence number, never its content.
func (c *Checker) Check(line []byte) (*Record, error) {
	i := bytes.LastIndex(line, []byte(hashField))
	if i < 0 || len(line) != i+len(hashField)+64+2 {
		return nil, errors.New("no hash field")
	}
	var r Record
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, fmt.Errorf("not a record: %w", err)
	}
	if r.Seq != c.Seq+1 {
		return &r, fmt.Errorf("sequence %d follows %d (a record is missing or out of order)", r.Seq, c.Seq)
	}
	if r.Prev != hex.EncodeToString(c.Hash[:]) {
		return &r, fmt.Errorf("seq %d: chain broken: prev does not match the previous record", r.Seq)
	}
	var next [32]byte
	h := sha256.New()
	h.Write(c.Hash[:])
	h.Write(line[:i])
	h.Sum(next[:0])
	if r.Hash != hex.EncodeToString(next[:]) {
		return &r, fmt.Errorf("seq %d: hash mismatch: the record was modified", r.Seq)
	}
	c.Seq, c.Hash = r.Seq, next
	return &r, nil
}

// SearchLines is Search over any store of records: scan calls its fn with
// every record line of the log (in any order; a line may end in '\n') until
// fn returns false. It is called twice (the links between numbers, then the
// records naming any of them).
func SearchLines(scan func(fn func(line []byte) bool) error, numbers []string, fn func(r *Record) bool) error {
	// Pass 1: the links (subject, asked) of single-person records.
	links := map[string][]string{}
	err := scanLines(scan, [][]byte{[]byte(`"asked":[`)}, func(r *Record) bool {
		if len(r.Subjects) == 1 {
			for _, a := range r.Asked {
				links[r.Subjects[0]] = append(links[r.Subjects[0]], a)
				links[a] = append(links[a], r.Subjects[0])
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	queue := append([]string(nil), numbers...)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if want[n] {
			continue
		}
		want[n] = true
		queue = append(queue, links[n]...)
	}
	var needles [][]byte
	for n := range want {
		needles = append(needles, []byte(`"`+n+`"`))
	}
	// Pass 2: the records naming any of them.
	return scanLines(scan, needles, func(r *Record) bool {
		for _, s := range r.Subjects {
			if want[s] {
				return fn(r)
			}
		}
		for _, s := range r.Asked {
			if want[s] {
				return fn(r)
			}
		}
		return true
	})
}

// scanLines decodes the lines that contain any of needles and calls fn
// until it returns false.
func scanLines(scan func(fn func(line []byte) bool) error, needles [][]byte, fn func(r *Record) bool) error {
	return scan(func(line []byte) bool {
		hit := false
		for _, nd := range needles {
			if bytes.Contains(line, nd) {
				hit = true
				break
			}
		}
		if !hit {
			return true
		}
		var r Record
		if json.Unmarshal(line, &r) != nil {
			return true
		}
		return fn(&r)
	})
}
