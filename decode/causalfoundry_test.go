package decode

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

const (
	// seedRecordMs is the Kafka time given to every test record: 2024-02-14T08:40:00Z, a day after the
	// seed's ts, so that an event taking it is easy to tell.
	seedRecordMs = 1707900000000
	seedTsMs     = 1707836960000 // "2024-02-13 15:09:20Z"
)

func TestCausalFoundrySeedDecodesToGolden(t *testing.T) {
	checkSeedGolden(t, "causalfoundry", DecodeCausalFoundry, 9)
}

// props is an object's fields in order, each a key and a raw JSON value.
type props [][2]string

// with returns a copy whose key has the raw value, appended when new; the raw value "-" removes the key.
func (p props) with(key, raw string) props {
	out := make(props, 0, len(p)+1)
	found := false
	for _, f := range p {
		if f[0] == key {
			found = true
			if raw == "-" {
				continue
			}
			f[1] = raw
		}
		out = append(out, f)
	}
	if !found && raw != "-" {
		out = append(out, [2]string{key, raw})
	}
	return out
}

func (p props) json() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + f[0] + `":` + f[1])
	}
	b.WriteByte('}')
	return b.String()
}

// record builds an envelope; an empty ts is left out.
func record(ts, typ string, p props) string {
	s := `{`
	if ts != "" {
		s += `"ts":` + ts + `,`
	}
	return s + `"type":` + typ + `,"props":` + p.json() + `}`
}

const seedTs = `"2024-02-13 15:09:20Z"`

var (
	textProps = props{
		{"platform", `"whatsapp"`}, {"msg_id", `"m-1"`}, {"sender_type", `"user"`}, {"sender_id", `"u-2"`},
		{"recipient_type", `"user"`}, {"recipient_id", `"b-1"`}, {"parent_msg_id", `null`}, {"type", `"text"`},
		{"body", `{"text":"hi"}`},
	}
	reactionProps = textProps.with("type", `"reaction"`).with("parent_msg_id", `"m-0"`).with("body", `{"emoji":"👍"}`)
	receiptProps  = props{{"type", `"read"`}, {"msg_id", `"m-1"`}, {"member_id", `"u-2"`}}
	joinProps     = props{{"type", `"join"`}, {"group_id", `"g-1"`}, {"member_type", `"bot"`}, {"member_id", `"b-1"`}}
)

func textMessage(p props) string  { return record(seedTs, `"message"`, p) }
func reaction(p props) string     { return record(seedTs, `"message"`, p) }
func receipt(p props) string      { return record(seedTs, `"group"`, p) }
func groupEvent(p props) string   { return record(seedTs, `"group"`, p) }
func withTs(ts string) string     { return record(ts, `"message"`, textProps) }
func invalidUTF8(s string) string { return `"` + s + "\xff\xfe" + `"` }
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + `1` + strings.Repeat(`}`, depth)
}
func longString(n int) string { return `"` + strings.Repeat("x", n) + `"` }
func base64Body(n int) string {
	return `{"mime_type":"image/jpeg","base64":"` + strings.Repeat("QUJD", n/4) + `"}`
}
func wrongTypeProp(key string) string { return textMessage(textProps.with(key, `42`)) }

