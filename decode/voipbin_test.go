package decode

import (
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// The lines of testdata/voipbin/seed.jsonl and where each comes from:
//  1. the seed's Example, as printed: a reply with one reaction;
//  2. the seed's struct template, as printed: every string empty, a bad record;
//  3. a system message, built from the template and the Type table ("system");
//  4. a customer's message with an image media, built from the template's medias[].type;
//  5. a message soft-deleted, built from the template's tm_delete ("soft delete");
//  6. the Example after an update that removed its only reaction (tm_update later, reactions empty);
//  7. a message with two reactions by the same agent with different emoji (the Reactions section).
var vbSeedEvents = []int{2, 0, 1, 1, 3, 2, 2}

func TestVoipbinSeedDecodesToGolden(t *testing.T) {
	lines := readLines(t, "testdata/voipbin/seed.jsonl")
	if len(lines) != len(vbSeedEvents) {
		t.Fatalf("seed.jsonl has %d records, want %d", len(lines), len(vbSeedEvents))
	}
	var got [][]byte
	for i, line := range lines {
		evs, err := DecodeVoipbin(Record{Value: line, TimestampMs: seedRecordMs}, nil)
		if vbSeedEvents[i] == 0 {
			if err == nil {
				t.Errorf("record %d decoded, want poison", i+1)
				continue
			}
			got = append(got, renderError(t, err))
			continue
		}
		if err != nil {
			t.Errorf("record %d does not decode: %v", i+1, err)
			got = append(got, renderError(t, err))
			continue
		}
		if len(evs) != vbSeedEvents[i] {
			t.Fatalf("record %d decoded to %d events, want %d", i+1, len(evs), vbSeedEvents[i])
		}
		for j := range evs {
			assertOwnMemory(t, &evs[j], line)
			got = append(got, renderEvent(t, evs[j]))
		}
	}
	compareGolden(t, "testdata/voipbin/seed.golden.jsonl", got)
}

func TestVoipbinSeedTemplateIsAMissingField(t *testing.T) {
	lines := readLines(t, "testdata/voipbin/seed.jsonl")
	_, err := DecodeVoipbin(Record{Value: lines[1], TimestampMs: seedRecordMs}, nil)
	if got := ReasonOf(err); got != ReasonMissingField {
		t.Fatalf("reason %q (%v), want %s", got, err, ReasonMissingField)
	}
}

const (
	vbCreate   = `"2024-01-17 10:32:00.000000"`
	vbCreateMs = 1705487520000
	vbLaterMs  = vbCreateMs + 8*60*1000 // "2024-01-17 10:40:00.000000"
)

// vbFields is a plain text message by an agent, without reactions, never updated or deleted.
var vbFields = props{
	{"id", `"m-1"`}, {"customer_id", `"c-1"`}, {"owner_type", `"agent"`}, {"owner_id", `"a-1"`},
	{"chat_id", `"t-1"`}, {"parent_id", `""`}, {"type", `"normal"`}, {"text", `"hi"`}, {"medias", `[]`},
	{"metadata", `{"reactions":[]}`}, {"tm_create", vbCreate}, {"tm_update", vbCreate}, {"tm_delete", `""`},
}

func vb(p props) string { return p.json() }

// vbReactionProps is one reaction by agent a-2, added eight minutes after the message.
var vbReactionProps = props{{"emoji", `"👍"`}, {"owner_type", `"agent"`}, {"owner_id", `"a-2"`}, {"tm_create", `"2024-01-17 10:40:00.000000"`}}

// withReactions is the record with the given reactions as metadata.
func withReactions(p props, reactions ...string) props {
	return p.with("metadata", `{"reactions":[`+strings.Join(reactions, ",")+`]}`)
}

func vbWithReaction(r props) string { return vb(withReactions(vbFields, r.json())) }
func vbWithMedia(media string) string {
	return vb(vbFields.with("medias", `[`+media+`]`))
}

func wantVbMessage() event.Event {
	return event.Event{
		Kind: event.KindMessage, Source: event.SourceVoipbin, Tenant: "c-1", Platform: "other", AtMs: vbCreateMs,
		Message: event.Message{
			ID: "m-1", ConversationID: "t-1", Sender: event.Actor{Role: event.RoleAgent, ID: "a-1"},
			Recipient: event.Recipient{Type: event.RecipientGroup, ID: "t-1"}, ContentType: "text",
		},
	}
}

func wantVbDeleted(atMs int64) event.Event {
	return event.Event{
		Kind: event.KindReceipt, Source: event.SourceVoipbin, Tenant: "c-1", Platform: "other", AtMs: atMs,
		Receipt: event.Receipt{Msg: "m-1", Status: event.StatusDeleted},
	}
}

func wantVbSet(atMs int64, items ...event.ReactionItem) event.Event {
	return event.Event{
		Kind: event.KindReactionSet, Source: event.SourceVoipbin, Tenant: "c-1", Platform: "other", AtMs: atMs,
		Reactions: event.ReactionSet{Target: "m-1", Items: items},
	}
}

func vbItem(role event.Role, id, emoji string, atMs int64) event.ReactionItem {
	return event.ReactionItem{Actor: event.Actor{Role: role, ID: event.ActorID(id)}, Emoji: emoji, AtMs: atMs}
}

var wantVbThumbsUp = vbItem(event.RoleAgent, "a-2", "👍", vbLaterMs)

func withMessage(f func(*event.Event)) event.Event { return change(wantVbMessage(), f) }

// manyReactions lists n reactions by distinct agents.
func manyReactions(n int) []string {
	rs := make([]string, n)
	for i := range rs {
		rs[i] = vbReactionProps.with("owner_id", `"a-`+strconv.Itoa(i)+`"`).json()
	}
	return rs
}

func TestVoipbinRejectsBadInput(t *testing.T) {
	seed := readLines(t, "testdata/voipbin/seed.jsonl")
	cases := []struct {
		name   string
		value  string
		reason Reason
	}{
		{"empty input is malformed", ``, ReasonMalformed},
		{"whitespace only is malformed", " \r\n\t ", ReasonMalformed},
		{"a record truncated inside metadata is malformed", vbWithReaction(vbReactionProps)[:150], ReasonMalformed},
		{"a record truncated after a key is malformed", `{"tm_create":`, ReasonMalformed},
		{"a record missing its closing brace is malformed", strings.TrimSuffix(vb(vbFields), "}"), ReasonMalformed},
		{"trailing bytes after the object are malformed", vb(vbFields) + ` x`, ReasonMalformed},
		{"two objects in one record are malformed", vb(vbFields) + vb(vbFields), ReasonMalformed},
		{"single-quoted strings are malformed", `{'id':'m-1'}`, ReasonMalformed},
		{"an invalid escape is malformed", vb(vbFields.with("id", `"m\x"`)), ReasonMalformed},
		{"a raw newline inside the text is malformed", vb(vbFields.with("text", "\"a\nb\"")), ReasonMalformed},
		{"nesting deeper than the parser's limit is malformed", vb(vbFields.with("extra", nested(20000))), ReasonMalformed},
		{"a syntax error wins over an earlier type error", `{"id":1,"chat_id":`, ReasonMalformed},

		{"a top-level array is the wrong type", `[` + vb(vbFields) + `]`, ReasonWrongType},
		{"a top-level string is the wrong type", `"m-1"`, ReasonWrongType},
		{"a top-level number is the wrong type", `42`, ReasonWrongType},
		{"a top-level null is the wrong type", ` null `, ReasonWrongType},
		{"a numeric id is the wrong type", vb(vbFields.with("id", `42`)), ReasonWrongType},
		{"a boolean id is the wrong type", vb(vbFields.with("id", `true`)), ReasonWrongType},
		{"a numeric customer_id is the wrong type", vb(vbFields.with("customer_id", `7`)), ReasonWrongType},
		{"a numeric owner_type is the wrong type", vb(vbFields.with("owner_type", `1`)), ReasonWrongType},
		{"an object owner_id is the wrong type", vb(vbFields.with("owner_id", `{"id":"a-1"}`)), ReasonWrongType},
		{"a numeric chat_id is the wrong type", vb(vbFields.with("chat_id", `7`)), ReasonWrongType},
		{"a numeric parent_id is the wrong type", vb(vbFields.with("parent_id", `7`)), ReasonWrongType},
		{"an array type is the wrong type", vb(vbFields.with("type", `["normal"]`)), ReasonWrongType},
		{"a string medias is the wrong type", vb(vbFields.with("medias", `"image"`)), ReasonWrongType},
		{"an object medias is the wrong type", vb(vbFields.with("medias", `{"type":"image"}`)), ReasonWrongType},
		{"a numeric media is the wrong type", vbWithMedia(`1`), ReasonWrongType},
		{"a numeric media type is the wrong type", vbWithMedia(`{"type":1}`), ReasonWrongType},
		{"an array metadata is the wrong type", vb(vbFields.with("metadata", `[]`)), ReasonWrongType},
		{"a string metadata is the wrong type", vb(vbFields.with("metadata", `"x"`)), ReasonWrongType},
		{"an object of reactions is the wrong type", vb(vbFields.with("metadata", `{"reactions":{}}`)), ReasonWrongType},
		{"a string reaction is the wrong type", vb(withReactions(vbFields, `"👍"`)), ReasonWrongType},
		{"a numeric emoji is the wrong type", vbWithReaction(vbReactionProps.with("emoji", `128077`)), ReasonWrongType},
		{"a numeric reaction owner_id is the wrong type", vbWithReaction(vbReactionProps.with("owner_id", `2`)), ReasonWrongType},
		{"an object tm_create is the wrong type", vb(vbFields.with("tm_create", `{"s":1}`)), ReasonWrongType},
		{"a boolean tm_create is the wrong type", vb(vbFields.with("tm_create", `true`)), ReasonWrongType},
		{"an array tm_create is the wrong type", vb(vbFields.with("tm_create", `[1705487520000]`)), ReasonWrongType},
		{"an object tm_update is the wrong type", vb(vbFields.with("tm_update", `{}`)), ReasonWrongType},
		{"a boolean tm_delete is the wrong type", vb(vbFields.with("tm_delete", `false`)), ReasonWrongType},
		{"an array reaction tm_create is the wrong type", vbWithReaction(vbReactionProps.with("tm_create", `[]`)), ReasonWrongType},

		{"invalid utf-8 in id is invalid", vb(vbFields.with("id", invalidUTF8("m"))), ReasonInvalid},
		{"invalid utf-8 in customer_id is invalid", vb(vbFields.with("customer_id", invalidUTF8("c"))), ReasonInvalid},
		{"invalid utf-8 in owner_id is invalid", vb(vbFields.with("owner_id", invalidUTF8("a"))), ReasonInvalid},
		{"invalid utf-8 in chat_id is invalid", vb(vbFields.with("chat_id", invalidUTF8("t"))), ReasonInvalid},
		{"invalid utf-8 in parent_id is invalid", vb(vbFields.with("parent_id", invalidUTF8("p"))), ReasonInvalid},
		{"invalid utf-8 in a reaction's owner_id is invalid", vbWithReaction(vbReactionProps.with("owner_id", invalidUTF8("a"))), ReasonInvalid},
		{"invalid utf-8 in an emoji is invalid", vbWithReaction(vbReactionProps.with("emoji", invalidUTF8("x"))), ReasonInvalid},
		{"a lone surrogate escape in id is invalid", vb(vbFields.with("id", `"m\ud800"`)), ReasonInvalid},
		{"a lone surrogate emoji is invalid", vbWithReaction(vbReactionProps.with("emoji", `"\ud83d"`)), ReasonInvalid},
		{"an id longer than 256 bytes is invalid", vb(vbFields.with("id", longString(257))), ReasonInvalid},
		{"a customer_id longer than 256 bytes is invalid", vb(vbFields.with("customer_id", longString(300))), ReasonInvalid},
		{"a chat_id longer than 256 bytes is invalid", vb(vbFields.with("chat_id", longString(257))), ReasonInvalid},
		{"an emoji longer than 256 bytes is invalid", vbWithReaction(vbReactionProps.with("emoji", longString(257))), ReasonInvalid},
		{"a reaction owner_id longer than 256 bytes is invalid", vbWithReaction(vbReactionProps.with("owner_id", longString(257))), ReasonInvalid},
		{"more than 1000 reactions are invalid", vb(withReactions(vbFields, manyReactions(event.MaxReactionItems+1)...)), ReasonInvalid},

		{"an unknown owner_type is an unknown enum", vb(vbFields.with("owner_type", `"robot"`)), ReasonUnknownEnum},
		{"owner_type in another case is an unknown enum", vb(vbFields.with("owner_type", `"Agent"`)), ReasonUnknownEnum},
		{"a supervisor owner_type is an unknown enum", vb(vbFields.with("owner_type", `"supervisor"`)), ReasonUnknownEnum},
		{"an unknown type is an unknown enum", vb(vbFields.with("type", `"private"`)), ReasonUnknownEnum},
		{"type in another case is an unknown enum", vb(vbFields.with("type", `"Normal"`)), ReasonUnknownEnum},
		{"an unknown media type is an unknown enum", vbWithMedia(`{"type":"sticker"}`), ReasonUnknownEnum},
		{"a media type in another case is an unknown enum", vbWithMedia(`{"type":"Image"}`), ReasonUnknownEnum},
		{"an unknown reaction owner_type is an unknown enum", vbWithReaction(vbReactionProps.with("owner_type", `"robot"`)), ReasonUnknownEnum},

		{"the seed's struct template is a missing field", string(seed[1]), ReasonMissingField},
		{"an empty object is a missing field", `{}`, ReasonMissingField},
		{"a record without tm_create is a missing field", vb(vbFields.with("tm_create", "-")), ReasonMissingField},
		{"an empty tm_create is a missing field", vb(vbFields.with("tm_create", `""`)), ReasonMissingField},
		{"a null tm_create is a missing field", vb(vbFields.with("tm_create", `null`)), ReasonMissingField},
		{"a record without id is a missing field", vb(vbFields.with("id", "-")), ReasonMissingField},
		{"an empty id is a missing field", vb(vbFields.with("id", `""`)), ReasonMissingField},
		{"a null id is a missing field", vb(vbFields.with("id", `null`)), ReasonMissingField},
		{"a record without owner_type is a missing field", vb(vbFields.with("owner_type", "-")), ReasonMissingField},
		{"an empty owner_type is a missing field", vb(vbFields.with("owner_type", `""`)), ReasonMissingField},
		{"a record without owner_id is a missing field", vb(vbFields.with("owner_id", "-")), ReasonMissingField},
		{"an empty owner_id is a missing field", vb(vbFields.with("owner_id", `""`)), ReasonMissingField},
		{"a record without chat_id is a missing field", vb(vbFields.with("chat_id", "-")), ReasonMissingField},
		{"an empty chat_id is a missing field", vb(vbFields.with("chat_id", `""`)), ReasonMissingField},
		{"a record without type is a missing field", vb(vbFields.with("type", "-")), ReasonMissingField},
		{"an empty type is a missing field", vb(vbFields.with("type", `""`)), ReasonMissingField},
		{"a media without type is a missing field", vbWithMedia(`{"url":"https://example.com/a.png"}`), ReasonMissingField},
		{"a media with an empty type is a missing field", vbWithMedia(`{"type":""}`), ReasonMissingField},
		{"a reaction without owner_id is a missing field", vbWithReaction(vbReactionProps.with("owner_id", "-")), ReasonMissingField},
		{"a reaction with an empty owner_id is a missing field", vbWithReaction(vbReactionProps.with("owner_id", `""`)), ReasonMissingField},
		{"a reaction without emoji is a missing field", vbWithReaction(vbReactionProps.with("emoji", "-")), ReasonMissingField},
		{"a reaction with an empty emoji is a missing field", vbWithReaction(vbReactionProps.with("emoji", `""`)), ReasonMissingField},
		{"a reaction without owner_type is a missing field", vbWithReaction(vbReactionProps.with("owner_type", "-")), ReasonMissingField},
		{"a null reaction is a missing field", vb(withReactions(vbFields, `null`)), ReasonMissingField},
		{"a bad second reaction fails the whole record", vb(withReactions(vbFields, vbReactionProps.json(), `{}`)), ReasonMissingField},

		{"a tm_create before 2000 is a bad timestamp", vb(vbFields.with("tm_create", `"1999-12-31 23:59:59.999999"`)), ReasonBadTimestamp},
		{"a tm_create at 2100 is a bad timestamp", vb(vbFields.with("tm_create", `"2100-01-01 00:00:00.000000"`)), ReasonBadTimestamp},
		{"an epoch ms of 0 is a bad timestamp", vb(vbFields.with("tm_create", `0`)), ReasonBadTimestamp},
		{"epoch seconds are a bad timestamp", vb(vbFields.with("tm_create", `1705487520`)), ReasonBadTimestamp},
		{"a negative epoch string is a bad timestamp", vb(vbFields.with("tm_create", `"-1705487520000"`)), ReasonBadTimestamp},
		{"an epoch number of 1e300 is a bad timestamp", vb(vbFields.with("tm_create", `1e300`)), ReasonBadTimestamp},
		{"an epoch string of 30 digits is a bad timestamp", vb(vbFields.with("tm_create", `"`+strings.Repeat("9", 30)+`"`)), ReasonBadTimestamp},
		{"a tm_create in words is a bad timestamp", vb(vbFields.with("tm_create", `"yesterday"`)), ReasonBadTimestamp},
		{"a blank tm_create is a bad timestamp", vb(vbFields.with("tm_create", `" "`)), ReasonBadTimestamp},
		{"a date-only tm_create is a bad timestamp", vb(vbFields.with("tm_create", `"2024-01-17"`)), ReasonBadTimestamp},
		{"a tm_create on February 30 is a bad timestamp", vb(vbFields.with("tm_create", `"2024-02-30 10:32:00.000000"`)), ReasonBadTimestamp},
		{"a tm_create at hour 24 is a bad timestamp", vb(vbFields.with("tm_create", `"2024-01-17 24:00:00.000000"`)), ReasonBadTimestamp},
		{"a tm_create with an empty fraction is a bad timestamp", vb(vbFields.with("tm_create", `"2024-01-17 10:32:00."`)), ReasonBadTimestamp},
		{"a tm_create in RFC 1123 is a bad timestamp", vb(vbFields.with("tm_create", `"Wed, 17 Jan 2024 10:32:00 GMT"`)), ReasonBadTimestamp},
		{"a tm_update before 2000 is a bad timestamp", vb(vbFields.with("tm_update", `"1970-01-01 00:00:00.000000"`)), ReasonBadTimestamp},
		{"a tm_update in words is a bad timestamp", vb(vbFields.with("tm_update", `"later"`)), ReasonBadTimestamp},
		{"a tm_delete in words is a bad timestamp", vb(vbFields.with("tm_delete", `"never"`)), ReasonBadTimestamp},
		{"a tm_delete after 2100 is a bad timestamp", vb(vbFields.with("tm_delete", `"2200-01-01 00:00:00.000000"`)), ReasonBadTimestamp},
		{"a reaction tm_create before 2000 is a bad timestamp", vbWithReaction(vbReactionProps.with("tm_create", `"1999-01-01 00:00:00.000000"`)), ReasonBadTimestamp},
		{"a reaction tm_create in words is a bad timestamp", vbWithReaction(vbReactionProps.with("tm_create", `"now"`)), ReasonBadTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRejected(t, DecodeVoipbin, c.value, 0, c.reason) })
	}
}

