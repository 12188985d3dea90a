package decode

import (
	"strings"
	"unicode/utf8"
)

// keeper copies the strings an event keeps out of the record, all into one allocation. Records are decoded
// without copying strings (see unmarshalRecord), so a string that skipped the keeper would hold the whole
// record, body included, alive for as long as the event lives.
type keeper struct {
	b strings.Builder
	// badUTF8 is set when a kept string is invalid UTF-8 or has U+FFFD: the JSON decoder puts U+FFFD in
	// place of invalid UTF-8 and of lone surrogates, and no real id contains it.
	badUTF8 bool
}

// grow reserves n bytes; strings kept within the reservation share one allocation. Keeping more is still
// correct, it only allocates again.
func (k *keeper) grow(n int) { k.b.Grow(n) }

func (k *keeper) keep(s string) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) || strings.Contains(s, "\uFFFD") {
		k.badUTF8 = true
	}
	start := k.b.Len()
	k.b.WriteString(s)
	// Builder never rewrites bytes it has handed out, so the slice stays valid as more is written.
	return k.b.String()[start:]
}

// keepPair keeps a and b as "lo:hi", the two sorted and joined, and returns the joined string and the kept
// copies of a and b, which are parts of it.
func (k *keeper) keepPair(a, b string) (pair, ka, kb string) {
	start := k.b.Len()
	if a <= b {
		ka = k.keep(a)
		k.b.WriteByte(':')
		kb = k.keep(b)
	} else {
		kb = k.keep(b)
		k.b.WriteByte(':')
		ka = k.keep(a)
	}
	return k.b.String()[start:], ka, kb
}
