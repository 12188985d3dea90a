package decode

import (
	"errors"

	json "github.com/goccy/go-json"
)

// unmarshalRecord decodes value into v, mapping syntax errors to ReasonMalformed and type errors to
// ReasonWrongType. Strings are not copied: they refer to value, so whatever an event keeps of them must
// go through a keeper, or the event would hold the whole record alive.
func unmarshalRecord[T any](value []byte, v *T) *Error {
	err := json.UnmarshalOf(value, v, json.DecodeNoCopyString())
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return poison(ReasonWrongType, err)
	}
	return poison(ReasonMalformed, err)
}

// jsonKind is the first byte of a value's JSON text, 0 when the key is absent. Decoding into a struct does
// not tell an absent key from null; a probe with this type does, for the few places where that decides
// the reason.
type jsonKind byte

func (k *jsonKind) UnmarshalJSON(b []byte) error {
	if len(b) > 0 {
		*k = jsonKind(b[0])
	}
	return nil
}

// isNull reports whether value, which decoded without error, is the JSON literal null.
func isNull(value []byte) bool {
	i := skipSpace(value, 0)
	return i < len(value) && value[i] == 'n'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