func TestCausalFoundryRejectsBadInput(t *testing.T) {
	cases := []struct {
		name     string
		value    string
		recordMs int64 // 0 stands for seedRecordMs
		reason   Reason
	}{
		{"empty input is malformed", ``, 0, ReasonMalformed},
		{"whitespace only is malformed", " \n\t ", 0, ReasonMalformed},
		{"a record truncated inside props is malformed", textMessage(textProps)[:80], 0, ReasonMalformed},
		{"a record truncated after a key is malformed", `{"ts":`, 0, ReasonMalformed},
		{"a record missing its closing brace is malformed", strings.TrimSuffix(textMessage(textProps), "}"), 0, ReasonMalformed},
		{"trailing bytes after the object are malformed", textMessage(textProps) + ` x`, 0, ReasonMalformed},
		{"two objects in one record are malformed", textMessage(textProps) + textMessage(textProps), 0, ReasonMalformed},
		{"single-quoted strings are malformed", `{'type':'message'}`, 0, ReasonMalformed},
		{"an invalid escape is malformed", textMessage(textProps.with("msg_id", `"m\x"`)), 0, ReasonMalformed},
		{"a raw newline inside a string is malformed", textMessage(textProps.with("msg_id", "\"m\n1\"")), 0, ReasonMalformed},
		{"nesting deeper than the parser's limit is malformed", textMessage(textProps.with("body", nested(20000))), 0, ReasonMalformed},
		{"a syntax error wins over an earlier type error", `{"type":1,"props":{`, 0, ReasonMalformed},

		{"a top-level array is the wrong type", `[` + textMessage(textProps) + `]`, 0, ReasonWrongType},
		{"a top-level string is the wrong type", `"message"`, 0, ReasonWrongType},
		{"a top-level number is the wrong type", `42`, 0, ReasonWrongType},
		{"a top-level null is the wrong type", ` null `, 0, ReasonWrongType},
		{"null props is the wrong type", `{"ts":` + seedTs + `,"type":"message","props":null}`, 0, ReasonWrongType},
		{"array props is the wrong type", `{"type":"message","props":[]}`, 0, ReasonWrongType},
		{"string props is the wrong type", `{"type":"message","props":"x"}`, 0, ReasonWrongType},
		{"a numeric envelope type is the wrong type", record(seedTs, `1`, textProps), 0, ReasonWrongType},
		{"an object ts is the wrong type", withTs(`{"s":1}`), 0, ReasonWrongType},
		{"a boolean ts is the wrong type", withTs(`true`), 0, ReasonWrongType},
		{"an array ts is the wrong type", withTs(`[1707836960000]`), 0, ReasonWrongType},
		{"a numeric platform is the wrong type", wrongTypeProp("platform"), 0, ReasonWrongType},
		{"a numeric msg_id is the wrong type", wrongTypeProp("msg_id"), 0, ReasonWrongType},
		{"a numeric sender_type is the wrong type", wrongTypeProp("sender_type"), 0, ReasonWrongType},
		{"a numeric sender_id is the wrong type", wrongTypeProp("sender_id"), 0, ReasonWrongType},
		{"a numeric recipient_type is the wrong type", wrongTypeProp("recipient_type"), 0, ReasonWrongType},
		{"a numeric recipient_id is the wrong type", wrongTypeProp("recipient_id"), 0, ReasonWrongType},
		{"a numeric parent_msg_id is the wrong type", wrongTypeProp("parent_msg_id"), 0, ReasonWrongType},
		{"a numeric content type is the wrong type", wrongTypeProp("type"), 0, ReasonWrongType},
		{"a boolean msg_id is the wrong type", textMessage(textProps.with("msg_id", `true`)), 0, ReasonWrongType},
		{"an object sender_id is the wrong type", textMessage(textProps.with("sender_id", `{"id":"u-2"}`)), 0, ReasonWrongType},
		{"a string body is the wrong type", textMessage(textProps.with("body", `"hi"`)), 0, ReasonWrongType},
		{"a numeric emoji is the wrong type", reaction(reactionProps.with("body", `{"emoji":128077}`)), 0, ReasonWrongType},
		{"a numeric group_id is the wrong type", groupEvent(joinProps.with("group_id", `7`)), 0, ReasonWrongType},
		{"a numeric member_id is the wrong type", groupEvent(joinProps.with("member_id", `7`)), 0, ReasonWrongType},
		{"an array member_type is the wrong type", groupEvent(joinProps.with("member_type", `["user"]`)), 0, ReasonWrongType},
		{"a numeric receipt member_id is the wrong type", receipt(receiptProps.with("member_id", `7`)), 0, ReasonWrongType},

		{"invalid utf-8 in msg_id is invalid", textMessage(textProps.with("msg_id", invalidUTF8("m"))), 0, ReasonInvalid},
		{"invalid utf-8 in sender_id is invalid", textMessage(textProps.with("sender_id", invalidUTF8("u"))), 0, ReasonInvalid},
		{"invalid utf-8 in recipient_id is invalid", textMessage(textProps.with("recipient_id", invalidUTF8("b"))), 0, ReasonInvalid},
		{"invalid utf-8 in a receipt's msg_id is invalid", receipt(receiptProps.with("msg_id", invalidUTF8("m"))), 0, ReasonInvalid},
		{"invalid utf-8 in group_id is invalid", groupEvent(joinProps.with("group_id", invalidUTF8("g"))), 0, ReasonInvalid},
		{"invalid utf-8 in the platform is invalid", textMessage(textProps.with("platform", invalidUTF8("wa"))), 0, ReasonInvalid},
		{"a lone surrogate escape in msg_id is invalid", textMessage(textProps.with("msg_id", `"m\ud800"`)), 0, ReasonInvalid},
		{"a lone surrogate emoji is invalid", reaction(reactionProps.with("body", `{"emoji":"\ud83e"}`)), 0, ReasonInvalid},
		{"a msg_id longer than 256 bytes is invalid", textMessage(textProps.with("msg_id", longString(257))), 0, ReasonInvalid},
		{"a platform longer than 256 bytes is invalid", textMessage(textProps.with("platform", longString(300))), 0, ReasonInvalid},
		{"a direct conversation id longer than 256 bytes is invalid", textMessage(textProps.with("sender_id", longString(200)).with("recipient_id", longString(200))), 0, ReasonInvalid},

		{"sender_type in upper case is an unknown enum", textMessage(textProps.with("sender_type", `"Bot"`)), 0, ReasonUnknownEnum},
		{"an unknown sender_type is an unknown enum", textMessage(textProps.with("sender_type", `"customer"`)), 0, ReasonUnknownEnum},
		{"an unknown recipient_type is an unknown enum", textMessage(textProps.with("recipient_type", `"channel"`)), 0, ReasonUnknownEnum},
		{"an unknown content type is an unknown enum", textMessage(textProps.with("type", `"gif"`)), 0, ReasonUnknownEnum},
		{"a content type in upper case is an unknown enum", textMessage(textProps.with("type", `"TEXT"`)), 0, ReasonUnknownEnum},
		{"a receipt status as content type without msg_id is a missing field", textMessage(textProps.with("type", `"read"`).with("msg_id", "-")), 0, ReasonMissingField},
		{"an unknown receipt status with a msg_id is an unknown enum", receipt(receiptProps.with("type", `"seen"`)), 0, ReasonUnknownEnum},
		{"an unknown status under a receipt envelope is an unknown enum", record(seedTs, `"receipt"`, receiptProps.with("type", `"seen"`)), 0, ReasonUnknownEnum},
		{"an unknown group action is an unknown enum", groupEvent(joinProps.with("type", `"explode"`)), 0, ReasonUnknownEnum},
		{"a group action in upper case is an unknown enum", groupEvent(joinProps.with("type", `"JOIN"`)), 0, ReasonUnknownEnum},
		{"an unknown member_type is an unknown enum", groupEvent(joinProps.with("member_type", `"robot"`)), 0, ReasonUnknownEnum},
		{"a group envelope with a content type is an unknown enum", record(seedTs, `"group"`, textProps), 0, ReasonUnknownEnum},
		{"an unknown envelope type is an unknown kind", record(seedTs, `"presence"`, textProps), 0, ReasonUnknownKind},
		{"an envelope type in another case is an unknown kind", record(seedTs, `"Message"`, textProps), 0, ReasonUnknownKind},

		{"a record without props is a missing field", `{"ts":` + seedTs + `,"type":"message"}`, 0, ReasonMissingField},
		{"an empty object is a missing field", `{}`, 0, ReasonMissingField},
		{"empty props of a message is a missing field", `{"type":"message","props":{}}`, 0, ReasonMissingField},
		{"a record without envelope type is a missing field", `{"props":` + joinProps.json() + `}`, 0, ReasonMissingField},
		{"a message without platform is a missing field", textMessage(textProps.with("platform", "-")), 0, ReasonMissingField},
		{"a message with an empty platform is a missing field", textMessage(textProps.with("platform", `""`)), 0, ReasonMissingField},
		{"a message without msg_id is a missing field", textMessage(textProps.with("msg_id", "-")), 0, ReasonMissingField},
		{"a message with an empty msg_id is a missing field", textMessage(textProps.with("msg_id", `""`)), 0, ReasonMissingField},
		{"a message with a null msg_id is a missing field", textMessage(textProps.with("msg_id", `null`)), 0, ReasonMissingField},
		{"a message without sender_type is a missing field", textMessage(textProps.with("sender_type", "-")), 0, ReasonMissingField},
		{"a message without sender_id is a missing field", textMessage(textProps.with("sender_id", "-")), 0, ReasonMissingField},
		{"a message without recipient_type is a missing field", textMessage(textProps.with("recipient_type", "-")), 0, ReasonMissingField},
		{"a message without content type is a missing field", textMessage(textProps.with("type", "-")), 0, ReasonMissingField},
		{"a group message without recipient_id is a missing field", textMessage(textProps.with("recipient_type", `"group"`).with("recipient_id", `null`)), 0, ReasonMissingField},
		{"a reaction without emoji is a missing field", reaction(reactionProps.with("body", `{}`)), 0, ReasonMissingField},
		{"a reaction with an empty emoji is a missing field", reaction(reactionProps.with("body", `{"emoji":""}`)), 0, ReasonMissingField},
		{"a reaction with a null body is a missing field", reaction(reactionProps.with("body", `null`)), 0, ReasonMissingField},
		{"a reaction without body is a missing field", reaction(reactionProps.with("body", "-")), 0, ReasonMissingField},
		{"a reaction with neither parent_msg_id nor msg_id is a missing field", reaction(reactionProps.with("parent_msg_id", `""`).with("msg_id", "-")), 0, ReasonMissingField},
		{"a reaction without sender_id is a missing field", reaction(reactionProps.with("sender_id", "-")), 0, ReasonMissingField},
		{"a reaction without platform is a missing field", reaction(reactionProps.with("platform", "-")), 0, ReasonMissingField},
		{"a receipt envelope without msg_id is a missing field", record(seedTs, `"receipt"`, receiptProps.with("msg_id", "-")), 0, ReasonMissingField},
		{"a receipt status under a group envelope without msg_id is a missing field", receipt(receiptProps.with("msg_id", `""`)), 0, ReasonMissingField},
		{"a receipt envelope without status is a missing field", record(seedTs, `"receipt"`, receiptProps.with("type", "-")), 0, ReasonMissingField},
		{"a group event without props.type is a missing field", groupEvent(joinProps.with("type", "-")), 0, ReasonMissingField},
		{"a join without group_id is a missing field", groupEvent(joinProps.with("group_id", "-")), 0, ReasonMissingField},
		{"a join without member_id is a missing field", groupEvent(joinProps.with("member_id", `null`)), 0, ReasonMissingField},
		{"a create without group_id is a missing field", groupEvent(props{{"type", `"create"`}}), 0, ReasonMissingField},

		{"a ts before 2000 is a bad timestamp", withTs(`"1999-12-31T23:59:59.999Z"`), 0, ReasonBadTimestamp},
		{"a ts at 2100 is a bad timestamp", withTs(`"2100-01-01T00:00:00Z"`), 0, ReasonBadTimestamp},
		{"an epoch ms of 0 is a bad timestamp", withTs(`0`), 0, ReasonBadTimestamp},
		{"epoch seconds are a bad timestamp", withTs(`1707836960`), 0, ReasonBadTimestamp},
		{"a negative epoch is a bad timestamp", withTs(`-1707836960000`), 0, ReasonBadTimestamp},
		{"epoch microseconds are a bad timestamp", withTs(`1707836960000000`), 0, ReasonBadTimestamp},
		{"an epoch number of 1e300 is a bad timestamp", withTs(`1e300`), 0, ReasonBadTimestamp},
		{"an epoch string of 30 digits is a bad timestamp", withTs(`"` + strings.Repeat("9", 30) + `"`), 0, ReasonBadTimestamp},
		{"an empty ts string is a bad timestamp", withTs(`""`), 0, ReasonBadTimestamp},
		{"a ts in words is a bad timestamp", withTs(`"yesterday"`), 0, ReasonBadTimestamp},
		{"a ts without zone is a bad timestamp", withTs(`"2024-02-13 15:09:20"`), 0, ReasonBadTimestamp},
		{"a ts on February 30 is a bad timestamp", withTs(`"2024-02-30T10:00:00Z"`), 0, ReasonBadTimestamp},
		{"a ts at hour 24 is a bad timestamp", withTs(`"2024-02-13T24:00:00Z"`), 0, ReasonBadTimestamp},
		{"a ts with an offset of 24 hours is a bad timestamp", withTs(`"2024-02-13T10:00:00+24:00"`), 0, ReasonBadTimestamp},
		{"a ts with an empty fraction is a bad timestamp", withTs(`"2024-02-13T10:00:00.Z"`), 0, ReasonBadTimestamp},
		{"a date-only ts is a bad timestamp", withTs(`"2024-02-13"`), 0, ReasonBadTimestamp},
		{"a ts of year 10000 is a bad timestamp", withTs(`"10000-01-01T00:00:00Z"`), 0, ReasonBadTimestamp},
		{"a ts in RFC 1123 is a bad timestamp", withTs(`"Tue, 13 Feb 2024 15:09:20 GMT"`), 0, ReasonBadTimestamp},
		{"a missing ts with Kafka's missing record time (-1) is a bad timestamp", record("", `"group"`, joinProps), -1, ReasonBadTimestamp},
		{"a missing ts with a record time after 2100 is a bad timestamp", record("", `"group"`, joinProps), 4102444800000, ReasonBadTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRejected(t, DecodeCausalFoundry, c.value, c.recordMs, c.reason) })
	}
}

