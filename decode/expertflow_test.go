package decode

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// The seed document shows only fragments (the to and from participants, the attribute table), so every line
// of testdata/expertflow/seed.jsonl is a complete record built from them, with all documented attributes:
//
//  1. ChatMessage: the from fragment (Customer "Rizwan") to one Agent, tag Default, processByBot false.
//  2. BotMessage to all (to empty), with input, intents, output, botResponseType structured and structuredData.
//  3. ContactMessage with the contact attribute (phone number and name), timestamp as a numeric string.
//  4. LocationMessage to all with the location attribute, channel Viber.
//  5. ChatMessage of the Agent to the to fragment (the Customer) with one image attachment, timestamp without zone.
//  6. ChatMessage of a Supervisor to the Agent, tag Whisper, channel SMS.
//  7. ActivityMessage participantJoined: the Bot joins by itself (to empty).
//  8. ActivityMessage participantAdded: the Supervisor adds the Agent (to names the Agent).
//  9. ActivityMessage participantLeft: the Agent leaves.
//  10. ActivityMessage handoff: the Bot hands the Customer (in to) over to an agent, timestamp in epoch ms.
//  11. ActivityMessage noAgentAvailable: the conversation of the Customer stays with the Bot.
const efSeedLines = 11

const (
	efTs   = `"2021-06-15T09:41:07.512Z"`
	efTsMs = 1623750067512
)

func TestExpertflowSeedDecodesToGolden(t *testing.T) {
	checkSeedGolden(t, "expertflow", DecodeExpertflow, efSeedLines)
}

var (
	efCustomer   = `{"id":"u-1","name":"Rizwan","firstName":"Rizwan","lastName":"","alias":"undefined","type":"Customer"}`
	efAgent      = `{"id":"a-1","name":"Sara","alias":"Sara","type":"Agent"}`
	efBot        = `{"id":"b-1","name":"Rasa","alias":"undefined","type":"Bot"}`
	efSupervisor = `{"id":"s-1","name":"Ahmed","alias":"Ahmed","type":"Supervisor"}`

	// efChatProps is a customer's text message to one agent.
	efChatProps = props{
		{"messageId", `"m-1"`}, {"conversationId", `"c-1"`}, {"to", `[` + efAgent + `]`}, {"from", efCustomer},
		{"messageType", `"ChatMessage"`}, {"timestamp", efTs}, {"tag", `"Default"`}, {"refId", `"923001234567"`},
		{"processByBot", `false`}, {"channel", `"WhatsApp"`}, {"text", `"hi"`}, {"attachments", `[]`},
		{"intents", `[]`}, {"output", `[]`}, {"entities", `[]`},
	}
	// efJoinProps is the bot joining by itself.
	efJoinProps = efChatProps.with("messageType", `"ActivityMessage"`).with("activityType", `"participantJoined"`).
			with("from", efBot).with("to", `[]`)
	// efHandoffProps is the bot handing the customer over to an agent.
	efHandoffProps = efJoinProps.with("activityType", `"handoff"`).with("to", `[`+efCustomer+`]`)
)

func efRec(p props) string { return p.json() }
func efChat(key, raw string) string {
	return efChatProps.with(key, raw).json()
}
func efStamp(raw string) string { return efChat("timestamp", raw) }
func efJoin(key, raw string) string {
	return efJoinProps.with(key, raw).json()
}
func efHandoff(key, raw string) string {
	return efHandoffProps.with(key, raw).json()
}
func efAttach(raw string) string { return efChat("attachments", raw) }

