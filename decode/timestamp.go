package decode

import (
	"bytes"
	"math"
	"strconv"
	"time"

	"github.com/chatpulse/chatpulse/event"
	json "github.com/goccy/go-json"
)

// timeState says what an event time field held.
type timeState uint8

const (
	timeAbsent    timeState = iota // absent or null: the record timestamp applies
	timeOK                         // a time, in ms
	timeBad                        // a string or number that is no time
	timeWrongType                  // an object, array or boolean
)

// jsonTime is an event time field that may be a date-time string, a numeric string or a JSON number of
// epoch milliseconds. It parses the raw value where the decoder hands it over, so no string is decoded for it.
type jsonTime struct {
	ms    int64
	state timeState
}

// UnmarshalJSON never fails: a value that is no time is recorded in the state, so that a syntax error
// elsewhere in the record still decides the reason. A repeated key overwrites the earlier value.
func (t *jsonTime) UnmarshalJSON(b []byte) error {
	*t = jsonTime{state: timeBad}
	if len(b) == 0 {
		return nil
	}
	var ok bool
	switch c := b[0]; {
	case c == 'n':
		t.state = timeAbsent
		return nil
	case c == '"':
		if len(b) < 2 {
			return nil
		}
		s := b[1 : len(b)-1]
		if bytes.IndexByte(s, '\\') >= 0 {
			var unescaped string
			if json.Unmarshal(b, &unescaped) != nil {
				return nil
			}
			t.ms, ok = parseTimestamp(unescaped)
		} else {
			t.ms, ok = parseTimestamp(s)
		}
	case c == '-' || isDigit(c):
		t.ms, ok = parseEpochNumber(b)
	default:
		t.state = timeWrongType
		return nil
	}
	if ok {
		t.state = timeOK
	}
	return nil
}

// parseTimestamp returns the epoch milliseconds of s: a date-time with a zone ("2024-02-13 15:09:20Z",
// RFC 3339, "T" or a space between date and time, optional fraction), or a decimal integer of epoch ms.
func parseTimestamp[S ~string | ~[]byte](s S) (int64, bool) {
	if ms, ok := parseEpochDigits(s); ok {
		return ms, true
	}
	return parseDateTime(s, false)
}

// parseEpochDigits parses an optionally negative decimal integer of at most 18 digits, which cannot overflow.
func parseEpochDigits[S ~string | ~[]byte](s S) (int64, bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	if len(s) == i || len(s)-i > 18 {
		return 0, false
	}
	var n int64
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseEpochNumber parses a JSON number literal of epoch ms; a fraction of a millisecond is dropped.
func parseEpochNumber(b []byte) (int64, bool) {
	if ms, ok := parseEpochDigits(b); ok {
		return ms, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	// the bound keeps the conversion defined; anything near it is out of the event range anyway
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1e18 {
		return 0, false
	}
	return int64(math.Floor(f)), true
}

// parseDateTime parses "YYYY-MM-DD[T ]hh:mm:ss[.fff...]" followed by "Z" or "±hh:mm". With zoneless set, a
// time without zone is taken as UTC (formats that document their times as UTC without saying so).
func parseDateTime[S ~string | ~[]byte](s S, zoneless bool) (int64, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hour, ok4 := digits(s, 11, 2)
	minute, ok5 := digits(s, 14, 2)
	sec, ok6 := digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	i, frac := 19, 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for ; i < len(s) && isDigit(s[i]); i++ {
			if i-start < 3 {
				frac = frac*10 + int(s[i]-'0')
			}
		}
		n := i - start
		if n == 0 {
			return 0, false
		}
		for ; n < 3; n++ {
			frac *= 10
		}
	}
	offset := 0 // seconds east of UTC
	switch {
	case i == len(s):
		if !zoneless {
			return 0, false
		}
	case (s[i] == 'Z' || s[i] == 'z') && i+1 == len(s):
	case (s[i] == '+' || s[i] == '-') && len(s)-i == 6 && s[i+3] == ':':
		oh, okh := digits(s, i+1, 2)
		om, okm := digits(s, i+4, 2)
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, false
		}
		offset = oh*3600 + om*60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	return t.UnixMilli() + int64(frac) - int64(offset)*1000, true
}

func digits[S ~string | ~[]byte](s S, at, n int) (int, bool) {
	v := 0
	for i := at; i < at+n; i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// eventTime resolves the event time a field gives: its own time, or the record timestamp when
// the field is absent, as long as it falls in the range events may have. field names it in errors.
func (t jsonTime) eventTime(field string, recordMs int64) (int64, *Error) {
	ms := t.ms
	switch t.state {
	case timeAbsent:
		ms = recordMs
	case timeBad:
		return 0, poisonf(ReasonBadTimestamp, "%s is not a date-time or epoch ms", field)
	case timeWrongType:
		return 0, poisonf(ReasonWrongType, "%s is not a string or number", field)
	}
	if ms < event.MinAtMs || ms >= event.MaxAtMs {
		what := field
		if t.state == timeAbsent {
			what = "record timestamp (no " + field + ")"
		}
		return 0, poisonf(ReasonBadTimestamp, "%s %d ms outside [2000, 2100)", what, ms)
	}
	return ms, nil
}
