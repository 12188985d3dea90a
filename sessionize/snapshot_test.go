package sessionize

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
	"github.com/chatpulse/chatpulse/wire"
)

func TestARestoredSnapshotContinuesExactlyAsTheStateItWasTakenOf(t *testing.T) {
	var total Stats
	var closedUsers, largeSets int
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 0x5a05))
		cfg, acts := randomStream(r)
		// Twice the allowed lateness, so that some activities are late too.
		order := shuffledWithin(r, acts, 2*cfg.Lateness+cfg.Gap)
		split := r.IntN(len(order) + 1)

		whole, want := run(cfg, order)

		first, got := run(cfg, order[:split])
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
		if restored.Open() != first.Open() || restored.Stats() != first.Stats() {
			t.Fatalf("seed %d: restored %d open sessions and %+v; took %d and %+v", seed,
				restored.Open(), restored.Stats(), first.Open(), first.Stats())
		}
		got = append(got, applyAll(restored, order[split:]...)...)

		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d, split at %d of %d: rows differ\n got %+v\nwant %+v", seed, split, len(order), got, want)
		}
		if a, b := restored.AppendSnapshot(nil), whole.AppendSnapshot(nil); !bytes.Equal(a, b) {
			t.Fatalf("seed %d, split at %d of %d: final snapshots differ", seed, split, len(order))
		}
		st := whole.Stats()
		total.Merged += st.Merged
		total.ExtendedBack += st.ExtendedBack
		total.Closed += st.Closed
		total.Late += st.Late
		total.Duplicates += st.Duplicates
		for _, u := range first.users {
			if u.closed {
				closedUsers++
			}
			for i := range u.open {
				if u.open[i].msgs.large != nil {
					largeSets++
				}
			}
		}
	}
	// The streams must take every path and split where state is held, or the property says little.
	if total.Merged == 0 || total.ExtendedBack == 0 || total.Closed == 0 || total.Late == 0 || total.Duplicates == 0 ||
		closedUsers == 0 || largeSets == 0 {
		t.Fatalf("the streams missed a path: %+v; split with %d closed users and %d message maps", total, closedUsers, largeSets)
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
// counts, up to the users.
func header() []any {
	cfg := DefaultConfig()
	h := []any{snapshotVersion, cfg.Gap.Milliseconds(), cfg.Lateness.Milliseconds(), t0, int64(0)}
	for range 6 {
		h = append(h, uint64(0))
	}
	return h
}

func TestRestoreRejectsWhatIsNotASnapshot(t *testing.T) {
	k1, k2, k3 := route.Key{Hi: 1, Lo: 9}, route.Key{Hi: 2, Lo: 1}, route.Key{Hi: 3}
	gap := DefaultConfig().Gap.Milliseconds()
	with := func(fields ...any) []byte { return handmade(append(header(), fields...)...) }
	// alice and bob are users as a snapshot writes them, up to their closed flag.
	alice := []any{byte(event.SourceCausalFoundry), "t1", "whatsapp", "alice"}
	bob := []any{byte(event.SourceCausalFoundry), "t1", "whatsapp", "bob"}
	open := byte(0)
	one := uint64(1)
	// session is one session of the message keys given, starting at the watermark.
	session := func(start int64, length, own uint64, keys ...any) []any {
		return append([]any{start, length, own, uint64(len(keys))}, keys...)
	}
	user := func(u []any, rest ...any) []any { return append(append([]any{}, u...), rest...) }
	join := func(parts ...[]any) []any {
		var all []any
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	tests := []struct {
		name string
		data []byte
		want error  // nil for a snapshot that is valid
		text string // what the error says
	}{
		{"a handmade snapshot of a closed and an open user is valid",
			with(join([]any{uint64(2)}, user(alice, byte(1), int64(-gap-1), uint64(0)),
				user(bob, open, uint64(2)), session(0, 5, 1, k1, k2), session(gap+6, 0, 0, k3))...), nil, ""},
		{"an empty input is rejected", nil, ErrCorruptSnapshot, "header: truncated"},
		{"a snapshot of another version is rejected", []byte{snapshotVersion + 1}, ErrCorruptSnapshot, "version 2, want 1"},
		{"a snapshot taken under another gap is a change of configuration",
			handmade(snapshotVersion, int64(60_000), int64(600_000)), ErrConfigChanged,
			"gap 1m0s and lateness 10m0s, configured 30m0s and 10m0s"},
		{"a snapshot taken under another lateness is a change of configuration",
			handmade(snapshotVersion, gap, int64(0)), ErrConfigChanged, "gap 30m0s and lateness 0s, configured 30m0s and 10m0s"},
		{"users out of order are rejected",
			with(join([]any{uint64(2)}, user(bob, open, one), session(0, 0, 0, k1), user(alice, open, one), session(0, 0, 0, k1))...),
			ErrCorruptSnapshot, "user 1: users out of order"},
		{"a user listed twice is rejected",
			with(join([]any{uint64(2)}, user(bob, open, one), session(0, 0, 0, k1), user(bob, open, one), session(0, 0, 0, k2))...),
			ErrCorruptSnapshot, "user 1: users out of order"},
		{"a user of an unknown source is rejected",
			with(join([]any{one, byte(9), "t1", "whatsapp", "alice", open, one}, session(0, 0, 0, k1))...),
			ErrCorruptSnapshot, "user 0: source 9"},
		{"a user with neither open sessions nor a closed one is rejected",
			with(join([]any{one}, user(alice, open, uint64(0)))...),
			ErrCorruptSnapshot, "user 0: neither open sessions nor a closed one"},
		{"a session without messages is rejected",
			with(join([]any{one}, user(alice, open, one), session(0, 0, 0), []any{"padding for the count"})...),
			ErrCorruptSnapshot, "user 0: a session without messages"},
		{"message keys out of order are rejected",
			with(join([]any{one}, user(alice, open, one), session(0, 0, 0, k2, k1))...),
			ErrCorruptSnapshot, "user 0: message keys out of order"},
		{"a message listed twice in a session is rejected",
			with(join([]any{one}, user(alice, open, one), session(0, 0, 0, k1, k1))...),
			ErrCorruptSnapshot, "user 0: message keys out of order"},
		{"more own messages than messages are rejected",
			with(join([]any{one}, user(alice, open, one), session(0, 0, 2, k1))...),
			ErrCorruptSnapshot, "user 0: session 0: 2 own messages of 1"},
		{"sessions within the gap of each other are rejected",
			with(join([]any{one}, user(alice, open, uint64(2)), session(0, 5, 0, k1), session(gap+5, 0, 0, k2))...),
			ErrCorruptSnapshot, "user 0: session 1 within the gap of the previous one"},
		{"a session within the gap of the closed end is rejected",
			with(join([]any{one}, user(alice, byte(1), int64(-gap), one), session(0, 0, 0, k1))...),
			ErrCorruptSnapshot, "user 0: a session within the gap of the closed end"},
		{"a closed flag other than 0 or 1 is rejected",
			with(join([]any{one}, user(alice, byte(2), int64(0), one), session(0, 0, 0, k1))...),
			ErrCorruptSnapshot, "user 0: flag 2"},
		{"a count beyond the bytes left is rejected before anything is allocated", with(uint64(1) << 62),
			ErrCorruptSnapshot, "users: 4611686018427387904 items in 0 bytes"},
		{"a varint longer than it needs to be is rejected", with([]byte{0x80, 0x00}),
			ErrCorruptSnapshot, "users: malformed varint"},
		{"trailing bytes are rejected", with(uint64(0), byte(0)), ErrCorruptSnapshot, "1 trailing bytes"},
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
			if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "restore sessions: ") || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %v, want %v saying %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestEverySnapshotCutShortIsRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 0x5a05))
	cfg, acts := randomStream(r)
	s, _ := run(cfg, acts[:len(acts)*2/3])
	snap := s.AppendSnapshot(nil)
	if s.Open() == 0 {
		t.Fatal("the state holds no open session")
	}
	for n := range len(snap) {
		if _, err := RestoreSnapshot(snap[:n], cfg); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("the first %d of %d bytes: error %v, want a corrupt snapshot", n, len(snap), err)
		}
	}
}