func TestExpertflowRejectsBadInput(t *testing.T) {
	cases := []struct {
		name     string
		value    string
		recordMs int64 // 0 stands for seedRecordMs
		reason   Reason
	}{
		{"empty input is malformed", ``, 0, ReasonMalformed},
		{"whitespace only is malformed", " \r\n ", 0, ReasonMalformed},
		{"a record truncated inside from is malformed", efRec(efChatProps)[:strings.Index(efRec(efChatProps), `"from"`)+20], 0, ReasonMalformed},
		{"a record truncated after a key is malformed", `{"messageType":`, 0, ReasonMalformed},
		{"a record truncated inside the to list is malformed", `{"messageType":"ChatMessage","to":[{"id":"a-1"},`, 0, ReasonMalformed},
		{"a record missing its closing brace is malformed", strings.TrimSuffix(efRec(efChatProps), "}"), 0, ReasonMalformed},
		{"trailing bytes after the object are malformed", efRec(efChatProps) + ` x`, 0, ReasonMalformed},
		{"two objects in one record are malformed", efRec(efChatProps) + efRec(efChatProps), 0, ReasonMalformed},
		{"single-quoted strings are malformed", `{'messageType':'ChatMessage'}`, 0, ReasonMalformed},
		{"an invalid escape is malformed", efChat("messageId", `"m\x"`), 0, ReasonMalformed},
		{"a raw newline inside a string is malformed", efChat("text", "\"a\nb\""), 0, ReasonMalformed},
		{"a missing comma inside the to list is malformed", efChat("to", `[`+efAgent+` `+efBot+`]`), 0, ReasonMalformed},
		{"a trailing comma inside the to list is malformed", efChat("to", `[`+efAgent+`,]`), 0, ReasonMalformed},
		{"nesting deeper than the parser's limit in text is malformed", efChat("text", nested(20000)), 0, ReasonMalformed},
		{"nesting deeper than the parser's limit in a participant is malformed", efChat("to", `[`+nested(20000)+`]`), 0, ReasonMalformed},
		{"nesting deeper than the parser's limit in an attachment is malformed", efAttach(`[{"data":` + nested(20000) + `}]`), 0, ReasonMalformed},
		{"a syntax error wins over an earlier type error", `{"messageType":1,"from":{`, 0, ReasonMalformed},

		{"a top-level array is the wrong type", `[` + efRec(efChatProps) + `]`, 0, ReasonWrongType},
		{"a top-level string is the wrong type", `"ChatMessage"`, 0, ReasonWrongType},
		{"a top-level number is the wrong type", `42`, 0, ReasonWrongType},
		{"a top-level null is the wrong type", ` null `, 0, ReasonWrongType},
		{"a numeric messageId is the wrong type", efChat("messageId", `42`), 0, ReasonWrongType},
		{"a boolean messageId is the wrong type", efChat("messageId", `true`), 0, ReasonWrongType},
		{"a numeric conversationId is the wrong type", efChat("conversationId", `42`), 0, ReasonWrongType},
		{"an object messageType is the wrong type", efChat("messageType", `{"name":"ChatMessage"}`), 0, ReasonWrongType},
		{"a numeric channel is the wrong type", efChat("channel", `1`), 0, ReasonWrongType},
		{"a numeric activityType is the wrong type", efJoin("activityType", `3`), 0, ReasonWrongType},
		{"a string from is the wrong type", efChat("from", `"u-1"`), 0, ReasonWrongType},
		{"an array from is the wrong type", efChat("from", `[`+efCustomer+`]`), 0, ReasonWrongType},
		{"a numeric from.id is the wrong type", efChat("from", `{"id":7,"type":"Customer"}`), 0, ReasonWrongType},
		{"an array from.type is the wrong type", efChat("from", `{"id":"u-1","type":["Customer"]}`), 0, ReasonWrongType},
		{"an object to is the wrong type", efChat("to", efAgent), 0, ReasonWrongType},
		{"a string to is the wrong type", efChat("to", `"a-1"`), 0, ReasonWrongType},
		{"a boolean to is the wrong type", efChat("to", `false`), 0, ReasonWrongType},
		{"a string participant in to is the wrong type", efChat("to", `["a-1"]`), 0, ReasonWrongType},
		{"a numeric participant in to is the wrong type", efChat("to", `[`+efAgent+`,5]`), 0, ReasonWrongType},
		{"a numeric to[].id is the wrong type", efChat("to", `[{"id":5,"type":"Agent"}]`), 0, ReasonWrongType},
		{"an object attachments is the wrong type", efAttach(`{"mimeType":"image/png"}`), 0, ReasonWrongType},
		{"a string attachments is the wrong type", efAttach(`"image.png"`), 0, ReasonWrongType},
		{"a string attachment is the wrong type", efAttach(`["https://example.com/a.png"]`), 0, ReasonWrongType},
		{"a numeric mimeType is the wrong type", efAttach(`[{"mimeType":7}]`), 0, ReasonWrongType},
		{"an object timestamp is the wrong type", efStamp(`{"$date":"2021-06-15T09:41:07.512Z"}`), 0, ReasonWrongType},
		{"a boolean timestamp is the wrong type", efStamp(`true`), 0, ReasonWrongType},
		{"an array timestamp is the wrong type", efStamp(`[1623750067512]`), 0, ReasonWrongType},

		{"invalid utf-8 in messageId is invalid", efChat("messageId", invalidUTF8("m")), 0, ReasonInvalid},
		{"invalid utf-8 in conversationId is invalid", efChat("conversationId", invalidUTF8("c")), 0, ReasonInvalid},
		{"invalid utf-8 in from.id is invalid", efChat("from", `{"id":`+invalidUTF8("u")+`,"type":"Customer"}`), 0, ReasonInvalid},
		{"invalid utf-8 in to[0].id is invalid", efChat("to", `[{"id":`+invalidUTF8("a")+`,"type":"Agent"}]`), 0, ReasonInvalid},
		{"invalid utf-8 in the channel is invalid", efChat("channel", invalidUTF8("web")), 0, ReasonInvalid},
		{"invalid utf-8 in a member id is invalid", efJoin("from", `{"id":`+invalidUTF8("b")+`,"type":"Bot"}`), 0, ReasonInvalid},
		{"invalid utf-8 in a handover's customer id is invalid", efHandoff("to", `[{"id":`+invalidUTF8("u")+`,"type":"Customer"}]`), 0, ReasonInvalid},
		{"a lone surrogate escape in conversationId is invalid", efChat("conversationId", `"c\udc00"`), 0, ReasonInvalid},
		{"a messageId longer than 256 bytes is invalid", efChat("messageId", longString(257)), 0, ReasonInvalid},
		{"a conversationId longer than 256 bytes is invalid", efChat("conversationId", longString(300)), 0, ReasonInvalid},
		{"a conversationId longer than 256 bytes of a handover is invalid", efHandoff("conversationId", longString(300)), 0, ReasonInvalid},
		{"a channel longer than 256 bytes is invalid", efChat("channel", longString(300)), 0, ReasonInvalid},
		{"a recipient id longer than 256 bytes is invalid", efChat("to", `[{"id":`+longString(257)+`,"type":"Agent"}]`), 0, ReasonInvalid},

		{"an unknown messageType is an unknown enum", efChat("messageType", `"TypingIndicator"`), 0, ReasonUnknownEnum},
		{"a messageType in lower case is an unknown enum", efChat("messageType", `"chatmessage"`), 0, ReasonUnknownEnum},
		{"an unknown messageType wins over a missing conversationId", efChatProps.with("messageType", `"Receipt"`).with("conversationId", "-").json(), 0, ReasonUnknownEnum},
		{"a from.type in upper case is an unknown enum", efChat("from", `{"id":"u-1","type":"CUSTOMER"}`), 0, ReasonUnknownEnum},
		{"a canonical role name as from.type is an unknown enum", efChat("from", `{"id":"u-1","type":"user"}`), 0, ReasonUnknownEnum},
		{"an unknown to[].type is an unknown enum", efChat("to", `[{"id":"a-1","type":"Robot"}]`), 0, ReasonUnknownEnum},
		{"an unknown type of a later participant in to is an unknown enum", efChat("to", `[`+efAgent+`,{"id":"x","type":"System"}]`), 0, ReasonUnknownEnum},
		{"an unknown from.type of a handoff is an unknown enum", efHandoff("from", `{"id":"x","type":"System"}`), 0, ReasonUnknownEnum},
		{"an unknown activityType is an unknown enum", efJoin("activityType", `"participantKicked"`), 0, ReasonUnknownEnum},
		{"an activityType in another case is an unknown enum", efJoin("activityType", `"Handoff"`), 0, ReasonUnknownEnum},

		{"an empty object is a missing field", `{}`, 0, ReasonMissingField},
		{"a record without messageType is a missing field", efChat("messageType", "-"), 0, ReasonMissingField},
		{"an empty messageType is a missing field", efChat("messageType", `""`), 0, ReasonMissingField},
		{"a null messageType is a missing field", efChat("messageType", `null`), 0, ReasonMissingField},
		{"a record without conversationId is a missing field", efChat("conversationId", "-"), 0, ReasonMissingField},
		{"an empty conversationId is a missing field", efChat("conversationId", `""`), 0, ReasonMissingField},
		{"an activity without conversationId is a missing field", efJoin("conversationId", `null`), 0, ReasonMissingField},
		{"a record without channel is a missing field", efChat("channel", "-"), 0, ReasonMissingField},
		{"an empty channel is a missing field", efChat("channel", `""`), 0, ReasonMissingField},
		{"an activity with a null channel is a missing field", efHandoff("channel", `null`), 0, ReasonMissingField},
		{"a message without messageId is a missing field", efChat("messageId", "-"), 0, ReasonMissingField},
		{"a message with an empty messageId is a missing field", efChat("messageId", `""`), 0, ReasonMissingField},
		{"a contact message without messageId is a missing field", efChatProps.with("messageType", `"ContactMessage"`).with("messageId", `null`).json(), 0, ReasonMissingField},
		{"a message without from is a missing field", efChat("from", "-"), 0, ReasonMissingField},
		{"a message with a null from is a missing field", efChat("from", `null`), 0, ReasonMissingField},
		{"a message without from.id is a missing field", efChat("from", `{"name":"Rizwan","type":"Customer"}`), 0, ReasonMissingField},
		{"a message with an empty from.id is a missing field", efChat("from", `{"id":"","type":"Customer"}`), 0, ReasonMissingField},
		{"a message without from.type is a missing field", efChat("from", `{"id":"u-1"}`), 0, ReasonMissingField},
		{"a message to one participant without id is a missing field", efChat("to", `[{"name":"Sara","type":"Agent"}]`), 0, ReasonMissingField},
		{"an activity without activityType is a missing field", efJoin("activityType", "-"), 0, ReasonMissingField},
		{"an activity with an empty activityType is a missing field", efJoin("activityType", `""`), 0, ReasonMissingField},
		{"a join without from or to is a missing field", efJoinProps.with("from", "-").with("to", "-").json(), 0, ReasonMissingField},
		{"a join whose from has no id is a missing field", efJoin("from", `{"type":"Bot"}`), 0, ReasonMissingField},
		{"a join whose from has no type is a missing field", efJoin("from", `{"id":"b-1"}`), 0, ReasonMissingField},
		{"a join whose one participant in to has no type is a missing field", efJoin("to", `[{"id":"a-1"}]`), 0, ReasonMissingField},
		{"a leave whose one participant in to has no id is a missing field", efJoinProps.with("activityType", `"participantLeft"`).with("to", `[{"type":"Agent"}]`).json(), 0, ReasonMissingField},

		{"a timestamp before 2000 is a bad timestamp", efStamp(`"1999-12-31T23:59:59.999Z"`), 0, ReasonBadTimestamp},
		{"a zoneless timestamp before 2000 is a bad timestamp", efStamp(`"1999-12-31T23:59:59"`), 0, ReasonBadTimestamp},
		{"a timestamp at 2100 is a bad timestamp", efStamp(`"2100-01-01T00:00:00Z"`), 0, ReasonBadTimestamp},
		{"a zoneless timestamp at 2100 is a bad timestamp", efStamp(`"2100-01-01 00:00:00.000"`), 0, ReasonBadTimestamp},
		{"an epoch ms of 0 is a bad timestamp", efStamp(`0`), 0, ReasonBadTimestamp},
		{"epoch seconds are a bad timestamp", efStamp(`1623750067`), 0, ReasonBadTimestamp},
		{"epoch seconds as a string are a bad timestamp", efStamp(`"1623750067"`), 0, ReasonBadTimestamp},
		{"a negative epoch is a bad timestamp", efStamp(`-1623750067512`), 0, ReasonBadTimestamp},
		{"epoch microseconds are a bad timestamp", efStamp(`1623750067512000`), 0, ReasonBadTimestamp},
		{"an epoch number of 1e300 is a bad timestamp", efStamp(`1e300`), 0, ReasonBadTimestamp},
		{"an epoch string of 30 digits is a bad timestamp", efStamp(`"` + strings.Repeat("9", 30) + `"`), 0, ReasonBadTimestamp},
		{"an empty timestamp string is a bad timestamp", efStamp(`""`), 0, ReasonBadTimestamp},
		{"a timestamp in words is a bad timestamp", efStamp(`"just now"`), 0, ReasonBadTimestamp},
		{"a timestamp on February 30 is a bad timestamp", efStamp(`"2021-02-30T10:00:00Z"`), 0, ReasonBadTimestamp},
		{"a zoneless timestamp at hour 24 is a bad timestamp", efStamp(`"2021-06-15T24:00:00"`), 0, ReasonBadTimestamp},
		{"a timestamp with an offset of 24 hours is a bad timestamp", efStamp(`"2021-06-15T10:00:00+24:00"`), 0, ReasonBadTimestamp},
		{"a timestamp with an offset minute of 60 is a bad timestamp", efStamp(`"2021-06-15T10:00:00+0560"`), 0, ReasonBadTimestamp},
		{"a timestamp with a one-digit offset is a bad timestamp", efStamp(`"2021-06-15T10:00:00+5"`), 0, ReasonBadTimestamp},
		{"a timestamp with an offset of three digits is a bad timestamp", efStamp(`"2021-06-15T10:00:00+053"`), 0, ReasonBadTimestamp},
		{"a timestamp with an empty fraction is a bad timestamp", efStamp(`"2021-06-15T10:00:00."`), 0, ReasonBadTimestamp},
		{"a timestamp without seconds is a bad timestamp", efStamp(`"2021-06-15T09:41Z"`), 0, ReasonBadTimestamp},
		{"a date-only timestamp is a bad timestamp", efStamp(`"2021-06-15"`), 0, ReasonBadTimestamp},
		{"a timestamp in RFC 1123 is a bad timestamp", efStamp(`"Tue, 15 Jun 2021 09:41:07 GMT"`), 0, ReasonBadTimestamp},
		{"a timestamp in JavaScript's Date string is a bad timestamp", efStamp(`"Tue Jun 15 2021 09:41:07 GMT+0000"`), 0, ReasonBadTimestamp},
		{"a missing timestamp with Kafka's missing record time (-1) is a bad timestamp", efChat("timestamp", "-"), -1, ReasonBadTimestamp},
		{"a null timestamp with a record time after 2100 is a bad timestamp", efJoin("timestamp", `null`), 4102444800000, ReasonBadTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRejected(t, DecodeExpertflow, c.value, c.recordMs, c.reason) })
	}
}