func TestVoipbinRejectsOversizedRecords(t *testing.T) {
	value := []byte(vb(vbFields.with("text", longString(MaxRecordBytes))))
	_, err := DecodeVoipbin(Record{Value: value, TimestampMs: seedRecordMs}, nil)
	if got := ReasonOf(err); got != ReasonTooLarge {
		t.Fatalf("reason %q (%v), want %s", got, err, ReasonTooLarge)
	}
}

// A reaction takes 64 bytes decoded and "{}," 3 bytes encoded: the list must be counted before it is decoded, or a
// record of the largest size would cost gigabytes before it is rejected.
func TestVoipbinCountsReactionsBeforeDecodingThem(t *testing.T) {
	n := (MaxRecordBytes - 1024) / 3
	value := []byte(vb(withReactions(vbFields, strings.Repeat("{},", n-1)+"{}")))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeVoipbin(Record{Value: value, TimestampMs: seedRecordMs}, nil)
	runtime.ReadMemStats(&after)
	if got := ReasonOf(err); got != ReasonInvalid {
		t.Fatalf("reason %q (%v), want %s", got, err, ReasonInvalid)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*uint64(len(value)) {
		t.Fatalf("rejecting a record of %d bytes allocated %d bytes", len(value), alloc)
	}
}

func TestVoipbinAcceptsEdgeCases(t *testing.T) {
	thumbs := vbReactionProps.json()
	heart := vbReactionProps.with("emoji", `"❤️"`).with("tm_create", `"2024-01-17 10:40:30.5"`).json()
	manyItems := make([]event.ReactionItem, event.MaxReactionItems)
	for i := range manyItems {
		manyItems[i] = vbItem(event.RoleAgent, "a-"+strconv.Itoa(i), "👍", vbLaterMs)
	}
	later := `"2024-01-17 10:40:00.000000"`
	cases := []struct {
		name  string
		value string
		want  []event.Event
	}{
		{"a plain text message is one message", vb(vbFields), []event.Event{wantVbMessage()}},
		{"a time in RFC 3339 with an offset is converted to UTC", vb(vbFields.with("tm_create", `"2024-01-17T11:32:00.25+01:00"`).with("tm_update", `""`)),
			[]event.Event{withMessage(func(e *event.Event) { e.AtMs = vbCreateMs + 250 })}},
		{"a time with T and no zone is UTC", vb(vbFields.with("tm_create", `"2024-01-17T10:32:00"`)), []event.Event{wantVbMessage()}},
		{"a time as a JSON number is epoch ms", vb(vbFields.with("tm_create", `1705487520042`).with("tm_update", `""`)),
			[]event.Event{withMessage(func(e *event.Event) { e.AtMs = vbCreateMs + 42 })}},
		{"a time as a numeric string is epoch ms", vb(vbFields.with("tm_create", `"1705487520042"`).with("tm_update", `""`)),
			[]event.Event{withMessage(func(e *event.Event) { e.AtMs = vbCreateMs + 42 })}},
		{"a time as a JSON number with a fraction drops it", vb(vbFields.with("tm_create", `1.7054875200429e12`).with("tm_update", `""`)),
			[]event.Event{withMessage(func(e *event.Event) { e.AtMs = vbCreateMs + 42 })}},
		{"a time with escapes is unescaped", vb(vbFields.with("tm_create", `"2024-01-17\u002010:32:00.000000"`)), []event.Event{wantVbMessage()}},
		{"a time at the first millisecond of 2000 is accepted", vb(vbFields.with("tm_create", `"2000-01-01 00:00:00.000000"`).with("tm_update", `""`)),
			[]event.Event{withMessage(func(e *event.Event) { e.AtMs = event.MinAtMs })}},
		{"an update equal to the creation in another notation adds nothing", vb(vbFields.with("tm_update", `1705487520000`)), []event.Event{wantVbMessage()}},
		{"an empty tm_update adds nothing", vb(vbFields.with("tm_update", `""`)), []event.Event{wantVbMessage()}},
		{"a null tm_update adds nothing", vb(vbFields.with("tm_update", `null`)), []event.Event{wantVbMessage()}},
		{"a record without tm_update or tm_delete is a message", vb(vbFields.with("tm_update", "-").with("tm_delete", "-")), []event.Event{wantVbMessage()}},
		{"a later update without reactions is an empty reaction set", vb(vbFields.with("tm_update", later)),
			[]event.Event{wantVbMessage(), wantVbSet(vbLaterMs)}},
		{"an update without metadata is an empty reaction set", vb(vbFields.with("tm_update", later).with("metadata", "-")),
			[]event.Event{wantVbMessage(), wantVbSet(vbLaterMs)}},
		{"a null metadata is no reactions", vb(vbFields.with("metadata", `null`)), []event.Event{wantVbMessage()}},
		{"null reactions are none", vb(vbFields.with("metadata", `{"reactions":null}`)), []event.Event{wantVbMessage()}},
		{"a reaction is a set at tm_update", vb(withReactions(vbFields.with("tm_update", later), thumbs)),
			[]event.Event{wantVbMessage(), wantVbSet(vbLaterMs, wantVbThumbsUp)}},
		{"a reaction without tm_update is a set at tm_create", vb(withReactions(vbFields.with("tm_update", `""`), thumbs)),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs, wantVbThumbsUp)}},
		{"a reaction without its own time has time 0", vbWithReaction(vbReactionProps.with("tm_create", `""`)),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs, vbItem(event.RoleAgent, "a-2", "👍", 0))}},
		{"a reaction with a null time has time 0", vbWithReaction(vbReactionProps.with("tm_create", `null`)),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs, vbItem(event.RoleAgent, "a-2", "👍", 0))}},
		{"a reaction time in epoch ms is accepted", vbWithReaction(vbReactionProps.with("tm_create", `1705488000000`)),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs, wantVbThumbsUp)}},
		{"two emoji of one agent are two items in order", vb(withReactions(vbFields, thumbs, heart)),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs, wantVbThumbsUp, vbItem(event.RoleAgent, "a-2", "❤️", vbLaterMs+30500))}},
		{"reactions of a customer, a user, a bot and the system keep their roles", vb(withReactions(vbFields,
			vbReactionProps.with("owner_type", `"customer"`).json(), vbReactionProps.with("owner_type", `"user"`).json(),
			vbReactionProps.with("owner_type", `"bot"`).json(), vbReactionProps.with("owner_type", `"system"`).json())),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs,
				vbItem(event.RoleUser, "a-2", "👍", vbLaterMs), vbItem(event.RoleUser, "a-2", "👍", vbLaterMs),
				vbItem(event.RoleBot, "a-2", "👍", vbLaterMs), vbItem(event.RoleSystem, "a-2", "👍", vbLaterMs))}},
		{"exactly 1000 reactions are accepted", vb(withReactions(vbFields, manyReactions(event.MaxReactionItems)...)),
			[]event.Event{wantVbMessage(), wantVbSet(vbCreateMs, manyItems...)}},
		{"a soft delete is a deleted receipt at tm_delete", vb(vbFields.with("tm_delete", later)),
			[]event.Event{wantVbMessage(), wantVbDeleted(vbLaterMs)}},
		{"a null tm_delete is not a delete", vb(vbFields.with("tm_delete", `null`)), []event.Event{wantVbMessage()}},
		{"a deleted, updated message with a reaction is message, receipt, then set", vb(withReactions(vbFields.with("tm_delete", later).with("tm_update", later), thumbs)),
			[]event.Event{wantVbMessage(), wantVbDeleted(vbLaterMs), wantVbSet(vbLaterMs, wantVbThumbsUp)}},
		{"an empty customer_id is no tenant", vb(vbFields.with("customer_id", `""`).with("tm_delete", later)),
			[]event.Event{withMessage(func(e *event.Event) { e.Tenant = "" }), change(wantVbDeleted(vbLaterMs), func(e *event.Event) { e.Tenant = "" })}},
		{"a record without customer_id is no tenant", vb(vbFields.with("customer_id", "-")),
			[]event.Event{withMessage(func(e *event.Event) { e.Tenant = "" })}},
		{"a parent_id makes a reply", vb(vbFields.with("parent_id", `"m-0"`)),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.Parent = "m-0" })}},
		{"a null parent_id means no parent", vb(vbFields.with("parent_id", `null`)), []event.Event{wantVbMessage()}},
		{"a customer owner is a user", vb(vbFields.with("owner_type", `"customer"`)),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.Sender.Role = event.RoleUser })}},
		{"a user owner is a user", vb(vbFields.with("owner_type", `"user"`)),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.Sender.Role = event.RoleUser })}},
		{"a bot owner is a bot", vb(vbFields.with("owner_type", `"bot"`)),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.Sender.Role = event.RoleBot })}},
		{"a system message is system content by the system", vb(vbFields.with("type", `"system"`).with("owner_type", `"system"`)),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "system"; e.Message.Sender.Role = event.RoleSystem })}},
		{"a system message ignores its medias", vb(vbFields.with("type", `"system"`).with("medias", `[{"type":"hologram"}]`)),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "system" })}},
		{"null medias are text", vb(vbFields.with("medias", `null`)), []event.Event{wantVbMessage()}},
		{"a record without medias is text", vb(vbFields.with("medias", "-")), []event.Event{wantVbMessage()}},
		{"a null first media counts as none", vbWithMedia(`null`), []event.Event{wantVbMessage()}},
		{"an image media is image content", vbWithMedia(`{"type":"image"}`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "image" })}},
		{"a video media is video content", vbWithMedia(`{"type":"video"}`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "video" })}},
		{"an audio media is audio content", vbWithMedia(`{"type":"audio"}`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "audio" })}},
		{"a file media is a document", vbWithMedia(`{"type":"file"}`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "document" })}},
		{"a document media is a document", vbWithMedia(`{"type":"document"}`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "document" })}},
		{"only the first media decides the content", vbWithMedia(`{"type":"video"},{"type":"hologram"},null`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "video" })}},
		{"a later media of any shape is skipped", vbWithMedia(`{"type":"image"},"x",7`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "image" })}},
		{"a 10 MB payload in a media decodes to one message", vbWithMedia(`{"type":"image","data":"` + strings.Repeat("QUJD", 10<<18) + `"}`),
			[]event.Event{withMessage(func(e *event.Event) { e.Message.ContentType = "image" })}},
		{"a 10 MB text decodes to one message", vb(vbFields.with("text", longString(10<<20))), []event.Event{wantVbMessage()}},
		{"a 10 MB text of escapes decodes to one message", vb(vbFields.with("text", `"`+strings.Repeat(`\u00e9\n`, 10<<17)+`"`)), []event.Event{wantVbMessage()}},
		{"invalid utf-8 in the text is ignored", vb(vbFields.with("text", invalidUTF8("hi"))), []event.Event{wantVbMessage()}},
		{"nesting 1000 levels deep in an unknown field is skipped", vb(vbFields.with("extra", nested(1000))), []event.Event{wantVbMessage()}},
		{"unknown fields are ignored", vb(vbFields.with("x_extra", `{"a":[1,2,{"b":null}]}`).with("metadata", `{"pinned":true,"reactions":[]}`)), []event.Event{wantVbMessage()}},
		{"a repeated key takes its last value", vb(append(props{{"id", `"m-0"`}}, vbFields...)), []event.Event{wantVbMessage()}},
		{"a repeated key whose last value is null keeps the earlier value", vb(append(vbFields.with("id", `"m-1"`), [2]string{"id", `null`})), []event.Event{wantVbMessage()}},
		{"a repeated tm_create whose last value is null keeps the earlier value", vb(append(vbFields.with("tm_create", vbCreate), [2]string{"tm_create", `null`})), []event.Event{wantVbMessage()}},
		{"a repeated medias key takes its last value", vb(append(vbFields.with("medias", `[{"type":"image"}]`), [2]string{"medias", `[]`})), []event.Event{wantVbMessage()}},
		{"keys match in any case", vb(props{
			{"ID", `"m-1"`}, {"Customer_Id", `"c-1"`}, {"owner_type", `"agent"`}, {"OWNER_ID", `"a-1"`},
			{"chat_id", `"t-1"`}, {"type", `"normal"`}, {"Tm_Create", vbCreate},
		}), []event.Event{wantVbMessage()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			value := []byte(c.value)
			out, err := DecodeVoipbin(Record{Value: value, TimestampMs: seedRecordMs}, nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(out) != len(c.want) {
				t.Fatalf("decoded to %d events, want %d", len(out), len(c.want))
			}
			for i := range out {
				if !reflect.DeepEqual(out[i], c.want[i]) {
					t.Fatalf("event %d:\ngot  %s\nwant %s", i+1, renderEvent(t, out[i]), renderEvent(t, c.want[i]))
				}
				assertOwnMemory(t, &out[i], value)
			}
		})
	}
}

