package decode

import (
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
		evs := checkDecoded(t, DecodeChatlayer, event.SourceChatlayer, 1, value)
		if evs == nil {
			return
		}
		ev := &evs[0]
		if ev.Tenant != "" || ev.Platform == "" {
			t.Fatalf("tenant %q platform %q", ev.Tenant, ev.Platform)
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
		again, err := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs}, nil)
		if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], *ev) {
			t.Fatalf("a second decode of the record differs: %v", err)
		}
	})
}