func TestExpertflowRejectsOversizedRecords(t *testing.T) {
	value := []byte(efChat("text", longString(MaxRecordBytes)))
	_, err := DecodeExpertflow(Record{Value: value, TimestampMs: seedRecordMs}, nil)
	if got := ReasonOf(err); got != ReasonTooLarge {
		t.Fatalf("reason %q (%v), want %s", got, err, ReasonTooLarge)
	}
}

// base events of the accepting cases, which change only what they are about.
func efWantChat() event.Event {
	return event.Event{
		Kind: event.KindMessage, Source: event.SourceExpertflow, Platform: "whatsapp", AtMs: efTsMs,
		Message: event.Message{
			ID: "m-1", ConversationID: "c-1", Sender: event.Actor{Role: event.RoleUser, ID: "u-1"},
			Recipient: event.Recipient{Type: event.RecipientUser, ID: "a-1"}, ContentType: "text",
		},
	}
}

// efToAll is efWantChat addressed to every participant of the conversation.
func efToAll() event.Event {
	return change(efWantChat(), func(e *event.Event) {
		e.Message.Recipient = event.Recipient{Type: event.RecipientGroup, ID: "c-1"}
	})
}

func efContent(content string) event.Event {
	return change(efWantChat(), func(e *event.Event) { e.Message.ContentType = content })
}

