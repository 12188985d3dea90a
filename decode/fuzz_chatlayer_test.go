package decode

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// FuzzChatlayer checks that any input ends either in exactly one valid event or in a poison error with a
// reason, never both and never a panic, that an event keeps no memory of the record, and that a message's
// derived id has its form and is the same when the record is decoded again.
func FuzzChatlayer(f *testing.F) {
	f.Fuzz(func(t *testing.T, value []byte) {
		_, _ = Detect(value)
		prefix := []event.Event{{Kind: event.KindReceipt, Receipt: event.Receipt{Msg: "sentinel"}}}
		out, err := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs}, prefix)
		if len(out) == 0 || !reflect.DeepEqual(out[0], prefix[0]) {
			t.Fatalf("the events already in dst were changed")
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Fatalf("error %v is not a *Error with a reason", err)
			}
			if len(out) != 1 {
				t.Fatalf("an error (%v) and %d events", err, len(out)-1)
			}
			return
		}
		if len(out) != 2 {
			t.Fatalf("no error and %d events, want 1", len(out)-1)
		}
		ev := &out[1]
		if verr := ev.Validate(); verr != nil {
			t.Fatalf("decoded event fails validation: %v", verr)
		}
		if ev.Source != event.SourceChatlayer || ev.Tenant != "" {
			t.Fatalf("source %s tenant %q", ev.Source, ev.Tenant)
		}
		if ev.Platform == "" || ev.Platform != strings.ToLower(ev.Platform) {
			t.Fatalf("platform %q is empty or not lower case", ev.Platform)
		}
		switch ev.Kind {
		case event.KindMessage:
			id := string(ev.Message.ID)
			if len(id) != clIDLen || !strings.HasPrefix(id, "cl-") || strings.Trim(id[3:], "0123456789abcdef") != "" {
				t.Fatalf("derived id %q is not cl- and 32 hex digits", id)
			}
		case event.KindHandover:
		default:
			t.Fatalf("kind %s", ev.Kind)
		}
		assertOwnMemory(t, ev, value)
		again, err := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs}, nil)
		if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], *ev) {
			t.Fatalf("a second decode of the record differs: %v", err)
		}
	})
}
