package registry

import "encoding/binary"

// Register identifies a register family, and a key family in the store.
type Register byte

// Primary key families: one prefix byte each, so one register's keys are
// contiguous. Secondary index families use lower-case letters.
const (
	RegPerson       Register = 'N' // 'N' + 11 digits
	RegOrganisation Register = 'O' // 'O' + 9 digits (enhet or underenhet)
	RegParty        Register = 'A' // 'A' + uint32 BE HER-id (Adresseregisteret)
	RegResh         Register = 'R' // 'R' + uint32 BE RESH-id
	RegPersonnel    Register = 'H' // 'H' + uint32 BE HPR-number
	RegGPContract   Register = 'G' // 'G' + uint64 BE contract id
	RegGPPatient    Register = 'F' // 'F' + 11 digits: the patient's GP answer (fastlege)

	IdxPersonnelByNIN Register = 'h' // 'h' + 11 digits → HPR-number (uint32 BE)
	IdxPartyByOrgnr   Register = 'a' // 'a' + 9 digits + uint32 BE HER-id → empty
	IdxPartyChildren  Register = 'c' // 'c' + parent HER-id + child HER-id → empty
	IdxReshChildren   Register = 'r' // 'r' + parent RESH-id + child RESH-id → empty
	IdxSubunits       Register = 'u' // 'u' + 9 digits parent + 9 digits child → empty
	IdxPartyByHPR     Register = 'i' // 'i' + HPR-number → HER-id of the AR person (uint32 BE)
	IdxPersonExists   Register = 'z' // 'z' + 11 digits → one flags byte (FlagRestricted): a dense family for reference checks

	RegMeta Register = 'M' // 'M' + name: generation metadata
)

// MaxKeyLen is the longest key any family uses.
const MaxKeyLen = 24

// Key is a store key built on the stack: a register prefix and the id bytes.
// The layout is documented on the Register constants; index stores keys as
// they are and never interprets them beyond the prefix.
type Key struct {
	b [MaxKeyLen]byte
	n uint8
}

// Bytes returns the key. The slice aliases k.
func (k *Key) Bytes() []byte { return k.b[:k.n] }

// Register returns the key's family.
func (k *Key) Register() Register { return Register(k.b[0]) }

// PersonKey is the key of a Freg person (or AIN) by person number.
func PersonKey(n NIN) Key { return digitsKey(RegPerson, n[:]) }

// GPPatientKey is the key of a patient's GP answer by person number.
func GPPatientKey(n NIN) Key { return digitsKey(RegGPPatient, n[:]) }

// PersonExistsKey is the compact key that says a person number is in Freg
// (its value: the person value's flags). Loads check references against it:
// 12-byte keys pack a thousand to a block, so the checks hit the block cache
// where the person records (kilobytes each) would go to disk.
func PersonExistsKey(n NIN) Key { return digitsKey(IdxPersonExists, n[:]) }

// PersonnelByNINKey is the secondary key nin → HPR-number.
func PersonnelByNINKey(n NIN) Key { return digitsKey(IdxPersonnelByNIN, n[:]) }

// OrgKey is the key of an enhet or underenhet.
func OrgKey(o Orgnr) Key { return digitsKey(RegOrganisation, o[:]) }

// SerialKey is the key of a register keyed by a serial integer (HER-id,
// RESH-id, HPR-number as uint32; GP contract id as uint64).
func SerialKey(r Register, id uint64) Key {
	var k Key
	k.b[0] = byte(r)
	if r == RegGPContract {
		binary.BigEndian.PutUint64(k.b[1:], id)
		k.n = 9
		return k
	}
	binary.BigEndian.PutUint32(k.b[1:], uint32(id))
	k.n = 5
	return k
}

// PairKey is a secondary key of two parts (prefix + a + b), used for
// one-to-many indexes whose value is empty.
func PairKey(r Register, a, b []byte) Key {
	var k Key
	k.b[0] = byte(r)
	n := 1 + copy(k.b[1:], a)
	n += copy(k.b[n:], b)
	k.n = uint8(n)
	return k
}

func digitsKey(r Register, d []byte) Key {
	var k Key
	k.b[0] = byte(r)
	k.n = uint8(1 + copy(k.b[1:], d))
	return k
}

// RawKey wraps already-encoded key bytes (at most MaxKeyLen).
func RawKey(b []byte) Key {
	var k Key
	if len(b) > MaxKeyLen {
		panic("BUG: key too long")
	}
	k.n = uint8(copy(k.b[:], b))
	return k
}

// U32 encodes v big-endian into a 4-byte array (for composing keys).
func U32(v uint32) [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return b
}
