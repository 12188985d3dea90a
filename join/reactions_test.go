package join

import (
	"reflect"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/rows"
)

func vbMsg(id string, at int64) event.Event {
	return event.Event{Kind: event.KindMessage, Source: event.SourceVoipbin, Tenant: "cust", Platform: "other", AtMs: at,
		Message: event.Message{ID: event.MsgID(id), ConversationID: "chat", ContentType: "text",
			Sender:    event.Actor{Role: event.RoleAgent, ID: "a0"},
			Recipient: event.Recipient{Type: event.RecipientGroup, ID: "chat"}}}
}

func set(target string, at int64, pairs ...string) event.Event {
	ev := event.Event{Kind: event.KindReactionSet, Source: event.SourceVoipbin, Tenant: "cust", AtMs: at,
		Reactions: event.ReactionSet{Target: event.MsgID(target)}}
	for i := 0; i < len(pairs); i += 2 {
		ev.Reactions.Items = append(ev.Reactions.Items, event.ReactionItem{
			Actor: event.Actor{Role: event.RoleAgent, ID: event.ActorID(pairs[i])}, Emoji: pairs[i+1]})
	}
	return ev
}

func react(actor, emoji string, at int64, present bool) rows.Reaction {
	return rows.Reaction{Source: "voipbin", Tenant: "cust", TargetMsgID: "m1", ActorID: actor, Emoji: emoji, AtMs: at, Present: present, MsgSentAtMs: t0}
}

func TestReactionSets(t *testing.T) {
	tests := []struct {
		name   string
		events []event.Event
		want   []rows.Reaction
		stale  uint64
	}{
		{
			name:   "a snapshot of a known message adds each of its reactions",
			events: []event.Event{vbMsg("m1", t0), set("m1", t0+10, "a1", "👍", "a2", "❤️")},
			want:   []rows.Reaction{react("a1", "👍", t0+10, true), react("a2", "❤️", t0+10, true)},
		},
		{
			name: "a later snapshot removes what it no longer lists and adds what is new",
			events: []event.Event{vbMsg("m1", t0), set("m1", t0+10, "a1", "👍", "a2", "❤️"),
				set("m1", t0+20, "a2", "❤️", "a3", "😊")},
			want: []rows.Reaction{react("a1", "👍", t0+10, true), react("a2", "❤️", t0+10, true),
				react("a3", "😊", t0+20, true), react("a1", "👍", t0+20, false)},
		},
		{
			name: "a snapshot no newer than the one held changes nothing",
			events: []event.Event{vbMsg("m1", t0), set("m1", t0+20, "a2", "❤️"),
				set("m1", t0+10, "a1", "👍"), set("m1", t0+20, "a9", "👍")},
			want:  []rows.Reaction{react("a2", "❤️", t0+20, true)},
			stale: 2,
		},
		{
			name:   "a snapshot before its message is written when the message arrives",
			events: []event.Event{set("m1", t0+10, "a1", "👍"), set("m1", t0+30, "a1", "👍", "a2", "❤️"), vbMsg("m1", t0)},
			want:   []rows.Reaction{react("a1", "👍", t0+30, true), react("a2", "❤️", t0+30, true)},
		},
		{
			name:   "an emptied snapshot removes every reaction",
			events: []event.Event{vbMsg("m1", t0), set("m1", t0+10, "a1", "👍"), set("m1", t0+40)},
			want:   []rows.Reaction{react("a1", "👍", t0+10, true), react("a1", "👍", t0+40, false)},
		},
		{
			name:   "the same reaction listed twice counts once",
			events: []event.Event{vbMsg("m1", t0), set("m1", t0+10, "a1", "👍", "a1", "👍")},
			want:   []rows.Reaction{react("a1", "👍", t0+10, true)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(DefaultConfig())
			got := apply(s, tt.events...)
			if !reflect.DeepEqual(normalize(rows.Set{Reactions: got.Reactions}), normalize(rows.Set{Reactions: tt.want})) {
				t.Errorf("reactions\n got %+v\nwant %+v", got.Reactions, tt.want)
			}
			if s.Stats().StaleSnapshots != tt.stale {
				t.Errorf("stale snapshots %d, want %d", s.Stats().StaleSnapshots, tt.stale)
			}
		})
	}
}