func TestVoipbinAppendsToDst(t *testing.T) {
	dst := make([]event.Event, 1, 4)
	dst[0].Kind = event.KindHandover
	value := []byte(vb(vbFields.with("tm_delete", `"2024-01-17 10:40:00.000000"`)))
	out, err := DecodeVoipbin(Record{Value: value, TimestampMs: seedRecordMs}, dst)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 3 || &out[0] != &dst[0] || out[0].Kind != event.KindHandover ||
		!reflect.DeepEqual(out[1:], []event.Event{wantVbMessage(), wantVbDeleted(vbLaterMs)}) {
		t.Fatalf("got %d events, want the message and its receipt appended in place after the existing one", len(out))
	}
}

func TestVoipbinTimeStates(t *testing.T) {
	cases := []struct {
		name  string
		raw   string
		state timeState
		ms    int64
	}{
		{"the seed's zoneless time is UTC", `"2024-01-17 10:32:00.000000"`, timeOK, vbCreateMs},
		{"RFC 3339 with Z is a time", `"2024-01-17T10:32:00Z"`, timeOK, vbCreateMs},
		{"a numeric string is epoch ms", `"1705487520000"`, timeOK, vbCreateMs},
		{"a number is epoch ms", `1705487520000`, timeOK, vbCreateMs},
		{"an escaped string is unescaped", `"\u0031705487520000"`, timeOK, vbCreateMs},
		{"an empty string is absent", `""`, timeAbsent, 0},
		{"an escaped empty string is not", `"\u0020"`, timeBad, 0},
		{"a word is bad", `"soon"`, timeBad, 0},
		{"a lone quote is bad", `"`, timeBad, 0},
		{"nothing is bad", ``, timeBad, 0},
		{"an object is the wrong type", `{}`, timeWrongType, 0},
		{"a boolean is the wrong type", `true`, timeWrongType, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vt := vbTime{ms: 99, state: timeOK}
			if err := vt.UnmarshalJSON([]byte(c.raw)); err != nil {
				t.Fatalf("UnmarshalJSON: %v", err)
			}
			if vt.state != c.state || (c.state == timeOK && vt.ms != c.ms) {
				t.Fatalf("got state %d ms %d, want state %d ms %d", vt.state, vt.ms, c.state, c.ms)
			}
		})
	}
	t.Run("null leaves the time as it was", func(t *testing.T) {
		vt := vbTime{ms: 99, state: timeOK}
		if err := vt.UnmarshalJSON([]byte(`null`)); err != nil {
			t.Fatalf("UnmarshalJSON: %v", err)
		}
		if vt.state != timeOK || vt.ms != 99 {
			t.Fatalf("got state %d ms %d, want the earlier time", vt.state, vt.ms)
		}
	})
}

