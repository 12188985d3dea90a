package decode

import (
	"errors"
	"reflect"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// FuzzVoipbin checks that any input ends either in one to three valid events in the record's order (a message,
// then its deleted receipt, then its reaction set) or in a poison error with a reason, never both and never a
// panic, and that no event keeps memory of the record.
func FuzzVoipbin(f *testing.F) {
	f.Fuzz(func(t *testing.T, value []byte) {
		_, _ = Detect(value)
		prefix := []event.Event{{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "sentinel"}}}
		out, err := DecodeVoipbin(Record{Value: value, TimestampMs: seedRecordMs}, prefix)
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
		evs := out[1:]
		if len(evs) < 1 || len(evs) > 3 {
			t.Fatalf("no error and %d events, want 1 to 3", len(evs))
		}
		msg := &evs[0]
		if msg.Kind != event.KindMessage {
			t.Fatalf("first event is a %s, want the message", msg.Kind)
		}
		if msg.Message.Recipient != (event.Recipient{Type: event.RecipientGroup, ID: string(msg.Message.ConversationID)}) {
			t.Fatalf("message recipient %+v is not its talk %q", msg.Message.Recipient, msg.Message.ConversationID)
		}
		kinds := make([]event.Kind, 0, len(evs))
		for i := range evs {
			ev := &evs[i]
			if verr := ev.Validate(); verr != nil {
				t.Fatalf("event %d fails validation: %v", i+1, verr)
			}
			if ev.Source != event.SourceVoipbin || ev.Tenant != msg.Tenant || ev.Platform != "other" {
				t.Fatalf("event %d: source %s tenant %q platform %q", i+1, ev.Source, ev.Tenant, ev.Platform)
			}
			switch {
			case i == 0:
			case ev.Kind == event.KindReceipt && kinds[len(kinds)-1] == event.KindMessage:
				if ev.Receipt != (event.Receipt{Msg: msg.Message.ID, Status: event.StatusDeleted}) {
					t.Fatalf("receipt %+v is not the message's deletion", ev.Receipt)
				}
			case ev.Kind == event.KindReactionSet && kinds[len(kinds)-1] != event.KindReactionSet:
				if ev.Reactions.Target != msg.Message.ID {
					t.Fatalf("reaction set targets %q, not the message %q", ev.Reactions.Target, msg.Message.ID)
				}
			default:
				t.Fatalf("event %d is a %s after %v", i+1, ev.Kind, kinds)
			}
			kinds = append(kinds, ev.Kind)
			assertOwnMemory(t, ev, value)
		}
	})
}
