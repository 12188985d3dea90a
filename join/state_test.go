package join

import (
	"reflect"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

const t0 = int64(1_707_836_960_000) // 2024-02-13 15:09:20Z

func msg(id string, at int64, parent string) event.Event {
	return event.Event{
		Kind: event.KindMessage, Source: event.SourceCausalFoundry, Platform: "whatsapp", AtMs: at,
		Message: event.Message{
			ID: event.MsgID(id), ConversationID: "g1", Parent: event.MsgID(parent), ContentType: "text",
			Sender:    event.Actor{Role: event.RoleUser, ID: "u1"},
			Recipient: event.Recipient{Type: event.RecipientGroup, ID: "g1"},
		},
	}
}

func receipt(id, member string, st event.ReceiptStatus, at int64) event.Event {
	return event.Event{Kind: event.KindReceipt, Source: event.SourceCausalFoundry, AtMs: at,
		Receipt: event.Receipt{Msg: event.MsgID(id), Member: event.ActorID(member), Status: st}}
}

func reaction(target, actor, emoji string, at int64) event.Event {
	return event.Event{Kind: event.KindReaction, Source: event.SourceCausalFoundry, AtMs: at,
		Reaction: event.Reaction{Target: event.MsgID(target), Actor: event.Actor{Role: event.RoleUser, ID: event.ActorID(actor)}, Emoji: emoji, Present: true}}
}

// apply sends every event where route.Targets says, all to this one state, and moves the
// watermark to each event's time, as a partition fed by a single input does.
func apply(s *State, evs ...event.Event) rows.Set {
	var out rows.Set
	for i := range evs {
		for _, t := range route.Targets(&evs[i], nil) {
			s.Apply(t.Kind, &evs[i], &out)
		}
		s.Advance(evs[i].AtMs)
	}
	return out
}

func messageRow(id string, at int64, parent string) rows.Message {
	ev := msg(id, at, parent)
	return rows.Message{Source: "causalfoundry", Platform: "whatsapp", MsgID: id, ConversationID: "g1",
		SenderType: "user", SenderID: "u1", RecipientType: "group", RecipientID: "g1",
		ParentMsgID: parent, ContentType: "text", SentAtMs: at, ContentHash: ContentHash(&ev)}
}

// receiptRow is a receipt of a message sent at t0, as every message receipts join to here is.
func receiptRow(id, member, status string, at, latency int64) rows.Receipt {
	return rows.Receipt{Source: "causalfoundry", MsgID: id, MemberID: member, Status: status, AtMs: at, LatencyMs: latency, MsgSentAtMs: t0}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name   string
		events []event.Event
		want   rows.Set
		stats  Stats
	}{
		{
			name:   "a message yields its row once",
			events: []event.Event{msg("m1", t0, "")},
			want:   rows.Set{Messages: []rows.Message{messageRow("m1", t0, "")}},
			stats:  Stats{Messages: 1},
		},
		{
			name:   "a duplicate message changes nothing",
			events: []event.Event{msg("m1", t0, ""), msg("m1", t0, "")},
			want:   rows.Set{Messages: []rows.Message{messageRow("m1", t0, "")}},
			stats:  Stats{Messages: 1, Duplicates: 1},
		},
		{
			name:   "a receipt after its message is joined with its latency",
			events: []event.Event{msg("m1", t0, ""), receipt("m1", "u2", event.StatusRead, t0+1500)},
			want: rows.Set{
				Messages: []rows.Message{messageRow("m1", t0, "")},
				Receipts: []rows.Receipt{receiptRow("m1", "u2", "read", t0+1500, 1500)},
			},
			stats: Stats{Messages: 1, Joined: 1},
		},
		{
			name:   "a receipt before its message is held and joined when the message comes",
			events: []event.Event{receipt("m1", "u2", event.StatusDelivered, t0+200), msg("m1", t0, "")},
			want: rows.Set{
				Messages: []rows.Message{messageRow("m1", t0, "")},
				Receipts: []rows.Receipt{receiptRow("m1", "u2", "delivered", t0+200, 200)},
			},
			stats: Stats{Messages: 1, Joined: 1, Held: 1},
		},
		{
			name:   "a receipt earlier than its message stores latency 0 and is counted",
			events: []event.Event{msg("m1", t0, ""), receipt("m1", "", event.StatusSent, t0-50)},
			want: rows.Set{
				Messages: []rows.Message{messageRow("m1", t0, "")},
				Receipts: []rows.Receipt{receiptRow("m1", "", "sent", t0-50, 0)},
			},
			stats: Stats{Messages: 1, Joined: 1, NegativeLatency: 1},
		},
		{
			name:   "a reply is a message of its own and a reply row at its parent",
			events: []event.Event{msg("m1", t0, ""), msg("m2", t0+9000, "m1")},
			want: rows.Set{
				Messages: []rows.Message{messageRow("m1", t0, ""), messageRow("m2", t0+9000, "m1")},
				Replies:  []rows.Reply{{Source: "causalfoundry", ParentMsgID: "m1", ReplyMsgID: "m2", ReplyAtMs: t0 + 9000, LatencyMs: 9000, MsgSentAtMs: t0}},
			},
			stats: Stats{Messages: 2, Joined: 1},
		},
		{
			name:   "a reply before its parent waits for the parent",
			events: []event.Event{msg("m2", t0+9000, "m1"), msg("m1", t0, "")},
			want: rows.Set{
				Messages: []rows.Message{messageRow("m2", t0+9000, "m1"), messageRow("m1", t0, "")},
				Replies:  []rows.Reply{{Source: "causalfoundry", ParentMsgID: "m1", ReplyMsgID: "m2", ReplyAtMs: t0 + 9000, LatencyMs: 9000, MsgSentAtMs: t0}},
			},
			stats: Stats{Messages: 2, Joined: 1, Held: 1},
		},
		{
			name:   "a reaction is joined to its target",
			events: []event.Event{reaction("m1", "u3", "🤗", t0+10), msg("m1", t0, "")},
			want: rows.Set{
				Messages:  []rows.Message{messageRow("m1", t0, "")},
				Reactions: []rows.Reaction{{Source: "causalfoundry", TargetMsgID: "m1", ActorID: "u3", Emoji: "🤗", AtMs: t0 + 10, Present: true, MsgSentAtMs: t0}},
			},
			stats: Stats{Messages: 1, Joined: 1, Held: 1},
		},
		{
			name: "a receipt whose message never comes expires after the TTL and is counted",
			events: []event.Event{
				receipt("gone", "u2", event.StatusRead, t0),
				msg("m1", t0+8*24*3600*1000, ""),
				msg("m2", t0+9*24*3600*1000, ""),
			},
			want:  rows.Set{Messages: []rows.Message{messageRow("m1", t0+8*24*3600*1000, ""), messageRow("m2", t0+9*24*3600*1000, "")}},
			stats: Stats{Messages: 2, Expired: 1},
		},
		{
			name: "a message is forgotten after the TTL and a late receipt waits for it in vain",
			events: []event.Event{
				msg("m1", t0, ""),
				msg("m2", t0+time.Hour.Milliseconds(), ""),
				msg("m3", t0+8*24*3600*1000, ""),
				receipt("m1", "u2", event.StatusRead, t0+8*24*3600*1000),
			},
			want: rows.Set{Messages: []rows.Message{
				messageRow("m1", t0, ""), messageRow("m2", t0+time.Hour.Milliseconds(), ""), messageRow("m3", t0+8*24*3600*1000, ""),
			}},
			stats: Stats{Messages: 3, Forgotten: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(DefaultConfig())
			got := apply(s, tt.events...)
			if !reflect.DeepEqual(normalize(got), normalize(tt.want)) {
				t.Errorf("rows\n got %+v\nwant %+v", got, tt.want)
			}
			if s.Stats() != tt.stats {
				t.Errorf("stats\n got %+v\nwant %+v", s.Stats(), tt.stats)
			}
		})
	}
}

// normalize makes empty and nil slices compare equal.
func normalize(s rows.Set) rows.Set {
	var n rows.Set
	n.Append(&s)
	return n
}

func TestReplayRebuildsTheSameState(t *testing.T) {
	evs := []event.Event{
		receipt("m1", "u2", event.StatusRead, t0+5),
		msg("m1", t0, ""),
		msg("m2", t0+10, "m1"),
		receipt("m3", "u2", event.StatusRead, t0+20),
	}
	a, b := New(DefaultConfig()), New(DefaultConfig())
	first, second := apply(a, evs...), apply(b, evs...)
	if !reflect.DeepEqual(first, second) || !reflect.DeepEqual(a, b) {
		t.Fatalf("replaying the same events gave different state or rows")
	}
	if a.Messages() != 2 || a.Early() != 1 {
		t.Fatalf("held %d messages and %d early arrivals, want 2 and 1", a.Messages(), a.Early())
	}
}