func TestVoipbinDetect(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  Format
		ok    bool
	}{
		{"a VoIPbin message is detected", vb(vbFields), FormatVoipbin, true},
		{"tm_create before chat_id is detected", `{"tm_create":"","chat_id":""}`, FormatVoipbin, true},
		{"a record with only one of the keys is not detected", `{"chat_id":"t-1","tm_update":""}`, FormatAuto, false},
		{"the keys only inside metadata are not detected", `{"id":"m-1","metadata":{"chat_id":"t-1","tm_create":""}}`, FormatAuto, false},
		{"the keys inside a reaction are not detected", `{"chat_id":"t-1","metadata":{"reactions":[{"tm_create":""}]}}`, FormatAuto, false},
		{"tm_create as a value is not detected", `{"chat_id":"tm_create"}`, FormatAuto, false},
		{"a top-level array is not detected", `[` + vb(vbFields) + `]`, FormatAuto, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Detect([]byte(c.value))
			if got != c.want || ok != c.ok {
				t.Fatalf("Detect = %s, %v; want %s, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestVoipbinSeedRecordsAreDetectedAsVoipbin(t *testing.T) {
	for i, line := range readLines(t, "testdata/voipbin/seed.jsonl") {
		if got, ok := Detect(line); got != FormatVoipbin || !ok {
			t.Errorf("record %d detected as %s, %v", i+1, got, ok)
		}
	}
}

func TestOtherFormatsSeedRecordsAreNotDetectedAsVoipbin(t *testing.T) {
	paths, err := filepath.Glob("testdata/*/seed.jsonl")
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	checked := 0
	for _, path := range paths {
		if filepath.Base(filepath.Dir(path)) == "voipbin" {
			continue
		}
		for i, line := range readLines(t, path) {
			checked++
			if looksVoipbin(line) {
				t.Errorf("%s record %d looks like VoIPbin", path, i+1)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no other format's seed records found under testdata")
	}
}

func TestDecodeAutoDecodesVoipbin(t *testing.T) {
	value := []byte(vb(withReactions(vbFields, vbReactionProps.json())))
	out, err := Decode(FormatAuto, Record{Value: value, TimestampMs: seedRecordMs}, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !reflect.DeepEqual(out, []event.Event{wantVbMessage(), wantVbSet(vbCreateMs, wantVbThumbsUp)}) {
		t.Fatalf("got %d events, want the message and its reaction set", len(out))
	}
}

// benchVoipbin is the seed's example: a reply with one reaction, about 600 bytes.
var benchVoipbin = []byte(`{"id":"a3c5e8f2-4d3a-4b5c-9e7f-1a2b3c4d5e6f","customer_id":"5e4a0680-804e-11ec-8477-2fea5968d85b",` +
	`"owner_type":"agent","owner_id":"eb1ac5c0-ff63-47e2-bcdb-5da9c336eb4b","chat_id":"e8b2e976-f043-44c8-bb89-e214e225e813",` +
	`"parent_id":"b2d4f7a1-3c2e-4f5a-8d9c-2e3f4a5b6c7d","type":"normal","text":"That's a great idea! Let's proceed with that approach.",` +
	`"medias":[],"metadata":{"reactions":[{"emoji":"👍","owner_type":"agent","owner_id":"47fe0b7c-7333-46cf-8b23-61e14e62490a",` +
	`"tm_create":"2024-01-17 10:35:00.000000"}]},"tm_create":"2024-01-17 10:32:00.000000","tm_update":"2024-01-17 10:32:00.000000","tm_delete":""}`)

func BenchmarkDecodeVoipbin(b *testing.B) {
	benchmarkVoipbin(b, benchVoipbin, 2)
}

func BenchmarkDecodeVoipbinText(b *testing.B) {
	benchmarkVoipbin(b, []byte(vb(vbFields)), 1)
}

func BenchmarkDecodeVoipbinLargeMedia(b *testing.B) {
	benchmarkVoipbin(b, []byte(vbWithMedia(`{"type":"image","data":"`+strings.Repeat("QUJD", 10<<18)+`"}`)), 1)
}

func benchmarkVoipbin(b *testing.B, value []byte, events int) {
	rec := Record{Value: value, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, events)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		var err error
		dst, err = DecodeVoipbin(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
		if len(dst) != events {
			b.Fatalf("%d events, want %d", len(dst), events)
		}
	}
}
