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

// FuzzEachEvent checks that no repartition record can crash reading a bundle and that whatever
// it accepts names raw offsets in order, within what the bundle covers.
func FuzzEachEvent(f *testing.F) {
	evs := sample()
	var b Bundle
	for i := range evs {
		b.Add(int64(3+i/2), KindReceipt, &evs[i])
	}
	f.Add(b.Seal(Origin{Topic: "raw", Partition: 1, WatermarkMs: 5, Offset: 9}, nil))
	f.Add(b.Seal(Origin{Topic: "raw", Offset: 2}, nil))
	f.Fuzz(func(t *testing.T, value []byte) {
		var ev event.Event
		prev := int64(-1)
		o, err := EachEvent(value, &ev, func(offset int64, _ Kind, _ *event.Event) {
			if offset < prev || offset < 0 {
				t.Fatalf("event at raw offset %d after %d", offset, prev)
			}
			prev = offset
		})
		if err != nil {
			return
		}
		if prev > o.Offset {
			t.Fatalf("event at raw offset %d beyond the covered %d", prev, o.Offset)
		}
	})
}
