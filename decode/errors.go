package decode

import (
	"errors"
	"fmt"
)

// Reason is a short, stable name of why a record is poison; it labels metrics and dead letters.
type Reason string

const (
	ReasonTooLarge      Reason = "too_large"
	ReasonUnknownFormat Reason = "unknown_format"
	ReasonMalformed     Reason = "malformed_json"
	ReasonWrongType     Reason = "wrong_type"
	ReasonUnknownKind   Reason = "unknown_kind"
	ReasonUnknownEnum   Reason = "unknown_enum"
	ReasonMissingField  Reason = "missing_field"
	ReasonBadTimestamp  Reason = "bad_timestamp"
	ReasonInvalid       Reason = "invalid_event"
)

// Error is a poison record: retrying it can never succeed.
type Error struct {
	Reason Reason
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

func poison(r Reason, err error) *Error { return &Error{Reason: r, Err: err} }

func poisonf(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Err: fmt.Errorf(format, args...)}
}

// clip shortens a value of the record quoted in an error: a field may hold megabytes, and the message ends up
// in dead-letter headers and logs.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// ReasonOf returns the reason of a poison error, or "" when err is not one.
func ReasonOf(err error) Reason {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return ""
}
