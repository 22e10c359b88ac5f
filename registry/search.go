package registry

import (
	"strings"
	"unicode"
)

// Name search. Names are folded (lower case; æ, ø, å and their two-letter
// spellings ae, oe, aa folded together; other diacritics dropped) and split
// into words; a query word matches a name word it is a prefix of.

// Fold normalises a name for matching.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'æ', 'å', 'ä', 'á', 'à', 'â':
			b.WriteByte('a')
		case 'ø', 'ö', 'ó', 'ò', 'ô':
			b.WriteByte('o')
		case 'é', 'è', 'ê', 'ë':
			b.WriteByte('e')
		case 'ü', 'ú', 'ù':
			b.WriteByte('u')
		case 'í', 'ì', 'ï':
			b.WriteByte('i')
		default:
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		}
	}
	t := b.String()
	t = strings.ReplaceAll(t, "aa", "a")
	t = strings.ReplaceAll(t, "ae", "a")
	t = strings.ReplaceAll(t, "oe", "o")
	return t
}

// NameTokens folds s and splits it into words.
func NameTokens(s string) []string { return strings.Fields(Fold(s)) }

// Person search key families: a name word or the birth date, then the
// person number, so a prefix scan finds candidates in order.
const (
	IdxPersonFamily Register = 's' // 's' + family-name word (≤ 24 bytes) + 0 + nin → summary
	IdxPersonGiven  Register = 'g' // 'g' + given-name word (≤ 24 bytes) + 0 + nin → summary
	IdxPersonBirth  Register = 'b' // 'b' + yyyy-mm-dd + nin → summary
)

// MaxWordKey bounds the name word in a search key.
const MaxWordKey = 24

// MaxSearchKeyLen is the longest search key.
const MaxSearchKeyLen = 1 + MaxWordKey + 1 + 11

// AppendWordKey appends a search key for word and n.
func AppendWordKey(dst []byte, r Register, word string, n NIN) []byte {
	if len(word) > MaxWordKey {
		word = word[:MaxWordKey]
	}
	dst = append(dst, byte(r))
	dst = append(dst, word...)
	dst = append(dst, 0)
	return append(dst, n[:]...)
}

// PersonSummary is what search filters on without reading the person.
type PersonSummary struct {
	Protected     bool   // addresses withheld from restricted callers; location filters skip them
	Gender        byte   // 'k' kvinne, 'm' mann, 0 unknown
	BirthDate     string // yyyy-mm-dd or ""
	Postnummer    string
	Kommunenummer string
	Given, Family string // folded
}

// AppendPersonSummary encodes s.
func AppendPersonSummary(dst []byte, s *PersonSummary) []byte {
	var flags byte
	if s.Protected {
		flags = 1
	}
	dst = append(dst, ValueVersion, flags, s.Gender)
	for _, f := range []string{s.BirthDate, s.Postnummer, s.Kommunenummer, s.Given, s.Family} {
		dst = append(dst, byte(min(len(f), 255)))
		dst = append(dst, f[:min(len(f), 255)]...)
	}
	return dst
}

// DecodePersonSummary decodes b into s; the strings are copies.
func DecodePersonSummary(b []byte, s *PersonSummary) bool {
	if len(b) < 3 || b[0] != ValueVersion {
		return false
	}
	s.Protected, s.Gender = b[1]&1 != 0, b[2]
	b = b[3:]
	fields := []*string{&s.BirthDate, &s.Postnummer, &s.Kommunenummer, &s.Given, &s.Family}
	for _, f := range fields {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return false
		}
		*f = string(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
	}
	return true
}

// Personnel search key families (HPR): name words and the profession code,
// then the HPR-number (uint32 BE).
const (
	IdxPersonnelFamily   Register = 'p' // 'p' + family-name word + 0 + hpr → personnel summary
	IdxPersonnelGiven    Register = 'w' // 'w' + given-name word + 0 + hpr → personnel summary
	IdxPersonnelCategory Register = 'k' // 'k' + 9060 code + 0 + hpr → personnel summary
)

// PersonnelSummary is what personnel search filters on.
type PersonnelSummary struct {
	Given, Family string   // folded
	Categories    []string // 9060 codes
	Specialities  []string // 7426 codes
}

// AppendPersonnelSummary encodes s.
func AppendPersonnelSummary(dst []byte, s *PersonnelSummary) []byte {
	dst = append(dst, ValueVersion)
	for _, f := range []string{s.Given, s.Family, strings.Join(s.Categories, ","), strings.Join(s.Specialities, ",")} {
		dst = append(dst, byte(min(len(f), 255)))
		dst = append(dst, f[:min(len(f), 255)]...)
	}
	return dst
}

// DecodePersonnelSummary decodes b into s.
func DecodePersonnelSummary(b []byte, s *PersonnelSummary) bool {
	if len(b) < 1 || b[0] != ValueVersion {
		return false
	}
	b = b[1:]
	var f [4]string
	for i := range f {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return false
		}
		f[i] = string(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
	}
	s.Given, s.Family = f[0], f[1]
	s.Categories, s.Specialities = splitNonEmpty(f[2]), splitNonEmpty(f[3])
	return true
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// AppendSerialWordKey appends r + word (≤ MaxWordKey) + 0 + id (uint32 BE).
func AppendSerialWordKey(dst []byte, r Register, word string, id uint32) []byte {
	if len(word) > MaxWordKey {
		word = word[:MaxWordKey]
	}
	dst = append(dst, byte(r))
	dst = append(dst, word...)
	dst = append(dst, 0)
	u := U32(id)
	return append(dst, u[:]...)
}
