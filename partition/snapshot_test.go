package partition

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/sessionize"
)

// step is one bundle: an event, or none, of the raw record at origin.Offset of a raw
// partition, and that partition's watermark after it.
type step struct {
	ev     *event.Event
	origin route.Origin
}

// feed applies every step as a worker applies a bundle, all in this one state: the bundle
// holds the event once for each of its targets.
func feed(t testing.TB, s *State, steps []step) rows.Set {
	t.Helper()
	var out rows.Set
	var b route.Bundle
	var ev event.Event
	for _, st := range steps {
		if st.ev != nil {
			for _, tg := range route.Targets(st.ev, nil) {
				b.Add(st.origin.Offset, tg.Kind, st.ev)
			}
		}
		if _, _, err := s.ApplyBundle(b.Seal(st.origin, nil), &ev, &out); err != nil {
			t.Fatalf("apply a bundle of %+v: %v", st, err)
		}
	}
	return out
}

// rawPartitions are the inputs steps come from, not in the order a snapshot writes them.
var rawPartitions = []route.Origin{{Topic: "raw-b", Partition: 0}, {Topic: "raw-a", Partition: 1}, {Topic: "raw-a", Partition: 0}}

// randomConfig is short enough that joins expire and sessions close within a stream.
func randomConfig(r *rand.Rand) Config {
	gap := time.Duration(5+r.IntN(40)) * time.Second
	return Config{
		Join:     join.Config{TTL: time.Duration(1+r.IntN(3)) * time.Minute},
		Sessions: sessionize.Config{Gap: gap, Lateness: time.Duration(r.Int64N(int64(gap)))},
	}
}

// randomSteps returns up to n steps from the first sources raw partitions, each progressing in
// event time at its own pace, one raw record per step: messages of users, agents and groups,
// replies, receipts, reactions and reaction sets, some before their message, membership
// changes and handovers, events sent again in a new record, records delivered again, and
// bundles without events.
func randomSteps(r *rand.Rand, sources, n int) []step {
	type input struct {
		origin route.Origin
		cursor int64
		pace   int64
	}
	inputs := make([]input, sources)
	for i := range inputs {
		inputs[i] = input{origin: rawPartitions[i], cursor: t0 + r.Int64N(30_000), pace: 1 + r.Int64N(3)}
	}
	ids := 2 + r.IntN(30)
	id := func() string { return fmt.Sprintf("m%d", r.IntN(ids)) }
	target := func() string { return fmt.Sprintf("m%d", r.IntN(ids+ids/4+1)) }
	actor := func(role event.Role) event.Actor {
		return event.Actor{Role: role, ID: event.ActorID(fmt.Sprintf("%s%d", role, r.IntN(4)))}
	}
	steps := make([]step, 0, n)
	for len(steps) < n {
		if len(steps) > 0 && r.IntN(12) == 0 {
			old := steps[r.IntN(len(steps))]
			if r.IntN(2) == 0 {
				// The same raw record again, as an old owner of its raw partition sends it.
				steps = append(steps, old)
				continue
			}
			// The same event in another raw record, as a producer may send it twice.
			in := &inputs[r.IntN(len(inputs))]
			in.origin.Offset++
			steps = append(steps, step{ev: old.ev, origin: in.origin})
			continue
		}
		in := &inputs[r.IntN(len(inputs))]
		in.origin.Offset++
		in.cursor += r.Int64N(8_000 * in.pace)
		at := in.cursor - r.Int64N(15_000)
		in.origin.WatermarkMs = max(in.origin.WatermarkMs, at)
		var ev event.Event
		switch r.IntN(12) {
		case 0:
			steps = append(steps, step{origin: in.origin})
			continue
		case 1, 2:
			ev = msg(id(), at, actor(event.RoleUser), event.Recipient{Type: event.RecipientUser, ID: "agent0"})
		case 3:
			u := actor(event.RoleUser)
			ev = msg(id(), at, actor(event.RoleAgent), event.Recipient{Type: event.RecipientUser, ID: string(u.ID)})
		case 4:
			ev = msg(id(), at, actor(event.RoleUser), event.Recipient{Type: event.RecipientGroup, ID: "g1"})
			ev.Message.Parent = event.MsgID(target())
		case 5, 6:
			ev = event.Event{Kind: event.KindReceipt, Source: event.SourceExpertflow, AtMs: at,
				Receipt: event.Receipt{Msg: event.MsgID(target()), Member: actor(event.RoleUser).ID, Status: event.ReceiptStatus(1 + r.IntN(5))}}
		case 7:
			ev = event.Event{Kind: event.KindReaction, Source: event.SourceExpertflow, AtMs: at,
				Reaction: event.Reaction{Target: event.MsgID(target()), Actor: actor(event.RoleUser), Emoji: "👍", Present: r.IntN(3) > 0}}
		case 8:
			ev = msg(id(), at, actor(event.RoleAgent), event.Recipient{Type: event.RecipientGroup, ID: "g1"})
			ev.Source = event.SourceVoipbin
		case 9:
			ev = event.Event{Kind: event.KindReactionSet, Source: event.SourceVoipbin, AtMs: at,
				Reactions: event.ReactionSet{Target: event.MsgID(target())}}
			for range r.IntN(3) {
				ev.Reactions.Items = append(ev.Reactions.Items, event.ReactionItem{Actor: actor(event.RoleUser), Emoji: []string{"👍", "❤️"}[r.IntN(2)]})
			}
		case 10:
			ev = event.Event{Kind: event.KindMembership, Source: event.SourceExpertflow, AtMs: at,
				Membership: event.Membership{Group: "g1", Action: event.ActionJoin, Member: actor(event.RoleUser)}}
		default:
			ev = event.Event{Kind: event.KindHandover, Source: event.SourceExpertflow, Platform: "web", AtMs: at,
				Handover: event.Handover{ConversationID: "c1", To: event.RoleAgent, User: actor(event.RoleUser).ID}}
		}
		steps = append(steps, step{ev: &ev, origin: in.origin})
	}
	return steps
}

