package route

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

func sample() []event.Event {
	at := int64(1_707_836_960_000)
	return []event.Event{
		{Kind: event.KindMessage, Source: event.SourceCausalFoundry, Platform: "whatsapp", AtMs: at,
			Message: event.Message{ID: "m2", ConversationID: "a:b", Parent: "m1", ContentType: "text",
				Sender: event.Actor{Role: event.RoleBot, ID: "b"}, Recipient: event.Recipient{Type: event.RecipientUser, ID: "a"}}},
		{Kind: event.KindReceipt, Source: event.SourceVoipbin, Tenant: "t1", AtMs: at,
			Receipt: event.Receipt{Msg: "m1", Member: "u", Status: event.StatusRead}},
		{Kind: event.KindReaction, Source: event.SourceCausalFoundry, AtMs: -0 + at,
			Reaction: event.Reaction{Target: "m1", Actor: event.Actor{Role: event.RoleUser, ID: "u"}, Emoji: "🤗", Present: true}},
		{Kind: event.KindMembership, Source: event.SourceExpertflow, AtMs: at,
			Membership: event.Membership{Group: "g", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleAgent, ID: "x"}}},
		{Kind: event.KindHandover, Source: event.SourceChatlayer, AtMs: at,
			Handover: event.Handover{ConversationID: "c", To: event.RoleAgent, User: "u"}},
		{Kind: event.KindReactionSet, Source: event.SourceVoipbin, Tenant: "t1", AtMs: at,
			Reactions: event.ReactionSet{Target: "m1", Items: []event.ReactionItem{
				{Actor: event.Actor{Role: event.RoleAgent, ID: "a1"}, Emoji: "👍", AtMs: at - 5},
				{Actor: event.Actor{Role: event.RoleAgent, ID: "a1"}, Emoji: "❤️"},
			}}},
	}
}

func TestEncodeDecode(t *testing.T) {
	for _, ev := range sample() {
		t.Run("a "+ev.Kind.String()+" survives the internal encoding", func(t *testing.T) {
			var got event.Event
			kind, err := Decode(Encode(nil, KindReceipt, &ev), &got)
			if err != nil {
				t.Fatal(err)
			}
			if kind != KindReceipt || !reflect.DeepEqual(got, ev) {
				t.Fatalf("got %v %+v, want %+v", kind, got, ev)
			}
		})
	}
}

