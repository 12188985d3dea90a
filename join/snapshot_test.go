package join

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/wire"
)

// randomEvents returns a configuration and events over a few message ids and many TTLs of
// event time: messages, duplicates and replies; receipts and reactions before and after their
// message, some of messages that never come, some earlier than their message; reaction sets,
// some stale. Event times jitter behind a cursor, so arrivals are out of order.
func randomEvents(r *rand.Rand) (Config, []event.Event) {
	cfg := Config{TTL: time.Duration(1+r.IntN(4)) * time.Minute}
	ttl := cfg.TTL.Milliseconds()
	ids := 2 + r.IntN(30)
	sent := func() string { return fmt.Sprintf("m%d", r.IntN(ids)) }
	// Some targets are ids no message has.
	target := func() string { return fmt.Sprintf("m%d", r.IntN(ids+ids/4+1)) }
	actor := func() string { return fmt.Sprintf("u%d", r.IntN(4)) }
	emoji := func() string { return []string{"👍", "❤️", "😊"}[r.IntN(3)] }
	n := 1 + r.IntN(250)
	evs := make([]event.Event, 0, n)
	now := t0
	for len(evs) < n {
		if len(evs) > 0 && r.IntN(12) == 0 {
			evs = append(evs, evs[r.IntN(len(evs))])
			continue
		}
		now += r.Int64N(ttl / 10)
		at := now - r.Int64N(ttl/4)
		switch r.IntN(9) {
		case 0, 1:
			evs = append(evs, msg(sent(), at, ""))
		case 2:
			evs = append(evs, msg(sent(), at, target()))
		case 3, 4:
			evs = append(evs, receipt(target(), actor(), event.ReceiptStatus(1+r.IntN(5)), at))
		case 5:
			ev := reaction(target(), actor(), emoji(), at)
			ev.Reaction.Present = r.IntN(3) > 0
			evs = append(evs, ev)
		case 6:
			evs = append(evs, vbMsg(sent(), at))
		default:
			var pairs []string
			for range r.IntN(4) {
				pairs = append(pairs, actor(), emoji())
			}
			evs = append(evs, set(target(), at, pairs...))
		}
	}
	return cfg, evs
}

func TestARestoredSnapshotContinuesExactlyAsTheStateItWasTakenOf(t *testing.T) {
	var total Stats
	var early, sets int
	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 0x5a05))
		cfg, evs := randomEvents(r)
		split := r.IntN(len(evs) + 1)

		whole := New(cfg)
		want := apply(whole, evs...)

		first := New(cfg)
		got := apply(first, evs[:split]...)
		snap := first.AppendSnapshot(nil)
		if again := first.AppendSnapshot(nil); !bytes.Equal(again, snap) {
			t.Fatalf("seed %d: two snapshots of one state differ", seed)
		}
		restored, err := RestoreSnapshot(snap, cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if again := restored.AppendSnapshot(nil); !bytes.Equal(again, snap) {
			t.Fatalf("seed %d: the restored state's snapshot differs from the one it was restored from", seed)
		}
		if restored.Messages() != first.Messages() || restored.Early() != first.Early() || restored.Stats() != first.Stats() {
			t.Fatalf("seed %d: restored %d messages, %d early, %+v; took %d, %d, %+v", seed,
				restored.Messages(), restored.Early(), restored.Stats(), first.Messages(), first.Early(), first.Stats())
		}
		rest := apply(restored, evs[split:]...)
		got.Append(&rest)

		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("seed %d, split at %d of %d: rows differ\n got %+v\nwant %+v", seed, split, len(evs), got, want)
		}
		if a, b := restored.AppendSnapshot(nil), whole.AppendSnapshot(nil); !bytes.Equal(a, b) {
			t.Fatalf("seed %d, split at %d of %d: final snapshots differ", seed, split, len(evs))
		}
		st := whole.Stats()
		total.Held += st.Held
		total.Expired += st.Expired
		total.Forgotten += st.Forgotten
		total.StaleSnapshots += st.StaleSnapshots
		total.NegativeLatency += st.NegativeLatency
		total.Duplicates += st.Duplicates
		if first.Early() > 0 {
			early++
		}
		if len(first.sets) > 0 {
			sets++
		}
	}
	// The streams must take every path and split where state is held, or the property says little.
	if total.Held == 0 || total.Expired == 0 || total.Forgotten == 0 || total.StaleSnapshots == 0 ||
		total.NegativeLatency == 0 || total.Duplicates == 0 || early == 0 || sets == 0 {
		t.Fatalf("the streams missed a path: %+v; split with early arrivals %d times, with reaction sets %d times",
			total, early, sets)
	}
}