func TestARestoredSnapshotContinuesExactlyAsTheStateItWasTakenOf(t *testing.T) {
	var total Stats
	var waiting, unreported int
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 0x5a05))
		cfg := randomConfig(r)
		sources := 1 + r.IntN(len(rawPartitions))
		steps := randomSteps(r, sources, 1+r.IntN(300))
		split := r.IntN(len(steps) + 1)

		whole := New(cfg, sources)
		want := feed(t, whole, steps)

		first := New(cfg, sources)
		got := feed(t, first, steps[:split])
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
		if restored.Gauges() != first.Gauges() || restored.Stats() != first.Stats() {
			t.Fatalf("seed %d: restored %+v and %+v; took %+v and %+v", seed,
				restored.Gauges(), restored.Stats(), first.Gauges(), first.Stats())
		}
		rest := feed(t, restored, steps[split:])
		got.Append(&rest)

		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("seed %d, split at %d of %d: rows differ\n got %+v\nwant %+v", seed, split, len(steps), got, want)
		}
		if a, b := restored.AppendSnapshot(nil), whole.AppendSnapshot(nil); !bytes.Equal(a, b) {
			t.Fatalf("seed %d, split at %d of %d: final snapshots differ", seed, split, len(steps))
		}
		st := whole.Stats()
		total.Join.Held += st.Join.Held
		total.Join.Expired += st.Join.Expired
		total.Join.Forgotten += st.Join.Forgotten
		total.Join.StaleSnapshots += st.Join.StaleSnapshots
		total.Sessions.Closed += st.Sessions.Closed
		total.Sessions.Late += st.Sessions.Late
		total.Sessions.Merged += st.Sessions.Merged
		total.Join.Duplicates += st.Join.Duplicates
		total.Redelivered += st.Redelivered
		if g := first.Gauges(); g.Early > 0 && g.OpenSessions > 0 {
			waiting++
		}
		if len(first.origins) > 0 && len(first.origins) < first.sources {
			unreported++
		}
	}
	// The streams must take every path and split where state is held, or the property says little.
	if total.Join.Held == 0 || total.Join.Expired == 0 || total.Join.Forgotten == 0 || total.Join.StaleSnapshots == 0 ||
		total.Sessions.Closed == 0 || total.Sessions.Late == 0 || total.Sessions.Merged == 0 || total.Join.Duplicates == 0 ||
		total.Redelivered == 0 || waiting == 0 || unreported == 0 {
		t.Fatalf("the streams missed a path: %+v; split with arrivals and sessions waiting %d times, before every input reported %d times",
			total, waiting, unreported)
	}
}

// normalize makes empty and nil slices compare equal.
func normalize(s rows.Set) rows.Set {
	var n rows.Set
	n.Append(&s)
	return n
}

// goldenState is a small state whose snapshot pins the format.
func goldenState(t testing.TB) *State {
	s := New(DefaultConfig(), 2)
	user := event.Actor{Role: event.RoleUser, ID: "u1"}
	receipt := step{ev: &event.Event{Kind: event.KindReceipt, Source: event.SourceExpertflow, AtMs: t0 + 5,
		Receipt: event.Receipt{Msg: "m0", Member: "u2", Status: event.StatusRead}}, origin: route.Origin{Topic: "raw", WatermarkMs: t0 + 5, Offset: 300}}
	feed(t, s, []step{
		{ev: ptr(msg("m1", t0, user, event.Recipient{Type: event.RecipientUser, ID: "a1"})),
			origin: route.Origin{Topic: "raw", Partition: 1, WatermarkMs: t0, Offset: 7}},
		receipt,
		receipt,
	})
	return s
}

