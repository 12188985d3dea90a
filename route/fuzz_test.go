package route

import (
	"reflect"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// FuzzDecode checks that no internal record can crash the decoder and that whatever it accepts
// encodes back to an equal event.
func FuzzDecode(f *testing.F) {
	for _, ev := range sample() {
		f.Add(Encode(nil, KindMessage, &ev))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		var ev event.Event
		kind, err := Decode(value, &ev)
		if err != nil {
			return
		}
		var again event.Event
		if _, err := Decode(Encode(nil, kind, &ev), &again); err != nil || !reflect.DeepEqual(again, ev) {
			t.Fatalf("re-encoded event differs: %v\n%+v\n%+v", err, again, ev)
		}
	})
}
