package decode

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	const base = 1707836960000 // 2024-02-13T15:09:20Z
	cases := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"a space-separated time with Z parses", "2024-02-13 15:09:20Z", base, true},
		{"RFC 3339 parses", "2024-02-13T15:09:20Z", base, true},
		{"lower-case t and z parse", "2024-02-13t15:09:20z", base, true},
		{"a one-digit fraction is tenths", "2024-02-13T15:09:20.5Z", base + 500, true},
		{"a nine-digit fraction keeps milliseconds", "2024-02-13T15:09:20.987654321Z", base + 987, true},
		{"a positive offset is east of UTC", "2024-02-13T20:39:20+05:30", base, true},
		{"a negative offset is west of UTC", "2024-02-13T10:09:20-05:00", base, true},
		{"an offset of -00:00 is UTC", "2024-02-13 15:09:20-00:00", base, true},
		{"February 29 of a leap year parses", "2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).UnixMilli(), true},
		{"epoch ms digits parse", "1707836960000", base, true},
		{"negative epoch ms digits parse", "-5", -5, true},
		{"a time without zone is rejected", "2024-02-13T15:09:20", 0, false},
		{"February 29 of a common year is rejected", "2023-02-29T00:00:00Z", 0, false},
		{"month 13 is rejected", "2024-13-01T00:00:00Z", 0, false},
		{"day 0 is rejected", "2024-01-00T00:00:00Z", 0, false},
		{"second 60 is rejected", "2024-01-01T00:00:60Z", 0, false},
		{"minute 60 is rejected", "2024-01-01T00:60:00Z", 0, false},
		{"an offset without colon is rejected", "2024-02-13T15:09:20+0530", 0, false},
		{"an offset minute of 60 is rejected", "2024-02-13T15:09:20+05:60", 0, false},
		{"a fraction without digits is rejected", "2024-02-13T15:09:20.Z", 0, false},
		{"a slash date is rejected", "2024/02/13T15:09:20Z", 0, false},
		{"a letter in the year is rejected", "2O24-02-13T15:09:20Z", 0, false},
		{"trailing text is rejected", "2024-02-13T15:09:20Zjunk", 0, false},
		{"an epoch with a sign only is rejected", "-", 0, false},
		{"19 digits are rejected", "1234567890123456789", 0, false},
		{"an epoch with a plus sign is rejected", "+1707836960000", 0, false},
		{"a decimal epoch string is rejected", "1707836960000.5", 0, false},
		{"an empty string is rejected", "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := parseTimestamp(c.in)
			if ok != c.ok || got != c.want {
				t.Fatalf("parseTimestamp(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
			}
			gotB, okB := parseTimestamp([]byte(c.in))
			if okB != ok || gotB != got {
				t.Fatalf("bytes and string disagree: %d, %v", gotB, okB)
			}
		})
	}
}

func TestParseDateTimeZoneless(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"a time without zone is UTC", "2024-01-17 10:32:00.000000", time.Date(2024, 1, 17, 10, 32, 0, 0, time.UTC).UnixMilli(), true},
		{"a zone is still honoured", "2024-01-17 10:32:00+01:00", time.Date(2024, 1, 17, 9, 32, 0, 0, time.UTC).UnixMilli(), true},
		{"a date alone is rejected", "2024-01-17", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := parseDateTime(c.in, true)
			if ok != c.ok || got != c.want {
				t.Fatalf("parseDateTime(%q, true) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestJSONTimeStates(t *testing.T) {
	cases := []struct {
		name  string
		raw   string
		state timeState
		ms    int64
	}{
		{"null is absent", `null`, timeAbsent, 0},
		{"a date-time string is a time", `"2024-02-13 15:09:20Z"`, timeOK, 1707836960000},
		{"an escaped string is unescaped", `"\u0031707836960000"`, timeOK, 1707836960000},
		{"a number is epoch ms", `1707836960000`, timeOK, 1707836960000},
		{"an exponent number is epoch ms", `1.70783696e12`, timeOK, 1707836960000},
		{"a negative exponent number is floored", `-0.5`, timeOK, -1},
		{"a word is bad", `"soon"`, timeBad, 0},
		{"a lone quote is bad", `"`, timeBad, 0},
		{"nothing is bad", ``, timeBad, 0},
		{"a huge number is bad", `1e19`, timeBad, 0},
		{"an object is the wrong type", `{}`, timeWrongType, 0},
		{"a boolean is the wrong type", `false`, timeWrongType, 0},
		{"an array is the wrong type", `[]`, timeWrongType, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jt := jsonTime{ms: 99, state: timeOK}
			if err := jt.UnmarshalJSON([]byte(c.raw)); err != nil {
				t.Fatalf("UnmarshalJSON: %v", err)
			}
			if jt.state != c.state || (c.state == timeOK && jt.ms != c.ms) {
				t.Fatalf("got state %d ms %d, want state %d ms %d", jt.state, jt.ms, c.state, c.ms)
			}
		})
	}
}