func ptr[T any](v T) *T { return &v }

// goldenV2 is the snapshot of goldenState written by the release before idle raw partitions and
// content hashes; it must still restore.
const goldenV2 = "020280b49fb0b463010203726177008ab49fb0b463ad02037261770280b49fb0b463080000000000000045018090e4c0" +
	"0480b49fb0b46380d5a5d4b4630100000000000000012cbafac48dc6d300c8d87ae84d5d26d200012cef7d831e6cd07e" +
	"7b33b241fda3630901030a0302753200000000000000003a0180dddb01809f4980b49fb0b463a0abd6b0b46301000000" +
	"0000010200037765620275310001000001012cbafac48dc6d300c8d87ae84d5d26d21ae9ad23"

// golden is the snapshot of goldenState. A change of the format without a new version fails
// here: snapshots written by a running release would be misread.
const golden = "030280b49fb0b463010203726177008ab49fb0b463ad0200037261770280b49fb0b4630800000000000000004e028090" +
	"e4c00480b49fb0b46380d5a5d4b463010000000000000000012cbafac48dc6d300c8d87ae84d5d26d2003e5ed6d1c785" +
	"bfc1012cef7d831e6cd07e7b33b241fda3630901030a0302753200000000000000003a0180dddb01809f4980b49fb0b4" +
	"63a0abd6b0b463010000000000010200037765620275310001000001012cbafac48dc6d300c8d87ae84d5d26d294cf05" +
	"8e"

func TestTheSnapshotFormatIsStable(t *testing.T) {
	got := hex.EncodeToString(goldenState(t).AppendSnapshot(nil))
	if got != golden {
		t.Fatalf("snapshot\n got %s\nwant %s", got, golden)
	}
	for _, g := range []string{golden, goldenV2} {
		data, _ := hex.DecodeString(g)
		s, err := RestoreSnapshot(data, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, s)
	}
}

func checkGolden(t *testing.T, s *State) {
	t.Helper()
	if g := s.Gauges(); g != (Gauges{Messages: 1, Early: 1, OpenSessions: 1, WatermarkMs: t0}) {
		t.Fatalf("restored %+v", g)
	}
	if n := s.Stats().Redelivered; n != 1 {
		t.Fatalf("restored %d redelivered events, want 1", n)
	}
}

// withChecksum is body followed by its checksum.
func withChecksum(body []byte) []byte {
	return binary.BigEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli))
}

func TestRestoreRejectsWhatIsNotASnapshot(t *testing.T) {
	valid := goldenState(t).AppendSnapshot(nil)
	body := valid[:len(valid)-4]
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0x10
	// part is a part's length and bytes.
	part := func(b []byte) []byte { return append(binary.BigEndian.AppendUint64(nil, uint64(len(b))), b...) }
	joinPart := join.New(DefaultConfig().Join).AppendSnapshot(nil)
	sessionsPart := sessionize.New(DefaultConfig().Sessions).AppendSnapshot(nil)
	// head is a snapshot's start: version, one source, watermark 0, nothing redelivered.
	head := []byte{snapshotVersion, 1, 0, 0}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	otherTTL := DefaultConfig()
	otherTTL.Join.TTL = time.Hour
	otherGap := DefaultConfig()
	otherGap.Sessions.Gap = time.Minute
	tests := []struct {
		name string
		data []byte
		cfg  Config
		want []error // every error it must match
		text string  // what the error says
	}{
		{"an empty input is rejected", nil, DefaultConfig(), []error{ErrCorruptSnapshot}, "0 bytes"},
		{"a snapshot of another version is rejected", withChecksum([]byte{snapshotVersion + 1, 0, 0, 0}), DefaultConfig(),
			[]error{ErrCorruptSnapshot}, "version 4, want 3"},
		{"a snapshot with a damaged byte is rejected", flipped, DefaultConfig(), []error{ErrCorruptSnapshot}, "checksum"},
		{"a snapshot cut short is rejected", valid[:len(valid)-1], DefaultConfig(), []error{ErrCorruptSnapshot}, "checksum"},
		{"a snapshot with bytes after its checksum is rejected", append(bytes.Clone(valid), 0), DefaultConfig(),
			[]error{ErrCorruptSnapshot}, "checksum"},
		{"bytes after the parts are rejected", withChecksum(append(bytes.Clone(body), 0)), DefaultConfig(),
			[]error{ErrCorruptSnapshot}, "1 trailing bytes"},
		{"origins out of order are rejected",
			withChecksum(cat(head, []byte{2, 1, 'b', 0, 0, 0, 0, 1, 'a', 0, 0, 0, 0}, part(joinPart), part(sessionsPart))), DefaultConfig(),
			[]error{ErrCorruptSnapshot}, "origin 1: out of order"},
		{"a partition beyond 32 bits is rejected",
			withChecksum(cat(head, []byte{1, 1, 'a'}, binary.AppendVarint(nil, 1<<31), []byte{0, 0}, part(joinPart), part(sessionsPart))),
			DefaultConfig(), []error{ErrCorruptSnapshot}, "origin 0: partition 2147483648"},
		{"a next raw offset beyond 63 bits is rejected",
			withChecksum(cat(head, []byte{1, 1, 'a', 0, 0}, binary.AppendUvarint(nil, 1<<63), part(joinPart), part(sessionsPart))),
			DefaultConfig(), []error{ErrCorruptSnapshot}, "origin 0: next offset 9223372036854775808"},
		{"more origins than the bytes left can hold are rejected",
			withChecksum(cat(head, binary.AppendUvarint(nil, 1<<40))), DefaultConfig(), []error{ErrCorruptSnapshot}, "1099511627776 origins"},
		{"a part longer than the bytes left is rejected",
			withChecksum(cat(head, []byte{0}, binary.BigEndian.AppendUint64(nil, 1<<40))), DefaultConfig(),
			[]error{ErrCorruptSnapshot}, "part of 1099511627776 bytes"},
		{"a corrupt join part is rejected as corrupt",
			withChecksum(cat(head, []byte{0}, part(joinPart[:len(joinPart)-1]), part(sessionsPart))), DefaultConfig(),
			[]error{ErrCorruptSnapshot, join.ErrCorruptSnapshot}, "restore join: corrupt snapshot"},
		{"a join taken under another TTL is a change of configuration", valid, otherTTL,
			[]error{ErrConfigChanged, join.ErrConfigChanged}, "restore join: snapshot of another configuration"},
		{"sessions taken under another gap are a change of configuration", valid, otherGap,
			[]error{ErrConfigChanged, sessionize.ErrConfigChanged}, "restore sessions: snapshot of another configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := RestoreSnapshot(tt.data, tt.cfg)
			if s != nil || err == nil || !strings.HasPrefix(err.Error(), "restore partition: ") || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("state %v, error %v; want an error saying %q", s, err, tt.text)
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
		})
	}
}