// handmade writes a snapshot field by field, to reach bytes AppendSnapshot never writes: a
// byte is written as is, a uint64 as a uvarint, an int64 as a varint, a string with its length.
func handmade(fields ...any) []byte {
	var b []byte
	for _, f := range fields {
		switch v := f.(type) {
		case byte:
			b = append(b, v)
		case []byte:
			b = append(b, v...)
		case uint64:
			b = binary.AppendUvarint(b, v)
		case int64:
			b = binary.AppendVarint(b, v)
		case string:
			b = wire.AppendString(b, v)
		case route.Key:
			b = v.AppendBinary(b)
		default:
			panic(fmt.Sprintf("handmade: %T", f))
		}
	}
	return b
}

// header is the start of a snapshot under the default configuration, watermark at t0 and no
// counts, up to the sent messages.
func header() []any {
	h := []any{snapshotVersion, DefaultConfig().TTL.Milliseconds(), t0, int64(0)}
	for range 9 {
		h = append(h, uint64(0))
	}
	return h
}

func TestRestoreRejectsWhatIsNotASnapshot(t *testing.T) {
	k1, k2 := route.Key{Hi: 1, Lo: 9}, route.Key{Hi: 2, Lo: 1}
	with := func(fields ...any) []byte { return handmade(append(header(), fields...)...) }
	none := uint64(0)
	h0 := make([]byte, 8) // a content hash
	tests := []struct {
		name string
		data []byte
		want error  // nil for a snapshot that is valid
		text string // what the error says
	}{
		{"a handmade snapshot of a message, an early arrival and a reaction set is valid",
			with(uint64(1), k1, int64(0), h0, uint64(1), k2, uint64(1), byte(route.KindReply), int64(5), "m9",
				uint64(1), k2, int64(-5), byte(0), uint64(1), "u1", "👍"), nil, ""},
		{"an empty input is rejected", nil, ErrCorruptSnapshot, "header: truncated"},
		{"a snapshot of another version is rejected", []byte{snapshotVersion + 1}, ErrCorruptSnapshot, "version 3, want 2"},
		{"a snapshot taken under another TTL is a change of configuration",
			handmade(snapshotVersion, int64(3600_000)), ErrConfigChanged, "TTL 1h0m0s, configured 168h0m0s"},
		{"messages out of key order are rejected", with(uint64(2), k2, int64(0), h0, k1, int64(0), h0, none, none),
			ErrCorruptSnapshot, "sent message 1: keys out of order"},
		{"a message listed twice is rejected", with(uint64(2), k1, int64(0), h0, k1, int64(0), h0, none, none),
			ErrCorruptSnapshot, "sent message 1: keys out of order"},
		{"a count beyond the bytes left is rejected before anything is allocated", with(uint64(1) << 62),
			ErrCorruptSnapshot, "4611686018427387904 items in 0 bytes"},
		{"a varint longer than it needs to be is rejected", with([]byte{0x80, 0x00}, none, none),
			ErrCorruptSnapshot, "malformed varint"},
		{"an early arrival of a kind that never waits is rejected",
			with(none, uint64(1), k1, uint64(1), byte(route.KindMessage), int64(0), "m1", none),
			ErrCorruptSnapshot, "early arrivals 0: arrival of kind 1"},
		{"a receipt of an unknown status is rejected",
			with(none, uint64(1), k1, uint64(1), byte(route.KindReceipt), int64(0), byte(9), "u1", none),
			ErrCorruptSnapshot, "early arrivals 0: receipt status 9"},
		{"a message without early arrivals in the early arrivals is rejected",
			with(none, uint64(1), k1, none, uint64(1), k2, int64(0), byte(0), none),
			ErrCorruptSnapshot, "early arrivals 0: no arrivals"},
		{"arrivals waiting for a message already held are rejected",
			with(uint64(1), k1, int64(0), h0, uint64(1), k1, uint64(1), byte(route.KindReply), int64(0), "m2", none),
			ErrCorruptSnapshot, "early arrivals 0: arrivals wait for a message already held"},
		{"a flag other than 0 or 1 is rejected", with(none, none, uint64(1), k1, int64(0), byte(2), none),
			ErrCorruptSnapshot, "reaction set 0: flag 2"},
		{"a reaction listed twice in a set is rejected",
			with(none, none, uint64(1), k1, int64(0), byte(0), uint64(2), "u1", "👍", "u1", "👍"),
			ErrCorruptSnapshot, "reaction set 0: a reaction listed twice"},
		{"a set of more reactions than an event may carry is rejected",
			with(none, none, uint64(1), k1, int64(0), byte(0), uint64(event.MaxReactionItems+1),
				bytes.Repeat([]byte{0, 0}, event.MaxReactionItems+1)),
			ErrCorruptSnapshot, "reaction set 0: 1001 reactions, more than 1000"},
		{"unwritten reactions of a message already held are rejected",
			with(uint64(1), k1, int64(0), h0, none, uint64(1), k1, int64(0), byte(0), none),
			ErrCorruptSnapshot, "reaction set 0: reactions of a held message not written"},
		{"trailing bytes are rejected", with(none, none, none, byte(0)), ErrCorruptSnapshot, "1 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := RestoreSnapshot(tt.data, DefaultConfig())
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if again := s.AppendSnapshot(nil); !bytes.Equal(again, tt.data) {
					t.Fatalf("snapshot of the restored state\n got %x\nwant %x", again, tt.data)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "restore join: ") || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %v, want %v saying %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestEverySnapshotCutShortIsRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 0x5a05))
	cfg, evs := randomEvents(r)
	s := New(cfg)
	apply(s, evs[:len(evs)*2/3]...)
	snap := s.AppendSnapshot(nil)
	if s.Messages() == 0 || s.Early() == 0 {
		t.Fatalf("the state holds %d messages and %d early arrivals; want some of both", s.Messages(), s.Early())
	}
	for n := range len(snap) {
		if _, err := RestoreSnapshot(snap[:n], cfg); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("the first %d of %d bytes: error %v, want a corrupt snapshot", n, len(snap), err)
		}
	}
}