func efWantJoin() event.Event {
	return event.Event{
		Kind: event.KindMembership, Source: event.SourceExpertflow, Platform: "whatsapp", AtMs: efTsMs,
		Membership: event.Membership{Group: "c-1", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleBot, ID: "b-1"}},
	}
}

func efWantHandoff() event.Event {
	return event.Event{
		Kind: event.KindHandover, Source: event.SourceExpertflow, Platform: "whatsapp", AtMs: efTsMs,
		Handover: event.Handover{ConversationID: "c-1", To: event.RoleAgent, User: "u-1"},
	}
}

func efAt(ms int64) event.Event {
	return change(efWantChat(), func(e *event.Event) { e.AtMs = ms })
}

// efBig is a JSON string of n bytes, for fields that must be skipped, not copied.
func efBig(n int) string { return `"` + strings.Repeat("QUJD", n/4) + `"` }

func TestExpertflowAcceptsEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  event.Event
	}{
		{"a customer's message to one agent is addressed to that agent", efRec(efChatProps), efWantChat()},
		{"a channel in mixed case is lower-cased", efChat("channel", `"wHaTsApP"`), efWantChat()},
		{"an SMS channel is lower-cased", efChat("channel", `"SMS"`),
			change(efWantChat(), func(e *event.Event) { e.Platform = "sms" })},
		{"an unlisted channel is kept in lower case", efChat("channel", `"Telegram"`),
			change(efWantChat(), func(e *event.Event) { e.Platform = "telegram" })},

		{"a timestamp without zone is UTC", efStamp(`"2021-06-15T09:41:07.512"`), efWantChat()},
		{"a timestamp without zone and fraction is UTC", efStamp(`"2021-06-15T09:41:07"`), efAt(efTsMs - 512)},
		{"a timestamp with a space and without zone is UTC", efStamp(`"2021-06-15 09:41:07.512"`), efWantChat()},
		{"a timestamp with Z and without fraction", efStamp(`"2021-06-15T09:41:07Z"`), efAt(efTsMs - 512)},
		{"a timestamp with an offset is converted to UTC", efStamp(`"2021-06-15T14:41:07.512+05:00"`), efWantChat()},
		{"a timestamp with an offset without colon is converted to UTC", efStamp(`"2021-06-15T14:41:07.512+0500"`), efWantChat()},
		{"a timestamp with an offset of hours only is converted to UTC", efStamp(`"2021-06-15T04:41:07.512-05"`), efWantChat()},
		{"a timestamp with a negative half-hour offset is converted to UTC", efStamp(`"2021-06-15T06:11:07-0330"`), efAt(efTsMs - 512)},
		{"a timestamp with microseconds keeps milliseconds", efStamp(`"2021-06-15T09:41:07.512999"`), efWantChat()},
		{"a timestamp as a JSON number is epoch ms", efStamp(`1623750067512`), efWantChat()},
		{"a timestamp as a numeric string is epoch ms", efStamp(`"1623750067512"`), efWantChat()},
		{"a timestamp as a JSON number with a fraction drops it", efStamp(`1623750067512.9`), efWantChat()},
		{"a timestamp as a JSON number in exponent form is epoch ms", efStamp(`1.623750067512e12`), efWantChat()},
		{"a zoneless timestamp with escapes is unescaped", efStamp(`"2021-06-15T09:41:07\u002e512"`), efWantChat()},
		{"a null timestamp takes the record time", efStamp(`null`), efAt(seedRecordMs)},
		{"a missing timestamp takes the record time", efChat("timestamp", "-"), efAt(seedRecordMs)},

		{"a repeated key takes its last value", efRec(append(props{{"messageId", `"m-0"`}}, efChatProps...)), efWantChat()},
		{"a repeated key whose last value is null keeps the earlier value", efRec(append(efChatProps.with("messageId", `"m-1"`), [2]string{"messageId", `null`})), efWantChat()},
		{"a repeated to takes the last list", efRec(append(props{{"to", `[` + efBot + `,` + efSupervisor + `]`}}, efChatProps...)), efWantChat()},
		{"a repeated to whose last value is null keeps the earlier list", efRec(append(efChatProps.with("to", `[`+efAgent+`]`), [2]string{"to", `null`})), efWantChat()},
		{"a repeated attachments takes the last list", efRec(append(efChatProps.with("attachments", `[{"mimeType":"image/png"}]`), [2]string{"attachments", `[]`})), efWantChat()},
		{"keys match in any case", efRec(props{
			{"MessageId", `"m-1"`}, {"CONVERSATIONID", `"c-1"`}, {"To", `[{"ID":"a-1","Type":"Agent"}]`},
			{"From", `{"Id":"u-1","TYPE":"Customer"}`}, {"messagetype", `"ChatMessage"`}, {"TimeStamp", efTs},
			{"Channel", `"whatsapp"`},
		}), efWantChat()},

		{"roles in lower case are accepted", efChatProps.with("from", `{"id":"u-1","type":"customer"}`).with("to", `[{"id":"a-1","type":"agent"}]`).json(), efWantChat()},
		{"a participant without type in to is accepted for a message", efChat("to", `[{"id":"a-1"}]`), efWantChat()},
		{"an agent's message to the customer", efChatProps.with("from", efAgent).with("to", `[`+efCustomer+`]`).json(),
			change(efWantChat(), func(e *event.Event) {
				e.Message.Sender = event.Actor{Role: event.RoleAgent, ID: "a-1"}
				e.Message.Recipient.ID = "u-1"
			})},
		{"a supervisor's whisper to the agent", efChatProps.with("from", efSupervisor).with("tag", `"Whisper"`).json(),
			change(efWantChat(), func(e *event.Event) { e.Message.Sender = event.Actor{Role: event.RoleSupervisor, ID: "s-1"} })},
		{"a bot message to all is addressed to the conversation", efChatProps.with("messageType", `"BotMessage"`).with("from", efBot).with("to", `[]`).json(),
			change(efToAll(), func(e *event.Event) { e.Message.Sender = event.Actor{Role: event.RoleBot, ID: "b-1"} })},
		{"a message without to is addressed to the conversation", efChat("to", "-"), efToAll()},
		{"a message with a null to is addressed to the conversation", efChat("to", `null`), efToAll()},
		{"a message to several participants is addressed to the conversation", efChat("to", `[`+efAgent+`,`+efSupervisor+`]`), efToAll()},
		{"null entries in to name no participant", efChat("to", `[null,`+efAgent+`,null]`), efWantChat()},
		{"a to list of nulls only is addressed to the conversation", efChat("to", `[null]`), efToAll()},
		{"a contact message has content type contact", efChat("messageType", `"ContactMessage"`), efContent("contact")},
		{"a location message has content type location", efChatProps.with("messageType", `"LocationMessage"`).with("location", `{"latitude":33.68,"longitude":73.04}`).json(), efContent("location")},
		{"a contact message ignores its attachments", efChatProps.with("messageType", `"ContactMessage"`).with("attachments", `[{"mimeType":"image/png"}]`).json(), efContent("contact")},

		{"an attachment's mime type image makes an image", efAttach(`[{"mediaUrl":"https://example.com/a","mimeType":"image/jpeg","size":48213}]`), efContent("image")},
		{"an attachment's media type video makes a video", efAttach(`[{"mediaType":"video"}]`), efContent("video")},
		{"an attachment's mime type audio makes an audio", efAttach(`[{"mimeType":"audio/ogg; codecs=opus"}]`), efContent("audio")},
		{"a mime type in upper case is recognised", efAttach(`[{"mimeType":"IMAGE/PNG"}]`), efContent("image")},
		{"the mime type wins over a general media type", efAttach(`[{"mediaType":"file","mimeType":"audio/mpeg"}]`), efContent("audio")},
		{"a pdf attachment makes a document", efAttach(`[{"mimeType":"application/pdf","mediaType":"file"}]`), efContent("document")},
		{"an attachment without type fields makes a document", efAttach(`[{"mediaUrl":"https://example.com/a","fileName":"a.bin"}]`), efContent("document")},
		{"an empty attachment object makes a document", efAttach(`[{}]`), efContent("document")},
		{"only the first attachment decides", efAttach(`[{"mimeType":"video/mp4"},{"mimeType":"image/png"},"later entries are not read"]`), efContent("video")},
		{"a bot message with an attachment takes its type", efChatProps.with("messageType", `"BotMessage"`).with("attachments", `[{"mimeType":"image/gif"}]`).json(), efContent("image")},
		{"null attachments is no attachment", efAttach(`null`), efWantChat()},
		{"a null first attachment is no attachment", efAttach(`[null]`), efWantChat()},

		{"a 10 MB text decodes to one message", efChat("text", efBig(10<<20)), efWantChat()},
		{"a 10 MB attachment beside its mime type decodes to one image", efAttach(`[{"data":` + efBig(10<<20) + `,"mimeType":"image/png"}]`), efContent("image")},
		{"a 10 MB second attachment is skipped", efAttach(`[{"mimeType":"audio/mpeg"},{"data":` + efBig(10<<20) + `}]`), efContent("audio")},
		{"10 MB of structuredData decodes to one message", efChat("structuredData", `{"elements":[{"imageUrl":`+efBig(10<<20)+`}]}`), efWantChat()},
		{"nesting 1000 levels deep in structuredData is skipped", efChat("structuredData", nested(1000)), efWantChat()},
		{"invalid utf-8 in text is ignored", efChat("text", invalidUTF8("hi")), efWantChat()},
		{"invalid utf-8 in a participant's name is ignored", efChat("from", `{"id":"u-1","name":`+invalidUTF8("R")+`,"type":"Customer"}`), efWantChat()},
		{"unknown fields are ignored", efChat("x_extra", `{"a":[1,2,{"b":null}]}`), efWantChat()},

		{"the bot joining by itself is its join", efRec(efJoinProps), efWantJoin()},
		{"a participant added by a supervisor is the member", efJoinProps.with("activityType", `"participantAdded"`).with("from", efSupervisor).with("to", `[`+efAgent+`]`).json(),
			change(efWantJoin(), func(e *event.Event) { e.Membership.Member = event.Actor{Role: event.RoleAgent, ID: "a-1"} })},
		{"a participant joined with to naming one participant is that one's join", efJoin("to", `[`+efAgent+`]`),
			change(efWantJoin(), func(e *event.Event) { e.Membership.Member = event.Actor{Role: event.RoleAgent, ID: "a-1"} })},
		{"a join with several participants in to is the join of from", efJoin("to", `[`+efAgent+`,`+efCustomer+`]`), efWantJoin()},
		{"a join without to is the join of from", efJoin("to", "-"), efWantJoin()},
		{"a participant leaving is a leave", efJoinProps.with("activityType", `"participantLeft"`).with("from", efAgent).json(),
			change(efWantJoin(), func(e *event.Event) {
				e.Membership.Action = event.ActionLeave
				e.Membership.Member = event.Actor{Role: event.RoleAgent, ID: "a-1"}
			})},
		{"a join of a customer in lower case", efJoin("from", `{"id":"u-1","type":"customer"}`),
			change(efWantJoin(), func(e *event.Event) { e.Membership.Member = event.Actor{Role: event.RoleUser, ID: "u-1"} })},
		{"an activity needs no messageId", efJoin("messageId", "-"), efWantJoin()},
		{"an activity's attachments are ignored", efJoin("attachments", `[{"mimeType":"image/png"}]`), efWantJoin()},
		{"a handoff hands the customer in to over to an agent", efRec(efHandoffProps), efWantHandoff()},
		{"a handoff's customer may be from", efHandoffProps.with("from", efCustomer).with("to", `[`+efBot+`]`).json(), efWantHandoff()},
		{"a handoff's customer is the first Customer in to", efHandoff("to", `[`+efBot+`,`+efCustomer+`,{"id":"u-2","type":"Customer"}]`), efWantHandoff()},
		{"a handoff's first Customer counts even without id", efHandoff("to", `[{"type":"Customer"},`+efCustomer+`]`),
			change(efWantHandoff(), func(e *event.Event) { e.Handover.User = "" })},
		{"a handoff's customer in lower case is found", efHandoff("to", `[{"id":"u-1","type":"customer"}]`), efWantHandoff()},
		{"a handoff without customer has no user", efHandoff("to", `[`+efAgent+`]`),
			change(efWantHandoff(), func(e *event.Event) { e.Handover.User = "" })},
		{"a handoff without from and to has no user", efHandoffProps.with("from", "-").with("to", "-").json(),
			change(efWantHandoff(), func(e *event.Event) { e.Handover.User = "" })},
		{"no agent available leaves the conversation with the bot", efHandoff("activityType", `"noAgentAvailable"`),
			change(efWantHandoff(), func(e *event.Event) { e.Handover.To = event.RoleBot })},
		{"a handoff's timestamp without zone is UTC", efHandoff("timestamp", `"2021-06-15 09:41:07.512"`), efWantHandoff()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			value := []byte(c.value)
			out, err := DecodeExpertflow(Record{Value: value, TimestampMs: seedRecordMs}, nil)
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

func TestExpertflowAppendsToDst(t *testing.T) {
	dst := make([]event.Event, 1, 4)
	dst[0].Kind = event.KindReceipt
	out, err := DecodeExpertflow(Record{Value: []byte(efRec(efHandoffProps)), TimestampMs: seedRecordMs}, dst)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 2 || &out[0] != &dst[0] || out[0].Kind != event.KindReceipt || !reflect.DeepEqual(out[1], efWantHandoff()) {
		t.Fatalf("got %d events, want the handover appended in place after the existing one", len(out))
	}
}

// Records of the other formats, as their seed documents show them; their own testdata may not exist yet.
var otherFormatExamples = []string{
	`{"user":{"id":"user_id","firstName":"John","lastName":"Doe","preferedLanguage":"en"},"actor":{"type":"user"},"type":"message","message":{"messageType":"text","text":"Hi from user"},"timestamp":1646415058102}`,
	`{"type":"action","action":{"type":"conversation_handover","data":{"handover":{"to":"bot"}}},"timestamp":1646415058102,"actor":{"type":"user"},"user":{"id":"user_id"}}`,
	`{"message":{"messageType":"postback_v2","payload":"jkhasiopwqnm12ikonhbio","title":"Button title"}}`,
	`{"id":"a3c5e8f2-4d3a-4b5c-9e7f-1a2b3c4d5e6f","customer_id":"5e4a0680-804e-11ec-8477-2fea5968d85b","owner_type":"agent","owner_id":"eb1ac5c0-ff63-47e2-bcdb-5da9c336eb4b","chat_id":"e8b2e976-f043-44c8-bb89-e214e225e813","parent_id":"b2d4f7a1-3c2e-4f5a-8d9c-2e3f4a5b6c7d","type":"normal","text":"That's a great idea! Let's proceed with that approach.","medias":[],"metadata":{"reactions":[{"emoji":"👍","owner_type":"agent","owner_id":"47fe0b7c-7333-46cf-8b23-61e14e62490a","tm_create":"2024-01-17 10:35:00.000000"}]},"tm_create":"2024-01-17 10:32:00.000000","tm_update":"2024-01-17 10:32:00.000000","tm_delete":""}`,
}

func TestDetectExpertflow(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  bool
	}{
		{"a customer message is detected", efRec(efChatProps), true},
		{"an activity is detected", efRec(efHandoffProps), true},
		{"messageType before conversationId is detected", `{"messageType":"BotMessage","x":[1],"conversationId":"c"}`, true},
		{"a record with only conversationId is not detected", `{"conversationId":"c","text":"hi"}`, false},
		{"a record with only messageType is not detected", `{"messageType":"ChatMessage","text":"hi"}`, false},
		{"a Chatlayer message with a nested messageType is not detected", `{"conversationId":"c","message":{"messageType":"text"}}`, false},
		{"keys in another case are not detected", `{"ConversationId":"c","MessageType":"ChatMessage"}`, false},
		{"the keys as values are not detected", `{"a":"conversationId","b":"messageType"}`, false},
		{"a top-level array is not detected", `[` + efRec(efChatProps) + `]`, false},
		{"a truncated object is not detected", `{"conversationId":"c","messageTy`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Detect([]byte(c.value))
			if c.want && (got != FormatExpertflow || !ok) {
				t.Fatalf("Detect = %s, %v; want expertflow", got, ok)
			}
			if !c.want && got == FormatExpertflow {
				t.Fatalf("Detect = expertflow")
			}
		})
	}
}

