package decode

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// FuzzExpertflow checks that any input ends either in exactly one valid event or in a poison error with a
// reason, never both and never a panic, and that an event keeps no memory of the record.
func FuzzExpertflow(f *testing.F) {
	f.Fuzz(func(t *testing.T, value []byte) {
		_, _ = Detect(value)
		prefix := []event.Event{{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "sentinel"}}}
		out, err := DecodeExpertflow(Record{Value: value, TimestampMs: seedRecordMs}, prefix)
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
		if ev.Source != event.SourceExpertflow || ev.Tenant != "" {
			t.Fatalf("source %s tenant %q", ev.Source, ev.Tenant)
		}
		if ev.Platform != strings.ToLower(ev.Platform) {
			t.Fatalf("platform %q is not lower case", ev.Platform)
		}
		assertOwnMemory(t, ev, value)
	})
}
