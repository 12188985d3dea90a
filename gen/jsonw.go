package gen

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jw appends compact JSON. Records are written by hand rather than marshalled so that key
// order, null-versus-absent fields and escape styles can vary the way real producers vary.
type jw struct {
	b     []byte
	comma bool // the next member or element needs a separating comma
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
}

func (w *jw) open()       { w.sep(); w.b = append(w.b, '{'); w.comma = false }
func (w *jw) close()      { w.b = append(w.b, '}'); w.comma = true }
func (w *jw) openArr()    { w.sep(); w.b = append(w.b, '['); w.comma = false }
func (w *jw) closeArr()   { w.b = append(w.b, ']'); w.comma = true }
func (w *jw) null()       { w.sep(); w.b = append(w.b, "null"...) }
func (w *jw) int(v int64) { w.sep(); w.b = strconv.AppendInt(w.b, v, 10) }

func (w *jw) float(v float64) {
	w.sep()
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}

// key writes a member name; the value that follows needs no comma of its own.
func (w *jw) key(k string) {
	w.sep()
	w.b = appendJSONString(w.b, k, false)
	w.b = append(w.b, ':')
	w.comma = false
}

func (w *jw) str(s string) { w.sep(); w.b = appendJSONString(w.b, s, false) }

// strASCII writes s with every non-ASCII rune as a \u escape (surrogate pairs above the BMP),
// the style of the Causal Foundry docs' emoji example; it decodes to the same string.
func (w *jw) strASCII(s string) { w.sep(); w.b = appendJSONString(w.b, s, true) }

// raw appends an already encoded value, for poison records that must be exactly so.
func (w *jw) raw(v string) { w.sep(); w.b = append(w.b, v...) }

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string, asciiOnly bool) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !asciiOnly {
			b = append(b, s[i:i+size]...)
			i += size
			continue
		}
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			b = appendU4(b, hi)
			b = appendU4(b, lo)
		} else {
			b = appendU4(b, r)
		}
		i += size
	}
	return append(b, '"')
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
