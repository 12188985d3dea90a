package gen

import (
	"strconv"
	"time"
)

// tsForm is how a record writes an event time.
type tsForm uint8

const (
	tsSpaceZ          tsForm = iota // "2024-02-13 15:09:20Z", as in the Causal Foundry docs
	tsRFC3339Millis                 // "2024-02-13T15:09:20.123Z"
	tsRFC3339Offset                 // "2024-02-13T20:39:20.123+05:30", the same instant
	tsEpochMillis                   // 1707836960123, a JSON number
	tsRFC3339Seconds                // "2024-02-13T15:09:20Z"
	tsNone                          // no time field: the record timestamp carries the event time
	tsZonelessMillis                // "2024-02-13T15:09:20.123", UTC by the Expertflow convention
	tsZonelessSeconds               // "2024-02-13T15:09:20"
	tsMicrosZ                       // "2024-02-13T15:09:20.123456Z"
	tsEpochString                   // "1707836960123", epoch ms in a JSON string
	tsSpaceMicros                   // "2024-01-17 10:32:00.000000", UTC, as in the VoIPbin docs
)

// stamp is an event time as the record states it: ms is what a reader parses back, so the
// second-precision forms hold a truncated value and the expected rows use exactly that.
type stamp struct {
	ms        int64
	form      tsForm
	offsetMin int16 // for tsRFC3339Offset
	micros    int16 // for the microsecond forms: digits below ms, which a reader drops
}

var offsetsMin = []int16{330, -180, 60, -600}

// newStamp picks a written form for the exact time ms and keeps what that form preserves.
func newStamp(g rng, ms int64) stamp {
	s := stamp{ms: ms, form: tsForm(g.weighted(35, 25, 5, 25, 10))}
	switch s.form {
	case tsSpaceZ, tsRFC3339Seconds:
		s.ms = ms - ms%1000
	case tsRFC3339Offset:
		s.offsetMin = pick(g, offsetsMin)
	}
	return s
}

// stampAs writes ms in the given form, drawing what the form leaves open (offset, sub-ms
// digits) and truncating where the form drops precision.
func stampAs(g rng, ms int64, form tsForm) stamp {
	s := stamp{ms: ms, form: form}
	switch form {
	case tsSpaceZ, tsRFC3339Seconds, tsZonelessSeconds:
		s.ms = ms - ms%1000
	case tsRFC3339Offset:
		s.offsetMin = pick(g, offsetsMin)
	case tsMicrosZ, tsSpaceMicros:
		s.micros = int16(g.intn(1000))
	}
	return s
}

// appendTS appends the JSON value of the time field.
func (s stamp) appendTS(b []byte) []byte {
	t := time.UnixMilli(s.ms).UTC()
	switch s.form {
	case tsSpaceZ:
		return t.AppendFormat(append(b, '"'), `2006-01-02 15:04:05Z"`)
	case tsRFC3339Millis:
		return t.AppendFormat(append(b, '"'), `2006-01-02T15:04:05.000Z"`)
	case tsRFC3339Offset:
		zone := time.FixedZone("", int(s.offsetMin)*60)
		return t.In(zone).AppendFormat(append(b, '"'), `2006-01-02T15:04:05.000-07:00"`)
	case tsEpochMillis:
		return strconv.AppendInt(b, s.ms, 10)
	case tsRFC3339Seconds:
		return t.AppendFormat(append(b, '"'), `2006-01-02T15:04:05Z"`)
	case tsZonelessMillis:
		return t.AppendFormat(append(b, '"'), `2006-01-02T15:04:05.000"`)
	case tsZonelessSeconds:
		return t.AppendFormat(append(b, '"'), `2006-01-02T15:04:05"`)
	case tsMicrosZ:
		t = t.Add(time.Duration(s.micros) * time.Microsecond)
		return t.AppendFormat(append(b, '"'), `2006-01-02T15:04:05.000000Z"`)
	case tsEpochString:
		return append(strconv.AppendInt(append(b, '"'), s.ms, 10), '"')
	case tsSpaceMicros:
		t = t.Add(time.Duration(s.micros) * time.Microsecond)
		return t.AppendFormat(append(b, '"'), `2006-01-02 15:04:05.000000"`)
	}
	panic("gen: stamp without a ts form has no ts to write")
}