// FuzzRestoreSnapshot checks that no input makes restoring panic or allocate beyond what the
// input justifies, that every error says why, and that whatever is accepted is exactly the
// snapshot of the state restored and keeps working as state.
func FuzzRestoreSnapshot(f *testing.F) {
	cfg := Config{Gap: time.Minute, Lateness: 20 * time.Second}
	f.Add(New(cfg).AppendSnapshot(nil))
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 0xf022))
		_, acts := randomStream(r)
		s, _ := run(cfg, acts[:r.IntN(min(len(acts), 40)+1)])
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
		if again := s.AppendSnapshot(nil); !bytes.Equal(again, data) {
			t.Fatalf("snapshot of the restored state\n got %x\nwant %x", again, data)
		}
		wm, gap := s.Watermark(), cfg.Gap.Milliseconds()
		for i, u := range streamUsers {
			applyAll(s, Activity{User: u, AtMs: wm + int64(i), Msg: route.Key{Hi: 1, Lo: uint64(i)}, Own: true},
				Activity{User: u, AtMs: wm - gap/2, Msg: route.Key{Hi: 2, Lo: uint64(i)}})
		}
		applyAll(s, Activity{User: streamUsers[0], AtMs: wm + 10*gap, Msg: route.Key{Hi: 3}})
	})
}
