package event

import (
	"errors"
	"strings"
	"testing"
)

const at = int64(1_707_836_960_000)

func message() Event {
	return Event{Kind: KindMessage, Source: SourceCausalFoundry, Platform: "whatsapp", AtMs: at,
		Message: Message{ID: "m1", ConversationID: "g1", ContentType: "text",
			Sender:    Actor{Role: RoleUser, ID: "u1"},
			Recipient: Recipient{Type: RecipientGroup, ID: "g1"}}}
}

func TestValidate(t *testing.T) {
	valid := []struct {
		name string
		ev   Event
	}{
		{"a complete message is valid", message()},
		{"a receipt that names no member is valid", Event{Kind: KindReceipt, Source: SourceVoipbin, AtMs: at,
			Receipt: Receipt{Msg: "m1", Status: StatusDeleted}}},
		{"a group-level membership change needs no member", Event{Kind: KindMembership, Source: SourceCausalFoundry, AtMs: at,
			Membership: Membership{Group: "g1", Action: ActionCreate}}},
		{"an empty reaction set is valid", Event{Kind: KindReactionSet, Source: SourceVoipbin, AtMs: at,
			Reactions: ReactionSet{Target: "m1"}}},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.ev.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}

	mutate := func(f func(*Event)) Event { e := message(); f(&e); return e }
	invalid := []struct {
		name string
		ev   Event
	}{
		{"a message without id is invalid", mutate(func(e *Event) { e.Message.ID = "" })},
		{"a message without sender is invalid", mutate(func(e *Event) { e.Message.Sender.ID = "" })},
		{"a message from an unknown role is invalid", mutate(func(e *Event) { e.Message.Sender.Role = 0 })},
		{"a message to an unknown recipient type is invalid", mutate(func(e *Event) { e.Message.Recipient.Type = 9 })},
		{"an event before 2000 is invalid", mutate(func(e *Event) { e.AtMs = MinAtMs - 1 })},
		{"an event in 2100 is invalid", mutate(func(e *Event) { e.AtMs = MaxAtMs })},
		{"an event of an unknown source is invalid", mutate(func(e *Event) { e.Source = 0 })},
		{"an id longer than the limit is invalid", mutate(func(e *Event) { e.Message.ID = MsgID(strings.Repeat("x", MaxIDLen+1)) })},
		{"an over-long parent id is invalid", mutate(func(e *Event) { e.Message.Parent = MsgID(strings.Repeat("x", MaxIDLen+1)) })},
		{"an event of an unknown kind is invalid", mutate(func(e *Event) { e.Kind = 0 })},
		{"a receipt of an unknown status is invalid", Event{Kind: KindReceipt, Source: SourceCausalFoundry, AtMs: at,
			Receipt: Receipt{Msg: "m1", Status: 0}}},
		{"a reaction without target is invalid", Event{Kind: KindReaction, Source: SourceCausalFoundry, AtMs: at,
			Reaction: Reaction{Actor: Actor{Role: RoleUser, ID: "u"}, Emoji: "x"}}},
		{"a join without member is invalid", Event{Kind: KindMembership, Source: SourceCausalFoundry, AtMs: at,
			Membership: Membership{Group: "g1", Action: ActionJoin, Member: Actor{Role: RoleUser}}}},
		{"a handover to an unknown role is invalid", Event{Kind: KindHandover, Source: SourceChatlayer, AtMs: at,
			Handover: Handover{ConversationID: "c", To: 0}}},
		{"a reaction set with too many items is invalid", Event{Kind: KindReactionSet, Source: SourceVoipbin, AtMs: at,
			Reactions: ReactionSet{Target: "m1", Items: make([]ReactionItem, MaxReactionItems+1)}}},
		{"a reaction set item without emoji is invalid", Event{Kind: KindReactionSet, Source: SourceVoipbin, AtMs: at,
			Reactions: ReactionSet{Target: "m1", Items: []ReactionItem{{Actor: Actor{Role: RoleAgent, ID: "a"}}}}}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.ev.Validate(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestEnumNamesRoundTrip(t *testing.T) {
	for s := SourceCausalFoundry; s <= SourceVoipbin; s++ {
		if got, ok := ParseSource(s.String()); !ok || got != s {
			t.Errorf("source %d does not survive its name %q", s, s.String())
		}
	}
	for r := RoleUser; r <= RoleSystem; r++ {
		if got, ok := ParseRole(r.String()); !ok || got != r {
			t.Errorf("role %d does not survive its name %q", r, r.String())
		}
	}
	for st := StatusSent; st <= StatusDeleted; st++ {
		if got, ok := ParseReceiptStatus(st.String()); !ok || got != st {
			t.Errorf("status %d does not survive its name %q", st, st.String())
		}
	}
	if _, ok := ParseRole("customer"); ok {
		t.Error("a source's own role name parsed as canonical")
	}
	if Kind(0).String() != "unknown" || Role(200).String() != "unknown" {
		t.Error("out-of-range values must print as unknown")
	}
}