func TestCausalFoundryRejectsOversizedRecords(t *testing.T) {
	value := []byte(textMessage(textProps.with("body", base64Body(MaxRecordBytes))))
	_, err := DecodeCausalFoundry(Record{Value: value, TimestampMs: seedRecordMs}, nil)
	if got := ReasonOf(err); got != ReasonTooLarge {
		t.Fatalf("reason %q (%v), want %s", got, err, ReasonTooLarge)
	}
}

// base events of the accepting cases, which change only what they are about.
func wantText() event.Event {
	return event.Event{
		Kind: event.KindMessage, Source: event.SourceCausalFoundry, Platform: "whatsapp", AtMs: seedTsMs,
		Message: event.Message{
			ID: "m-1", ConversationID: "b-1:u-2", Sender: event.Actor{Role: event.RoleUser, ID: "u-2"},
			Recipient: event.Recipient{Type: event.RecipientUser, ID: "b-1"}, ContentType: "text",
		},
	}
}

func wantReaction() event.Event {
	return event.Event{
		Kind: event.KindReaction, Source: event.SourceCausalFoundry, Platform: "whatsapp", AtMs: seedTsMs,
		Reaction: event.Reaction{Target: "m-0", Actor: event.Actor{Role: event.RoleUser, ID: "u-2"}, Emoji: "👍", Present: true},
	}
}

