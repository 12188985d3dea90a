package route

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"unsafe"

	"github.com/chatpulse/chatpulse/event"
)

// bundled is one event of a bundle with the raw offset of its record.
type bundled struct {
	offset int64
	kind   Kind
	ev     event.Event
}

// readAll returns the origin and every event of a bundle.
func readAll(value []byte) (Origin, []bundled, error) {
	var got []bundled
	var ev event.Event
	o, err := EachEvent(value, &ev, func(offset int64, k Kind, e *event.Event) { got = append(got, bundled{offset, k, *e}) })
	return o, got, err
}

func TestBundlesCarryTheirEventsOriginAndOffsets(t *testing.T) {
	evs := sample()
	o := Origin{Topic: "raw", Partition: 7, WatermarkMs: 1_707_836_960_000}
	tests := []struct {
		name    string
		offsets []int64 // of the events, in order; one sample event each
		last    int64
	}{
		{"events of several records keep the offsets of their records", []int64{100, 100, 101, 300, 300 + 1<<20}, 2 << 20},
		{"a bundle may end with the last record it covers", []int64{5, 5, 7}, 7},
		{"the first records of a partition start at offset zero", []int64{0, 0, 1}, 1},
		{"offsets beyond 32 bits survive", []int64{1<<40 + 3, 1<<40 + 9}, 1<<40 + 9},
		{"an empty bundle carries the last offset its batch covers", nil, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Bundle
			var want []bundled
			for i, offset := range tt.offsets {
				ev := evs[i%len(evs)]
				b.Add(offset, KindReceipt, &ev)
				want = append(want, bundled{offset, KindReceipt, ev})
			}
			o := o
			o.Offset = tt.last
			value := b.Seal(o, nil)
			if b.Count() != 0 || b.Len() != 0 {
				t.Fatalf("sealing left %d events in the bundle", b.Count())
			}
			origin, got, err := readAll(value)
			if err != nil || origin != o || !reflect.DeepEqual(got, want) {
				t.Fatalf("origin %+v err %v\n got %+v\nwant %+v", origin, err, got, want)
			}
		})
	}
}

func TestABundleIsReusedAfterSealing(t *testing.T) {
	evs := sample()
	var b Bundle
	b.Add(10, KindReceipt, &evs[1])
	b.Seal(Origin{Topic: "raw", Offset: 10}, nil)
	b.Add(11, KindReaction, &evs[2])
	_, got, err := readAll(b.Seal(Origin{Topic: "raw", Offset: 12}, nil))
	if want := []bundled{{11, KindReaction, evs[2]}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("err %v, got %+v, want only the event added after sealing", err, got)
	}
}

// header is a bundle header with the given covered offset and distance back to the first event.
func header(offset int64, back uint64) []byte {
	b := []byte{bundleVersion, 0, 3, 'r', 'a', 'w', 0, 0}
	b = binary.AppendVarint(b, offset)
	return binary.AppendUvarint(b, back)
}

