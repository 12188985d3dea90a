package pseudonym_test

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/pseudonym"
)

var key = []byte("0123456789abcdef-test-key")

func TestAnIDBecomesItsKeyedHash(t *testing.T) {
	p := pseudonym.New(key)
	tests := []struct {
		name string
		ok   func() bool
	}{
		{"the empty id stays empty", func() bool { return p.ID("") == "" }},
		{"a pseudonym is 32 hex digits", func() bool {
			id := p.ID("user-1")
			return len(id) == pseudonym.Len && strings.Trim(id, "0123456789abcdef") == ""
		}},
		{"an id always gets the same pseudonym", func() bool { return p.ID("user-1") == p.ID("user-1") }},
		{"two ids get different pseudonyms", func() bool { return p.ID("user-1") != p.ID("user-2") }},
		{"another key gives another pseudonym", func() bool {
			return pseudonym.New([]byte("another key of 16 bytes")).ID("user-1") != p.ID("user-1")
		}},
		{"two pseudonymizers with one key agree", func() bool { return pseudonym.New(key).ID("user-1") == p.ID("user-1") }},
		{"the pseudonym is not the id", func() bool { return p.ID("user-1") != "user-1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok() {
				t.Fail()
			}
		})
	}
}

func TestEveryUserIDOfAnEventIsReplaced(t *testing.T) {
	p := pseudonym.New(key)
	h := pseudonym.New(key).ID
	tests := []struct {
		name     string
		in, want event.Event
	}{
		{
			"a direct message replaces sender, recipient and the pair conversation",
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "a:b",
				Sender: event.Actor{Role: event.RoleUser, ID: "b"}, Recipient: event.Recipient{Type: event.RecipientUser, ID: "a"}, Parent: "m0"}},
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: event.ConversationID(h("a:b")),
				Sender: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("b"))}, Recipient: event.Recipient{Type: event.RecipientUser, ID: h("a")}, Parent: "m0"}},
		},
		{
			"a conversation named by its sender becomes the sender's pseudonym",
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "u",
				Sender: event.Actor{Role: event.RoleUser, ID: "u"}, Recipient: event.Recipient{Type: event.RecipientUser}}},
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: event.ConversationID(h("u")),
				Sender: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))}, Recipient: event.Recipient{Type: event.RecipientUser}}},
		},
		{
			"a conversation named by its recipient becomes the recipient's pseudonym",
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "u",
				Sender: event.Actor{Role: event.RoleBot, ID: "bot"}, Recipient: event.Recipient{Type: event.RecipientUser, ID: "u"}}},
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: event.ConversationID(h("u")),
				Sender: event.Actor{Role: event.RoleBot, ID: event.ActorID(h("bot"))}, Recipient: event.Recipient{Type: event.RecipientUser, ID: h("u")}}},
		},
		{
			"a conversation id of its own is kept",
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "conv-9",
				Sender: event.Actor{Role: event.RoleAgent, ID: "ag"}, Recipient: event.Recipient{Type: event.RecipientUser, ID: "u"}}},
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "conv-9",
				Sender: event.Actor{Role: event.RoleAgent, ID: event.ActorID(h("ag"))}, Recipient: event.Recipient{Type: event.RecipientUser, ID: h("u")}}},
		},
		{
			"a group message keeps the group and replaces the sender",
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "g",
				Sender: event.Actor{Role: event.RoleUser, ID: "u"}, Recipient: event.Recipient{Type: event.RecipientGroup, ID: "g"}}},
			event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "g",
				Sender: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))}, Recipient: event.Recipient{Type: event.RecipientGroup, ID: "g"}}},
		},
		{
			"a Chatlayer message id, derived from the user and the text, becomes its keyed hash",
			event.Event{Kind: event.KindMessage, Source: event.SourceChatlayer, Message: event.Message{ID: "cl-0123", ConversationID: "u",
				Sender: event.Actor{Role: event.RoleUser, ID: "u"}, Recipient: event.Recipient{Type: event.RecipientUser}}},
			event.Event{Kind: event.KindMessage, Source: event.SourceChatlayer, Message: event.Message{ID: event.MsgID("cl-" + h("cl-0123")),
				ConversationID: event.ConversationID(h("u")), Sender: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))},
				Recipient: event.Recipient{Type: event.RecipientUser}}},
		},
		{
			"another source's message id is kept",
			event.Event{Kind: event.KindMessage, Source: event.SourceVoipbin, Message: event.Message{ID: "cl-0123", ConversationID: "c",
				Sender: event.Actor{Role: event.RoleUser, ID: "u"}, Recipient: event.Recipient{Type: event.RecipientGroup, ID: "c"}}},
			event.Event{Kind: event.KindMessage, Source: event.SourceVoipbin, Message: event.Message{ID: "cl-0123", ConversationID: "c",
				Sender: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))}, Recipient: event.Recipient{Type: event.RecipientGroup, ID: "c"}}},
		},
		{
			"a receipt replaces its member",
			event.Event{Kind: event.KindReceipt, Receipt: event.Receipt{Msg: "m1", Member: "u", Status: event.StatusRead}},
			event.Event{Kind: event.KindReceipt, Receipt: event.Receipt{Msg: "m1", Member: event.ActorID(h("u")), Status: event.StatusRead}},
		},
		{
			"a receipt without a member stays without one",
			event.Event{Kind: event.KindReceipt, Receipt: event.Receipt{Msg: "m1", Status: event.StatusDeleted}},
			event.Event{Kind: event.KindReceipt, Receipt: event.Receipt{Msg: "m1", Status: event.StatusDeleted}},
		},
		{
			"a reaction replaces its actor",
			event.Event{Kind: event.KindReaction, Reaction: event.Reaction{Target: "m1", Actor: event.Actor{Role: event.RoleUser, ID: "u"}, Emoji: "x", Present: true}},
			event.Event{Kind: event.KindReaction, Reaction: event.Reaction{Target: "m1", Actor: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))}, Emoji: "x", Present: true}},
		},
		{
			"a reaction set replaces every actor",
			event.Event{Kind: event.KindReactionSet, Reactions: event.ReactionSet{Target: "m1", Items: []event.ReactionItem{
				{Actor: event.Actor{Role: event.RoleUser, ID: "u"}, Emoji: "x"}, {Actor: event.Actor{Role: event.RoleAgent, ID: "a"}, Emoji: "y"}}}},
			event.Event{Kind: event.KindReactionSet, Reactions: event.ReactionSet{Target: "m1", Items: []event.ReactionItem{
				{Actor: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))}, Emoji: "x"}, {Actor: event.Actor{Role: event.RoleAgent, ID: event.ActorID(h("a"))}, Emoji: "y"}}}},
		},
		{
			"a membership keeps the group and replaces the member",
			event.Event{Kind: event.KindMembership, Membership: event.Membership{Group: "g", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleUser, ID: "u"}}},
			event.Event{Kind: event.KindMembership, Membership: event.Membership{Group: "g", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleUser, ID: event.ActorID(h("u"))}}},
		},
		{
			"a handover named by its user replaces both",
			event.Event{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "u", To: event.RoleAgent, User: "u"}},
			event.Event{Kind: event.KindHandover, Handover: event.Handover{ConversationID: event.ConversationID(h("u")), To: event.RoleAgent, User: event.ActorID(h("u"))}},
		},
		{
			"a handover of a conversation with its own id keeps the id",
			event.Event{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "conv-9", To: event.RoleBot, User: "u"}},
			event.Event{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "conv-9", To: event.RoleBot, User: event.ActorID(h("u"))}},
		},
		{
			"a handover without a user changes nothing",
			event.Event{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "conv-9", To: event.RoleBot}},
			event.Event{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "conv-9", To: event.RoleBot}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.in
			p.Event(&ev)
			if !reflect.DeepEqual(ev, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", ev, tt.want)
			}
		})
	}
}