func wantReceipt() event.Event {
	return event.Event{
		Kind: event.KindReceipt, Source: event.SourceCausalFoundry, AtMs: seedTsMs,
		Receipt: event.Receipt{Msg: "m-1", Member: "u-2", Status: event.StatusRead},
	}
}

func wantJoin() event.Event {
	return event.Event{
		Kind: event.KindMembership, Source: event.SourceCausalFoundry, AtMs: seedTsMs,
		Membership: event.Membership{Group: "g-1", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleBot, ID: "b-1"}},
	}
}

func change(ev event.Event, f func(*event.Event)) event.Event {
	f(&ev)
	return ev
}

func TestCausalFoundryAcceptsEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  event.Event
	}{
		{"a platform in mixed case is lower-cased", textMessage(textProps.with("platform", `"WhatsApp"`)), wantText()},
		{"an unlisted platform is kept in lower case", textMessage(textProps.with("platform", `"Signal"`)),
			change(wantText(), func(e *event.Event) { e.Platform = "signal" })},
		{"a ts in RFC 3339 with an offset is converted to UTC", withTs(`"2024-02-13T16:39:20.5+01:30"`),
			change(wantText(), func(e *event.Event) { e.AtMs = seedTsMs + 500 })},
		{"a ts with nanoseconds keeps milliseconds", withTs(`"2024-02-13t15:09:20.123456789z"`),
			change(wantText(), func(e *event.Event) { e.AtMs = seedTsMs + 123 })},
		{"a ts as a JSON number is epoch ms", withTs(`1707836960042`),
			change(wantText(), func(e *event.Event) { e.AtMs = seedTsMs + 42 })},
		{"a ts as a numeric string is epoch ms", withTs(`"1707836960042"`),
			change(wantText(), func(e *event.Event) { e.AtMs = seedTsMs + 42 })},
		{"a ts as a JSON number with a fraction drops it", withTs(`1.7078369600429e12`),
			change(wantText(), func(e *event.Event) { e.AtMs = seedTsMs + 42 })},
		{"a ts with escapes is unescaped", withTs(`"2024-02-13\u002015:09:20Z"`), wantText()},
		{"a ts at the first millisecond of 2000 is accepted", withTs(`"2000-01-01T00:00:00Z"`),
			change(wantText(), func(e *event.Event) { e.AtMs = event.MinAtMs })},
		{"a null ts takes the record time", withTs(`null`),
			change(wantText(), func(e *event.Event) { e.AtMs = seedRecordMs })},
		{"a missing ts takes the record time", record("", `"message"`, textProps),
			change(wantText(), func(e *event.Event) { e.AtMs = seedRecordMs })},
		{"a repeated key takes its last value", textMessage(append(props{{"msg_id", `"m-0"`}}, textProps...)), wantText()},
		{"a repeated key whose last value is null keeps the earlier value", textMessage(append(textProps.with("msg_id", `"m-1"`), [2]string{"msg_id", `null`})), wantText()},
		{"a repeated props object merges into the earlier one", `{"ts":` + seedTs + `,"type":"message","props":` + textProps.with("msg_id", "-").json() + `,"props":{"msg_id":"m-1"}}`, wantText()},
		{"keys match in any case", textMessage(props{
			{"PLATFORM", `"whatsapp"`}, {"Msg_Id", `"m-1"`}, {"sender_type", `"user"`}, {"sender_id", `"u-2"`},
			{"recipient_type", `"user"`}, {"recipient_id", `"b-1"`}, {"type", `"text"`},
		}), wantText()},
		{"an empty parent_msg_id means no parent", textMessage(textProps.with("parent_msg_id", `""`)), wantText()},
		{"a parent_msg_id makes a reply", textMessage(textProps.with("parent_msg_id", `"m-0"`)),
			change(wantText(), func(e *event.Event) { e.Message.Parent = "m-0" })},
		{"a direct conversation is the sorted pair of participants", textMessage(textProps.with("sender_id", `"a-9"`)),
			change(wantText(), func(e *event.Event) { e.Message.ConversationID = "a-9:b-1"; e.Message.Sender.ID = "a-9" })},
		{"a message without recipient_id is the sender's conversation", textMessage(textProps.with("recipient_id", `null`)),
			change(wantText(), func(e *event.Event) { e.Message.ConversationID = "u-2"; e.Message.Recipient.ID = "" })},
		{"a group message's conversation is the group", textMessage(textProps.with("recipient_type", `"group"`).with("recipient_id", `"g-1"`)),
			change(wantText(), func(e *event.Event) {
				e.Message.ConversationID = "g-1"
				e.Message.Recipient = event.Recipient{Type: event.RecipientGroup, ID: "g-1"}
			})},
		{"an agent sender is accepted", textMessage(textProps.with("sender_type", `"agent"`)),
			change(wantText(), func(e *event.Event) { e.Message.Sender.Role = event.RoleAgent })},
		{"a location message is accepted", textMessage(textProps.with("type", `"location"`)),
			change(wantText(), func(e *event.Event) { e.Message.ContentType = "location" })},
		{"unknown fields are ignored", textMessage(textProps.with("x_extra", `{"a":[1,2,{"b":null}]}`).with("caption", `"c"`)), wantText()},
		{"invalid utf-8 in the body text is ignored", textMessage(textProps.with("body", `{"text":`+invalidUTF8("hi")+`}`)), wantText()},
		{"a null body of a message is ignored", textMessage(textProps.with("body", `null`)), wantText()},
		{"nesting 1000 levels deep in the body is skipped", textMessage(textProps.with("body", nested(1000))), wantText()},
		{"a 10 MB base64 body decodes to one message", textMessage(textProps.with("type", `"image"`).with("body", base64Body(10<<20))),
			change(wantText(), func(e *event.Event) { e.Message.ContentType = "image" })},
		{"a reaction targets its parent_msg_id", reaction(reactionProps), wantReaction()},
		{"a reaction without parent targets its msg_id", reaction(reactionProps.with("parent_msg_id", `null`).with("msg_id", `"m-0"`)), wantReaction()},
		{"a reaction with a 10 MB base64 beside the emoji keeps only the emoji", reaction(reactionProps.with("body", `{"base64":"`+strings.Repeat("QUJD", 10<<18)+`","emoji":"👍"}`)), wantReaction()},
		{"a receipt under a group envelope is a receipt", receipt(receiptProps), wantReceipt()},
		{"a receipt under a receipt envelope is a receipt", record(seedTs, `"receipt"`, receiptProps), wantReceipt()},
		{"a receipt under a message envelope is a receipt", record(seedTs, `"message"`, receiptProps), wantReceipt()},
		{"a receipt without member names none", receipt(receiptProps.with("member_id", `null`)),
			change(wantReceipt(), func(e *event.Event) { e.Receipt.Member = "" })},
		{"a receipt keeps its platform in lower case", receipt(receiptProps.with("platform", `"Telegram"`)),
			change(wantReceipt(), func(e *event.Event) { e.Platform = "telegram" })},
		{"a join with a bot member", groupEvent(joinProps), wantJoin()},
		{"a join without member_type is a user's", groupEvent(joinProps.with("member_type", "-")),
			change(wantJoin(), func(e *event.Event) { e.Membership.Member.Role = event.RoleUser })},
		{"a group-level action ignores member fields", groupEvent(joinProps.with("type", `"delete"`)),
			change(wantJoin(), func(e *event.Event) {
				e.Membership.Action = event.ActionDelete
				e.Membership.Member = event.Actor{}
			})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			value := []byte(c.value)
			out, err := DecodeCausalFoundry(Record{Value: value, TimestampMs: seedRecordMs}, nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(out) != 1 {
				t.Fatalf("decoded to %d events", len(out))
			}
			if !reflect.DeepEqual(out[0], c.want) {
				t.Fatalf("got  %s\nwant %s", renderEvent(t, out[0]), renderEvent(t, c.want))
			}
			assertOwnMemory(t, &out[0], value)
		})
	}
}