// FuzzRestoreSnapshot checks that no input makes restoring panic or allocate beyond what the
// input justifies, that every error says why, and that whatever is accepted is exactly the
// snapshot of the state restored and keeps working as state. Each input is tried as it is,
// which the checksum almost always rejects, and as a body with its checksum appended, which
// lets the fuzzer reach the parts.
func FuzzRestoreSnapshot(f *testing.F) {
	cfg := Config{Join: join.Config{TTL: 2 * time.Minute}, Sessions: sessionize.Config{Gap: 20 * time.Second, Lateness: 5 * time.Second}}
	empty := New(cfg, 1).AppendSnapshot(nil)
	f.Add(empty[:len(empty)-4])
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 0xf022))
		sources := 1 + r.IntN(len(rawPartitions))
		s := New(cfg, sources)
		feed(f, s, randomSteps(r, sources, 1+r.IntN(40)))
		snap := s.AppendSnapshot(nil)
		f.Add(snap[:len(snap)-4])
	}
	// later is what a restored state goes on with, moved to its watermark.
	later := randomSteps(rand.New(rand.NewPCG(1, 2)), len(rawPartitions), 30)
	check := func(t *testing.T, data []byte) {
		s, err := RestoreSnapshot(data, cfg)
		if err != nil {
			if s != nil || !errors.Is(err, ErrCorruptSnapshot) && !errors.Is(err, ErrConfigChanged) {
				t.Fatalf("state %v with error %v", s, err)
			}
			return
		}
		// An accepted older version is written again as the current one, which must restore to
		// the same snapshot.
		again := s.AppendSnapshot(nil)
		if len(data) > 0 && data[0] == snapshotVersion && !bytes.Equal(again, data) {
			t.Fatalf("snapshot of the restored state\n got %x\nwant %x", again, data)
		}
		if s2, err := RestoreSnapshot(again, cfg); err != nil || !bytes.Equal(s2.AppendSnapshot(nil), again) {
			t.Fatalf("the restored state's snapshot %x does not restore to itself: %v", again, err)
		}
		// Events must stay valid to travel in a bundle: only a watermark from which the later
		// steps stay within event.MaxAtMs moves them.
		shift := int64(0)
		if wm := s.Gauges().WatermarkMs; wm >= t0 && wm < event.MaxAtMs-24*3600_000 {
			shift = wm - t0
		}
		steps := slices.Clone(later)
		for i := range steps {
			steps[i].origin.WatermarkMs += shift
			if steps[i].ev != nil {
				ev := *steps[i].ev
				ev.AtMs += shift
				steps[i].ev = &ev
			}
		}
		feed(t, s, steps)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		check(t, withChecksum(data))
	})
}