func TestDetectTellsExpertflowFromOtherFormats(t *testing.T) {
	for i, line := range readLines(t, "testdata/expertflow/seed.jsonl") {
		if got, ok := Detect(line); got != FormatExpertflow || !ok {
			t.Errorf("seed record %d: Detect = %s, %v; want expertflow", i+1, got, ok)
		}
	}
	others := otherFormatExamples
	seeds, err := filepath.Glob("testdata/*/seed.jsonl")
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	for _, path := range seeds {
		if filepath.Base(filepath.Dir(path)) == "expertflow" {
			continue
		}
		for _, line := range readLines(t, path) {
			others = append(others, string(line))
		}
	}
	if len(others) < len(otherFormatExamples)+9 {
		t.Fatalf("found %d records of other formats, want at least the Causal Foundry seed's 9 too", len(others)-len(otherFormatExamples))
	}
	for _, v := range others {
		if got, _ := Detect([]byte(v)); got == FormatExpertflow {
			t.Errorf("a record of another format is detected as expertflow: %.120s", v)
		}
	}
}

func TestNoOtherDetectorClaimsExpertflowRecords(t *testing.T) {
	detectors := []struct {
		name  string
		looks func([]byte) bool
	}{{"causalfoundry", looksCausalFoundry}, {"chatlayer", looksChatlayer}, {"voipbin", looksVoipbin}}
	for i, line := range readLines(t, "testdata/expertflow/seed.jsonl") {
		for _, d := range detectors {
			if d.looks(line) {
				t.Errorf("seed record %d looks like %s", i+1, d.name)
			}
		}
	}
}