func TestCausalFoundryAppendsToDst(t *testing.T) {
	dst := make([]event.Event, 1, 4)
	dst[0].Kind = event.KindHandover
	out, err := DecodeCausalFoundry(Record{Value: []byte(receipt(receiptProps)), TimestampMs: seedRecordMs}, dst)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 2 || &out[0] != &dst[0] || out[0].Kind != event.KindHandover || !reflect.DeepEqual(out[1], wantReceipt()) {
		t.Fatalf("got %d events, want the receipt appended in place after the existing one", len(out))
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  Format
		ok    bool
	}{
		{"a Causal Foundry message is detected", textMessage(textProps), FormatCausalFoundry, true},
		{"a Causal Foundry group event without ts is detected", record("", `"group"`, joinProps), FormatCausalFoundry, true},
		{"props before type is detected", `{"props":{},"type":"group"}`, FormatCausalFoundry, true},
		{"an object without props is not detected", `{"type":"message","text":"hi"}`, FormatAuto, false},
		{"props and type only nested are not detected", `{"data":{"type":"message","props":{}}}`, FormatAuto, false},
		{"props as a value is not detected", `{"type":"props","kind":"x"}`, FormatAuto, false},
		{"keys inside a nested array are not detected", `{"type":"x","list":[{"props":1}]}`, FormatAuto, false},
		{"an escaped quote in a value does not end the string", `{"a":"\",\"props\":1","type":"x"}`, FormatAuto, false},
		{"a top-level array is not detected", `[{"type":"message","props":{}}]`, FormatAuto, false},
		{"random JSON is not detected", `{"id":"42","customer_id":"c","chat_id":"x","type":"normal"}`, FormatAuto, false},
		{"a number is not detected", `12`, FormatAuto, false},
		{"empty input is not detected", ``, FormatAuto, false},
		{"a truncated object is not detected", `{"type":"mess`, FormatAuto, false},
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

func TestDecodeAutoDecodesCausalFoundry(t *testing.T) {
	out, err := Decode(FormatAuto, Record{Value: []byte(receipt(receiptProps)), TimestampMs: seedRecordMs}, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 1 || !reflect.DeepEqual(out[0], wantReceipt()) {
		t.Fatalf("got %d events, want the receipt", len(out))
	}
}

// benchText is a typical text message of about 400 bytes.
var benchText = []byte(`{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"whatsapp",` +
	`"msg_id":"3c6b469b-ef05-492d-988c-add03cf260de","sender_type":"bot","sender_id":"913c37fd-341b-42d5-9814-0a061c45617e",` +
	`"recipient_type":"user","recipient_id":"1e7c1a8b-c291-48df-9ad2-55aecd684270",` +
	`"parent_msg_id":"dba92739-0d4f-49bf-9bd4-0f2116d49221","type":"text",` +
	`"body":{"text":"Hello! Your appointment is confirmed for Tuesday at 10:00. Reply 1 to reschedule or 2 to cancel."}}}`)

func BenchmarkDecodeCausalFoundry(b *testing.B) {
	rec := Record{Value: benchText, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		var err error
		dst, err = DecodeCausalFoundry(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCausalFoundryLargeBody(b *testing.B) {
	value := []byte(textMessage(textProps.with("type", `"image"`).with("body", base64Body(10<<20))))
	rec := Record{Value: value, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		var err error
		dst, err = DecodeCausalFoundry(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}