// TestNoSeedEventKeepsARawUserID decodes every seed of every format and checks that, once
// pseudonymized, no id field holds a user id the decoder produced, alone or in a pair.
func TestNoSeedEventKeepsARawUserID(t *testing.T) {
	seeds, err := filepath.Glob("../decode/testdata/*/seed.jsonl")
	if err != nil || len(seeds) != 4 {
		t.Fatalf("seeds %v, %v", seeds, err)
	}
	p := pseudonym.New(key)
	for _, seed := range seeds {
		t.Run(filepath.Base(filepath.Dir(seed))+" seeds keep no raw user id", func(t *testing.T) {
			events := decodeFile(t, seed)
			raw := map[string]bool{}
			for _, ev := range events {
				for _, id := range userIDs(ev) {
					raw[id] = true
				}
			}
			if len(raw) == 0 {
				t.Fatal("the seed has no user ids")
			}
			for _, ev := range events {
				p.Event(&ev)
				for _, f := range idFields(ev) {
					for _, part := range append(strings.Split(f, ":"), f) {
						if raw[part] {
							t.Errorf("a %s event keeps the user id %q in %q", ev.Kind, part, f)
						}
					}
				}
			}
		})
	}
}

func decodeFile(t *testing.T, path string) []event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []event.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		evs, err := decode.Decode(decode.FormatAuto, decode.Record{Value: append([]byte(nil), sc.Bytes()...), TimestampMs: 1700000000000}, nil)
		if err != nil {
			continue // poison seeds are dead-lettered, never routed
		}
		out = append(out, evs...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// userIDs are the ids of people in ev as decoded.
func userIDs(ev event.Event) []string {
	ids := []string{string(ev.Message.Sender.ID), string(ev.Receipt.Member), string(ev.Reaction.Actor.ID),
		string(ev.Membership.Member.ID), string(ev.Handover.User)}
	if ev.Message.Recipient.Type == event.RecipientUser {
		ids = append(ids, ev.Message.Recipient.ID)
	}
	for _, it := range ev.Reactions.Items {
		ids = append(ids, string(it.Actor.ID))
	}
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// idFields are every id of ev.
func idFields(ev event.Event) []string {
	out := append(userIDs(ev), string(ev.Message.ConversationID), ev.Message.Recipient.ID,
		string(ev.Handover.ConversationID), string(ev.Membership.Group))
	return out
}

func BenchmarkEvent(b *testing.B) {
	b.ReportAllocs()
	p := pseudonym.New(key)
	in := event.Event{Kind: event.KindMessage, Message: event.Message{ID: "m1", ConversationID: "user-17:user-42",
		Sender: event.Actor{Role: event.RoleUser, ID: "user-42"}, Recipient: event.Recipient{Type: event.RecipientUser, ID: "user-17"}}}
	for b.Loop() {
		ev := in
		p.Event(&ev)
	}
}
