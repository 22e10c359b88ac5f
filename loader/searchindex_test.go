package loader_test

import (
	"encoding/json"
	"testing"

	"github.com/grunndata/grunndata/index"
	"github.com/grunndata/grunndata/registry"
)

// searchProblems checks every person search entry (family name, given name,
// birth date) of the active generation of data against the person it points
// to: the person must be served under the entry's number (not an earlier
// D-number), and the entry's word or date must be in the person's current
// name or birth date. It returns the stale entries found and how many
// entries there are.
func searchProblems(t *testing.T, data string) (stale []string, entries int) {
	t.Helper()
	st, err := index.Open(index.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	type person struct {
		NIN  string `json:"nin"`
		Name struct {
			Given  string `json:"given"`
			Family string `json:"family"`
		} `json:"name"`
		BirthDate string `json:"birthDate"`
	}
	persons := map[registry.NIN]*person{}
	get := func(n registry.NIN) *person {
		if p, ok := persons[n]; ok {
			return p
		}
		k := registry.PersonKey(n)
		val, err := v.Get(nil, &k)
		var p *person
		if err == nil {
			_, full, _, err := registry.DecodeValue(val)
			if err != nil {
				t.Fatal(err)
			}
			p = new(person)
			if err := json.Unmarshal(full, p); err != nil {
				t.Fatal(err)
			}
		} else if err != registry.ErrNotFound {
			t.Fatal(err)
		}
		persons[n] = p
		return p
	}
	hasWord := func(name, w string) bool {
		for _, tok := range registry.NameTokens(name) {
			if len(tok) > registry.MaxWordKey {
				tok = tok[:registry.MaxWordKey]
			}
			if tok == w {
				return true
			}
		}
		return false
	}
	for _, reg := range []registry.Register{registry.IdxPersonFamily, registry.IdxPersonGiven, registry.IdxPersonBirth} {
		err := v.Scan([]byte{byte(reg)}, nil, func(key, _ []byte) bool {
			entries++
			var n registry.NIN
			copy(n[:], key[len(key)-len(n):])
			p := get(n)
			switch {
			case p == nil:
				stale = append(stale, string(reg)+": no person")
			case p.NIN != n.String():
				stale = append(stale, string(reg)+": entry under an earlier number")
			case reg == registry.IdxPersonBirth:
				if string(key[1:len(key)-len(n)]) != p.BirthDate {
					stale = append(stale, string(reg)+": not the birth date")
				}
			default:
				w := string(key[1 : len(key)-len(n)-1])
				name := p.Name.Family
				if reg == registry.IdxPersonGiven {
					name = p.Name.Given
				}
				if !hasWord(name, w) {
					stale = append(stale, string(reg)+": word "+w+" not in the current name")
				}
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return stale, entries
}
