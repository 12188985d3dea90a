package decode

import (
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// FuzzVoipbin checks that any input ends either in one to three valid events in the record's order (a message,
// then its deleted receipt, then its reaction set) or in a poison error with a reason, never both and never a
// panic, and that no event keeps memory of the record.
func FuzzVoipbin(f *testing.F) {
	f.Fuzz(func(t *testing.T, value []byte) {
		evs := checkDecoded(t, DecodeVoipbin, event.SourceVoipbin, 3, value)
		if evs == nil {
			return
		}
		msg := &evs[0]
		if msg.Kind != event.KindMessage {
			t.Fatalf("first event is a %s, want the message", msg.Kind)
		}
		if msg.Message.Recipient != (event.Recipient{Type: event.RecipientGroup, ID: string(msg.Message.ConversationID)}) {
			t.Fatalf("message recipient %+v is not its talk %q", msg.Message.Recipient, msg.Message.ConversationID)
		}
		for i := 1; i < len(evs); i++ {
			ev, prev := &evs[i], evs[i-1].Kind
			if ev.Tenant != msg.Tenant || ev.Platform != "other" {
				t.Fatalf("event %d: tenant %q platform %q", i+1, ev.Tenant, ev.Platform)
			}
			switch {
			case ev.Kind == event.KindReceipt && prev == event.KindMessage:
				if ev.Receipt != (event.Receipt{Msg: msg.Message.ID, Status: event.StatusDeleted}) {
					t.Fatalf("receipt %+v is not the message's deletion", ev.Receipt)
				}
			case ev.Kind == event.KindReactionSet && prev != event.KindReactionSet:
				if ev.Reactions.Target != msg.Message.ID {
					t.Fatalf("reaction set targets %q, not the message %q", ev.Reactions.Target, msg.Message.ID)
				}
			default:
				t.Fatalf("event %d is a %s after a %s", i+1, ev.Kind, prev)
			}
		}
	})
}
