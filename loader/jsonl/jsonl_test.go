package jsonl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/grunndata/grunndata/loader/jsonl"
)

func collect(doc []byte, oneByte bool) ([]string, error) {
	var out []string
	r := bytes.NewReader(doc)
	var rd = iotest.OneByteReader(r)
	if !oneByte {
		rd = r
	}
	err := jsonl.Array(rd, func(_ int, raw []byte) error {
		out = append(out, string(raw))
		return nil
	})
	return out, err
}

func TestArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: " [ ] ", want: nil},
		{in: "[\n {\"a\" : [1, \"x]\\\"\"] },\n2 , \"s\" ,null]\n", want: []string{`{"a":[1,"x]\""]}`, "2", `"s"`, "null"}},
		{in: "", err: "expected a JSON array"},
		{in: "{}", err: "not a JSON array"},
		{in: "[1,]", err: "comma before ]"},
		{in: "[1 2]", err: "where , or ] belongs"},
		{in: "[{\"a\":tru}]", err: "element 0"},
		{in: "[{\"a\":1}", err: "unexpected end"},
		{in: "[{\"a\":1", err: "unexpected EOF"},
		{in: "[1] x", err: "data after"},
	} {
		for _, one := range []bool{false, true} {
			got, err := collect([]byte(tc.in), one)
			if tc.err != "" {
				if err == nil || !errors.Is(err, jsonl.ErrStructure) || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("%q: err = %v, want structural %q", tc.in, err, tc.err)
				}
				continue
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%q: %q, %v", tc.in, got, err)
			}
		}
	}
}

// FuzzArray checks Array against encoding/json: it accepts exactly the
// valid JSON arrays and yields their elements compacted.
func FuzzArray(f *testing.F) {
	f.Add([]byte(`[{"organisasjonsnummer":"910000012","adresse":["a",null,""]},{"x":"\u00e6\"]"}]`))
	f.Add([]byte(`[1,2.5e3,true,false,null,"x",[],{}]`))
	f.Add([]byte(`[{"a":1}{"b":2}]`))
	f.Add([]byte(` null `))
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := collect(doc, len(doc)%2 == 0)
		var ref []json.RawMessage
		refErr := json.Unmarshal(doc, &ref)
		if t := bytes.TrimLeft(doc, " \t\r\n"); refErr == nil && (len(t) == 0 || t[0] != '[') {
			refErr = errors.New("null is not an array") // Unmarshal takes null for a slice
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%q: Array err %v, encoding/json err %v", doc, err, refErr)
		}
		if err != nil {
			return
		}
		if len(got) != len(ref) {
			t.Fatalf("%q: %d elements, encoding/json %d", doc, len(got), len(ref))
		}
		for i := range ref {
			var c bytes.Buffer
			json.Compact(&c, ref[i])
			if c.String() != got[i] {
				t.Fatalf("%q: element %d %s, want %s", doc, i, got[i], c.String())
			}
		}
	})
}

func TestScanHelpers(t *testing.T) {
	raw := []byte(`{"a":{"b":[1,"}"]},"c":"d\"e","f":null,"g":12}`)
	var keys []string
	end := jsonl.EachMember(raw, 0, func(k []byte, v int) int {
		e := jsonl.SkipValue(raw, v)
		keys = append(keys, string(k)+"="+string(raw[v:e]))
		return e
	})
	if end != len(raw) || strings.Join(keys, " ") != `a={"b":[1,"}"]} c="d\"e" f=null g=12` {
		t.Fatalf("%d %v", end, keys)
	}
	for in, want := range map[string]string{`"x"`: "x", `"d\"e"`: `d"e`, `null`: "", `"\u00e6"`: "æ"} {
		if s, ok := jsonl.String([]byte(in)); !ok || s != want {
			t.Errorf("String(%s) = %q %v", in, s, ok)
		}
	}
	if _, ok := jsonl.String([]byte("12")); ok {
		t.Error("a number is a string")
	}
}