func TestDecodeRejectsCorruptRecords(t *testing.T) {
	ev := sample()[0]
	good := Encode(nil, KindMessage, &ev)
	tests := []struct {
		name  string
		value []byte
	}{
		{"an empty record is corrupt", nil},
		{"a record of another codec version is corrupt", append([]byte{9}, good[1:]...)},
		{"an unknown route kind is corrupt", append([]byte{good[0], 77}, good[2:]...)},
		{"an unknown event kind is corrupt", append([]byte{good[0], good[1], 99}, good[3:]...)},
		{"a truncated record is corrupt", good[:len(good)-3]},
		{"trailing bytes are corrupt", append(append([]byte{}, good...), 0)},
		{"an event that fails validation is corrupt", Encode(nil, KindMessage, &event.Event{Kind: event.KindMessage, Source: event.SourceCausalFoundry, AtMs: 5})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got event.Event
			if _, err := Decode(tt.value, &got); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	evs := sample()
	src := event.SourceCausalFoundry
	tests := []struct {
		name string
		ev   event.Event
		want []Target
	}{
		{"a bot's reply to a user goes to its own partition, its parent's and the user's", evs[0],
			[]Target{{KindMessage, MessageKey(src, "", "m2")}, {KindReply, MessageKey(src, "", "m1")},
				{KindAddressed, UserKey(src, "", "a")}}},
		{"a user's message goes to its own partition and the sender's", userMessage(),
			[]Target{{KindMessage, MessageKey(src, "", "m3")}, {KindActivity, UserKey(src, "", "u9")}}},
		{"a receipt goes to its message's partition", evs[1],
			[]Target{{KindReceipt, MessageKey(event.SourceVoipbin, "t1", "m1")}}},
		{"a reaction goes to its target's partition", evs[2],
			[]Target{{KindReaction, MessageKey(src, "", "m1")}}},
		{"a membership change goes to its group's partition", evs[3],
			[]Target{{KindMembership, GroupKey(event.SourceExpertflow, "", "g")}}},
		{"a handover goes to its conversation's partition", evs[4],
			[]Target{{KindHandover, ConversationKey(event.SourceChatlayer, "", "c")}}},
		{"a reaction set goes to its target's partition", evs[5],
			[]Target{{KindReactionSet, MessageKey(event.SourceVoipbin, "t1", "m1")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Targets(&tt.ev, nil); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	src := event.SourceCausalFoundry
	tests := []struct {
		name string
		a, b Key
	}{
		{"tenants separate equal ids", MessageKey(src, "t1", "m"), MessageKey(src, "t2", "m")},
		{"sources separate equal ids", MessageKey(src, "", "m"), MessageKey(event.SourceVoipbin, "", "m")},
		{"namespaces separate equal ids", MessageKey(src, "", "m"), UserKey(src, "", "m")},
		{"the boundary between tenant and id matters", MessageKey(src, "ab", "c"), MessageKey(src, "a", "bc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.a == tt.b {
				t.Fatalf("keys collide: %v", tt.a)
			}
		})
	}
	// Ownership must never change between releases: a changed hash would send a message's
	// receipts to a partition that does not hold it.
	if got := MessageKey(src, "", "3c6b469b-ef05-492d-988c-add03cf260de").Partition(12); got != 6 {
		t.Fatalf("partition of a pinned key changed to %d", got)
	}
}

func TestPartitionsSpreadEvenly(t *testing.T) {
	const n, keys = 12, 120_000
	var counts [n]int
	for i := range keys {
		id := event.MsgID([]byte{byte(i), byte(i >> 8), byte(i >> 16), 'x'})
		counts[MessageKey(event.SourceCausalFoundry, "", id).Partition(n)]++
	}
	for p, c := range counts {
		if c < keys/n*9/10 || c > keys/n*11/10 {
			t.Fatalf("partition %d got %d of %d keys: %v", p, c, keys, counts)
		}
	}
}

func BenchmarkMessageKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		MessageKey(event.SourceCausalFoundry, "tenant", "3c6b469b-ef05-492d-988c-add03cf260de")
	}
}

func BenchmarkEncodeDecode(b *testing.B) {
	b.ReportAllocs()
	ev := sample()[0]
	var buf []byte
	var got event.Event
	for b.Loop() {
		buf = Encode(buf[:0], KindMessage, &ev)
		if _, err := Decode(buf, &got); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLengthsClaimingMoreThanTheRecordAreCorrupt(t *testing.T) {
	huge := binary.AppendUvarint(nil, 1<<30)
	tests := []struct {
		name  string
		value []byte
	}{
		{"a string claiming a gigabyte is corrupt",
			append([]byte{codecVersion, byte(KindReceipt), byte(event.KindReceipt), byte(event.SourceCausalFoundry), 2}, huge...)},
		{"a reaction set claiming a billion items is corrupt",
			append([]byte{codecVersion, byte(KindReactionSet), byte(event.KindReactionSet), byte(event.SourceVoipbin), 2, 0, 0, 1, 'm'},
				binary.AppendUvarint(nil, 1<<30)...)},
		{"a bundle entry claiming a gigabyte is corrupt", append([]byte{bundleVersion, 0, 1, 't', 0, 0, 0, 0, 0}, huge...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev event.Event
			allocs := testing.AllocsPerRun(10, func() {
				var err error
				if tt.value[0] == bundleVersion {
					_, err = EachEvent(tt.value, &ev, func(int64, Kind, *event.Event) {})
				} else {
					_, err = Decode(tt.value, &ev)
				}
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("err = %v, want ErrCorrupt", err)
				}
			})
			// The record itself and the error are allocated; nothing of the claimed size is.
			if allocs > 8 {
				t.Fatalf("%v allocations for a %d-byte record", allocs, len(tt.value))
			}
		})
	}
}

func userMessage() event.Event {
	return event.Event{Kind: event.KindMessage, Source: event.SourceCausalFoundry, Platform: "web", AtMs: 1_707_836_960_000,
		Message: event.Message{ID: "m3", ConversationID: "g", ContentType: "text",
			Sender: event.Actor{Role: event.RoleUser, ID: "u9"}, Recipient: event.Recipient{Type: event.RecipientUser, ID: "b1"}}}
}
