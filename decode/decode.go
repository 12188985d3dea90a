package decode

import (
	"errors"
	"fmt"

	"github.com/chatpulse/chatpulse/event"
)

// Format is the shape of raw records on an input topic.
type Format uint8

const (
	FormatAuto Format = iota
	FormatCausalFoundry
	FormatExpertflow
	FormatChatlayer
	FormatVoipbin
)

var formatNames = [...]string{FormatAuto: "auto", FormatCausalFoundry: "causalfoundry", FormatExpertflow: "expertflow", FormatChatlayer: "chatlayer", FormatVoipbin: "voipbin"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// ParseFormat returns the format with the given name.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("unknown format %q (want auto, causalfoundry, expertflow, chatlayer or voipbin)", s)
}

// Record is what a decoder sees of a raw record.
type Record struct {
	Value []byte
	// TimestampMs is the Kafka record timestamp, the event time of events that carry none.
	TimestampMs int64
}

// MaxRecordBytes bounds the size of a record a decoder accepts; larger ones are poison.
const MaxRecordBytes = 16 << 20

// Decode appends the events of rec, decoded as format f, to dst.
func Decode(f Format, rec Record, dst []event.Event) ([]event.Event, error) {
	if err := checkSize(rec); err != nil {
		return dst, err
	}
	switch f {
	case FormatCausalFoundry:
		return DecodeCausalFoundry(rec, dst)
	case FormatExpertflow:
		return DecodeExpertflow(rec, dst)
	case FormatChatlayer:
		return DecodeChatlayer(rec, dst)
	case FormatVoipbin:
		return DecodeVoipbin(rec, dst)
	case FormatAuto:
		if detected, ok := Detect(rec.Value); ok {
			return Decode(detected, rec, dst)
		}
		return dst, poison(ReasonUnknownFormat, errors.New("no known format matches the record"))
	}
	return dst, poison(ReasonUnknownFormat, fmt.Errorf("no decoder for format %s", f))
}

// checkSize keeps every decoder, whether called through Decode or directly, from reading an oversized record.
func checkSize(rec Record) *Error {
	if len(rec.Value) > MaxRecordBytes {
		return poisonf(ReasonTooLarge, "record of %d bytes exceeds %d", len(rec.Value), MaxRecordBytes)
	}
	return nil
}

// Detect guesses the format of a raw record from the keys at the top level of its object. The
// formats' identifying keys do not overlap, so the order of the checks does not matter.
func Detect(value []byte) (Format, bool) {
	switch {
	case looksCausalFoundry(value):
		return FormatCausalFoundry, true
	case looksExpertflow(value):
		return FormatExpertflow, true
	case looksChatlayer(value):
		return FormatChatlayer, true
	case looksVoipbin(value):
		return FormatVoipbin, true
	}
	return FormatAuto, false
}

// parse bounds the record's size and parses its JSON into v: the first steps of every decoder.
func parse[T any](rec Record, v *T) *Error {
	if err := checkSize(rec); err != nil {
		return err
	}
	return unmarshalRecord(rec.Value, v)
}

// appendEvent is the last step of a single-event decoder: dst with ev, or dst unchanged and err.
func appendEvent(dst []event.Event, ev event.Event, err *Error) ([]event.Event, error) {
	if err != nil {
		return dst, err
	}
	return append(dst, ev), nil
}
