package registry

// AppendWithheldGP appends the GP answer of a patient with a protected
// address as a caller without grunndata:person.read-protected sees it: that
// the patient has a GP, and nothing that identifies or locates it
// (docs/security.md, "GP answers of protected patients"). The loader stores
// it as the restricted view of such a patient's GP answer; the server
// answers it for a patient protected since the load (a Freg delta changes
// the address protection, not the GP register). patientNIN is 11 digits.
func AppendWithheldGP(dst, patientNIN []byte) []byte {
	dst = append(dst, `{"patientNin":"`...)
	dst = append(dst, patientNIN...)
	return append(dst, `","gpWithheld":true,"patientAddressProtected":true}`...)
}