// FuzzRestoreSnapshot checks that no input makes restoring panic or allocate beyond what the
// input justifies, that every error says why, and that whatever is accepted is exactly the
// snapshot of the state restored (in the current version: an accepted older version is written
// again as the current one, which must restore to the same snapshot) and keeps working as state.
func FuzzRestoreSnapshot(f *testing.F) {
	cfg := Config{TTL: 2 * time.Minute}
	f.Add(New(cfg).AppendSnapshot(nil))
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 0xf022))
		_, evs := randomEvents(r)
		s := New(cfg)
		apply(s, evs[:r.IntN(min(len(evs), 40)+1)]...)
		f.Add(s.AppendSnapshot(nil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := RestoreSnapshot(data, cfg)
		if err != nil {
			if s != nil || !errors.Is(err, ErrCorruptSnapshot) && !errors.Is(err, ErrConfigChanged) {
				t.Fatalf("state %v with error %v", s, err)
			}
			return
		}
		again := s.AppendSnapshot(nil)
		if len(data) > 0 && data[0] == snapshotVersion && !bytes.Equal(again, data) {
			t.Fatalf("snapshot of the restored state\n got %x\nwant %x", again, data)
		}
		if s2, err := RestoreSnapshot(again, cfg); err != nil || !bytes.Equal(s2.AppendSnapshot(nil), again) {
			t.Fatalf("the restored state's snapshot %x does not restore to itself: %v", again, err)
		}
		later := s.Watermark() + cfg.TTL.Milliseconds()
		apply(s, msg("m1", later, "m2"), receipt("m3", "u1", event.StatusRead, later),
			vbMsg("m1", later), set("m1", later+1, "u1", "👍"), msg("m3", later+3*cfg.TTL.Milliseconds(), ""))
	})
}

// millionMessages is join state holding a million messages sent over one default TTL, as a
// partition's state at its largest, watermark at the last of them.
func millionMessages(b *testing.B) (*State, int) {
	const n = 1_000_000
	cfg := DefaultConfig()
	step := cfg.TTL.Milliseconds() / n
	s := New(cfg)
	var out rows.Set
	for i := range n {
		ev := msg(fmt.Sprintf("3c6b469b-ef05-492d-988c-%012d", i), t0+int64(i)*step, "")
		s.Apply(route.KindMessage, &ev, &out)
		out.Reset()
	}
	s.Advance(t0 + (n-1)*step)
	if s.Messages() != n {
		b.Fatalf("%d messages held, want %d", s.Messages(), n)
	}
	return s, n
}

func BenchmarkRestoreMillionMessages(b *testing.B) {
	b.ReportAllocs()
	s, n := millionMessages(b)
	snap := s.AppendSnapshot(nil)
	for b.Loop() {
		restored, err := RestoreSnapshot(snap, DefaultConfig())
		if err != nil || restored.Messages() != n {
			b.Fatalf("restored %v, %v", restored, err)
		}
	}
	b.ReportMetric(float64(len(snap)), "snapshot-bytes")
	b.ReportMetric(float64(len(snap))/float64(n), "bytes/message")
}

func BenchmarkAppendSnapshotMillionMessages(b *testing.B) {
	b.ReportAllocs()
	s, n := millionMessages(b)
	var snap []byte
	for b.Loop() {
		snap = s.AppendSnapshot(snap[:0])
	}
	b.ReportMetric(float64(len(snap))/float64(n), "bytes/message")
}

func TestASnapshotOfVersion1IsRestoredWithoutContentHashes(t *testing.T) {
	k1 := route.Key{Hi: 1, Lo: 9}
	h := []any{snapshotVersionV1, DefaultConfig().TTL.Milliseconds(), t0, int64(0)}
	for range 8 {
		h = append(h, uint64(1))
	}
	s, err := RestoreSnapshot(handmade(append(h, uint64(1), k1, int64(-3), uint64(0), uint64(0))...), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.sent.get(k1); got != (rank{atMs: t0 - 3}) {
		t.Fatalf("held %+v, want time %d and hash 0", got, t0-3)
	}
	if st := s.Stats(); st.Messages != 1 || st.StaleSnapshots != 1 || st.Superseded != 0 {
		t.Fatalf("stats %+v", st)
	}
}