func TestDecodeAutoDecodesExpertflow(t *testing.T) {
	out, err := Decode(FormatAuto, Record{Value: []byte(efRec(efHandoffProps)), TimestampMs: seedRecordMs}, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 1 || !reflect.DeepEqual(out[0], efWantHandoff()) {
		t.Fatalf("got %d events, want the handover", len(out))
	}
}

// benchChat is the first seed record, a typical customer message of about 600 bytes.
var benchChat = []byte(`{"messageId":"a8Jk2Lm9Qw3Er5Ty7Ui0o","conversationId":"Yp3RkT9wQ2mZx8LbN5vC1",` +
	`"to":[{"id":"Qm7Zt2pLw9XcV4bN8sR1k","name":"Sara Khan","firstName":"Sara","lastName":"Khan","alias":"Sara","type":"Agent"}],` +
	`"from":{"id":"K1OywrAxN3EYG9Nc9N-f5","name":"Rizwan","firstName":"Rizwan","lastName":"","alias":"undefined","type":"Customer"},` +
	`"messageType":"ChatMessage","timestamp":"2021-06-15T09:41:07.512Z","tag":"Default","refId":"923001234567",` +
	`"processByBot":false,"language":"en-US","channel":"web","createdAt":"2021-06-15T09:41:07.512Z",` +
	`"updatedAt":"2021-06-15T09:41:07.512Z","text":"Hi, my order #48213 has not arrived yet.","input":"",` +
	`"attachments":[],"intents":[],"output":[],"entities":[]}`)

func BenchmarkDecodeExpertflow(b *testing.B) {
	rec := Record{Value: benchChat, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchChat)))
	for b.Loop() {
		var err error
		dst, err = DecodeExpertflow(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeExpertflowLargeAttachment(b *testing.B) {
	value := []byte(efAttach(`[{"data":` + efBig(10<<20) + `,"mimeType":"image/png"}]`))
	rec := Record{Value: value, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		var err error
		dst, err = DecodeExpertflow(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}
