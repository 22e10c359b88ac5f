package jsonl_test

import (
	"bytes"
	stdjson "encoding/json"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/grunndata/grunndata/loader/jsonl"
)

// TestAppendStringMatchesMarshal: AppendString writes what json.Marshal
// writes for a string.
func TestAppendStringMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "Østby & Sønn <AS>", "quote \" backslash \\ slash /", "tab\tnl\ncr\r\x00\x1f",
		"line\u2028para\u2029", "bad \xff byte", "emoji 😀", "\u007f"} {
		want, err := stdjson.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonl.AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestAppendObjectMatchesMarshal: AppendObject writes what json.Marshal
// writes for a map of raw values, keys in order, HTML escaped.
func TestAppendObjectMatchesMarshal(t *testing.T) {
	m := map[string]json.RawMessage{
		"name":   json.RawMessage(`"Lege & Co <AS>"`),
		"active": json.RawMessage(`true`),
		"a<b":    json.RawMessage(`{"nested":["x\u2028y","&"],"n":1}`),
		"Zeta":   json.RawMessage(`null`),
		"list":   json.RawMessage(`[]`),
		"sep":    json.RawMessage("\"a\u2028b\u2029c\""),
	}
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonl.AppendObject(nil, jsonl.MembersOf(m)); !bytes.Equal(got, want) {
		t.Errorf("AppendObject = %s\nwant           %s", got, want)
	}
	if got := jsonl.AppendObject(nil, nil); string(got) != "{}" {
		t.Errorf("empty object: %s", got)
	}
	dup := []jsonl.Member{{"a", []byte("1")}, {"b", []byte("2")}, {"a", []byte("3")}}
	if got := jsonl.AppendObject(nil, dup); string(got) != `{"a":3,"b":2}` {
		t.Errorf("a key given twice: %s", got)
	}
}

func TestCompact(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`{ "a" : [1, 2] }`, `{"a":[1,2]}`, true},
		{`{"a":"Ø"}`, `{"a":"Ø"}`, true},
		{`{"a":1`, "", false},
		{"{\"a\":\"\xff\"}", "", false},
		{`{"a":tru}`, "", false},
	} {
		var buf bytes.Buffer
		buf.WriteString("kept")
		err := jsonl.Compact(&buf, []byte(tc.in))
		if (err == nil) != tc.ok || buf.String() != "kept"+tc.want {
			t.Errorf("Compact(%q) = %q, %v; want %q ok=%v", tc.in, buf.String(), err, tc.want, tc.ok)
		}
	}
}
