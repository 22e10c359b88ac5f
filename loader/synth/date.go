package synth

// Dates are days since 1970-01-01 (civil, proleptic Gregorian). The
// conversions are Howard Hinnant's days_from_civil / civil_from_days; they
// avoid the time package on the encoding hot path.

type day int32

func dayOf(y, m, d int) day {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return day(era*146097 + doe - 719468)
}

func (t day) civil() (y, m, d int) {
	z := int(t) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func (t day) year() int { y, _, _ := t.civil(); return y }

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

// refDay is the dataset's "now": every generated dataset describes the
// registers as they stand on this day, so that output never depends on the
// clock. Periods that are current are open-ended.
var refDay = dayOf(2026, 1, 5)

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

func append4(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// appendDate appends "yyyy-MM-dd" with quotes.
func appendDate(dst []byte, t day) []byte {
	y, m, d := t.civil()
	dst = append(dst, '"')
	dst = append4(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	return append(dst, '"')
}

// appendInstant appends an RFC 3339 UTC instant with quotes; sec is the
// second of the day.
func appendInstant(dst []byte, t day, sec int) []byte {
	dst = appendDate(dst, t)
	dst = dst[:len(dst)-1]
	dst = append(dst, 'T')
	dst = append2(dst, sec/3600)
	dst = append(dst, ':')
	dst = append2(dst, sec/60%60)
	dst = append(dst, ':')
	dst = append2(dst, sec%60)
	return append(dst, 'Z', '"')
}

// appendBrregTime appends Brreg's historiskeNavn format "yyyy-MM-dd HH:mm:ss".
func appendBrregTime(dst []byte, t day, sec int) []byte {
	dst = appendDate(dst, t)
	dst = dst[:len(dst)-1]
	dst = append(dst, ' ')
	dst = append2(dst, sec/3600)
	dst = append(dst, ':')
	dst = append2(dst, sec/60%60)
	dst = append(dst, ':')
	dst = append2(dst, sec%60)
	return append(dst, '"')
}