func TestCorruptBundlesAreRejected(t *testing.T) {
	ev := sample()[1]
	entry := Encode(nil, KindReceipt, &ev)
	// at is one event entry: its offset delta and its length-prefixed encoding.
	at := func(delta uint64) []byte {
		b := binary.AppendUvarint(nil, delta)
		b = binary.AppendUvarint(b, uint64(len(entry)))
		return append(b, entry...)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	var good Bundle
	good.Add(4, KindReceipt, &ev)
	valid := good.Seal(Origin{Topic: "raw", Offset: 5}, nil)
	if _, _, err := readAll(valid); err != nil {
		t.Fatalf("the valid bundle: %v", err)
	}
	tests := []struct {
		name  string
		value []byte
	}{
		{"an empty record is corrupt", nil},
		{"a bundle of a version before 4 is corrupt", append([]byte{bundleVersionV4 - 1}, valid[2:]...)},
		{"a bundle with unknown flags is corrupt", append([]byte{bundleVersion, 2}, valid[2:]...)},
		{"an idle bundle with events is corrupt", append([]byte{bundleVersion, flagIdle}, valid[2:]...)},
		{"an idle bundle before offset -1 is corrupt", append([]byte{bundleVersion, flagIdle}, header(-2, 0)[2:]...)},
		{"a header cut short is corrupt", header(5, 0)[:8]},
		{"a header without the first event's offset is corrupt", header(5, 0)[:9]},
		{"a negative covered offset is corrupt", header(-1, 0)},
		{"a first event before offset zero is corrupt", cat(header(5, 6), at(0))},
		{"an event beyond the covered offset is corrupt", cat(header(5, 0), at(1))},
		{"a later event beyond the covered offset is corrupt", cat(header(5, 2), at(0), at(1), at(2))},
		{"an event offset cut short is corrupt", cat(header(5, 0), []byte{0x80})},
		{"an event without its length is corrupt", cat(header(5, 0), []byte{0})},
		{"an event cut short is corrupt", valid[:len(valid)-1]},
		{"an undecodable event is corrupt", cat(header(5, 0), []byte{0, 4, 9, 9, 9, 9})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := readAll(tt.value); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestMisusingABundlePanics(t *testing.T) {
	ev := sample()[1]
	tests := []struct {
		name string
		use  func(b *Bundle)
	}{
		{"adding an event of an earlier record panics", func(b *Bundle) {
			b.Add(7, KindReceipt, &ev)
			b.Add(6, KindReceipt, &ev)
		}},
		{"sealing before the last event's record panics", func(b *Bundle) {
			b.Add(7, KindReceipt, &ev)
			b.Seal(Origin{Offset: 6}, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			var b Bundle
			tt.use(&b)
		})
	}
}

func TestBundlesAreWrittenAndReadWithoutAllocating(t *testing.T) {
	// Every kind but the reaction set, whose items are one allocation of their own.
	evs := sample()[:5]
	var b Bundle
	var buf []byte
	o := Origin{Topic: "raw", Partition: 3, WatermarkMs: 1_707_836_960_000}
	fill := func() {
		for i := range 64 {
			b.Add(int64(1000+i/3), KindReceipt, &evs[i%len(evs)])
		}
		o.Offset = 1100
		buf = b.Seal(o, buf)
	}
	fill()
	if n := testing.AllocsPerRun(20, fill); n != 0 {
		t.Fatalf("adding and sealing into reused memory made %v allocations", n)
	}
	var ev event.Event
	events := 0
	read := func() {
		if _, err := EachEvent(buf, &ev, func(int64, Kind, *event.Event) { events++ }); err != nil {
			t.Fatal(err)
		}
	}
	// The origin's and every event's strings refer to the bundle itself.
	if n := testing.AllocsPerRun(20, read); n != 0 {
		t.Fatalf("reading a bundle made %v allocations, want none", n)
	}
	if events == 0 {
		t.Fatal("no event read")
	}
	var msg string
	o, err := EachEvent(buf, &ev, func(_ int64, _ Kind, ev *event.Event) {
		if ev.Kind == event.KindReceipt {
			msg = string(ev.Receipt.Msg)
		}
	})
	if err != nil || msg == "" {
		t.Fatalf("no receipt read: %v", err)
	}
	for _, s := range []string{o.Topic, msg} {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		if start := uintptr(unsafe.Pointer(&buf[0])); p < start || p >= start+uintptr(len(buf)) {
			t.Fatalf("%q is a copy, not a part of the bundle", s)
		}
	}
}

// BenchmarkBundleSealEachEvent measures one bundle of 64 events, as a raw batch makes it and a
// partition reads it: adding, sealing into a reused buffer and decoding every event.
func BenchmarkBundleSealEachEvent(b *testing.B) {
	b.ReportAllocs()
	evs := sample()
	var bundle Bundle
	var buf []byte
	var ev event.Event
	o := Origin{Topic: "raw", Partition: 3, WatermarkMs: 1_707_836_960_000, Offset: 1100}
	for b.Loop() {
		for i := range 64 {
			bundle.Add(int64(1000+i/3), KindReceipt, &evs[i%len(evs)])
		}
		buf = bundle.Seal(o, buf)
		n := 0
		if _, err := EachEvent(buf, &ev, func(int64, Kind, *event.Event) { n++ }); err != nil || n != 64 {
			b.Fatalf("%d events, %v", n, err)
		}
	}
}

func TestAnIdleBundleCarriesItsFlagAndNoEvents(t *testing.T) {
	tests := []struct {
		name   string
		origin Origin
	}{
		{"an idle partition that routed records names its last offset", Origin{Topic: "raw", Partition: 2, WatermarkMs: 99, Offset: 41, Idle: true}},
		{"an idle partition that never routed a record names offset -1", Origin{Topic: "raw", Partition: 3, Offset: -1, Idle: true}},
		{"a bundle without the flag is not idle", Origin{Topic: "raw", Partition: 3, WatermarkMs: 7, Offset: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Bundle
			o, got, err := readAll(b.Seal(tt.origin, nil))
			if err != nil || o != tt.origin || len(got) != 0 {
				t.Fatalf("got %+v %v %v, want %+v and no events", o, got, err, tt.origin)
			}
		})
	}
}

func TestABundleOfVersion4IsStillRead(t *testing.T) {
	ev := sample()[1]
	var b Bundle
	b.Add(4, KindReceipt, &ev)
	v5 := b.Seal(Origin{Topic: "raw", Partition: 1, WatermarkMs: 10, Offset: 5}, nil)
	v4 := append([]byte{bundleVersionV4}, v5[2:]...)
	o, got, err := readAll(v4)
	if err != nil || o != (Origin{Topic: "raw", Partition: 1, WatermarkMs: 10, Offset: 5}) || len(got) != 1 || got[0].offset != 4 {
		t.Fatalf("got %+v %+v %v", o, got, err)
	}
}
