package decode

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// clSeedMs is the seed's timestamp, 2022-03-04T17:30:58.102Z.
const clSeedMs = 1646415058102

// The lines of testdata/chatlayer/seed.jsonl and the parts of the seed document they come from:
//  1. the "Example" text message, as written (its user has firstName, lastName and preferedLanguage);
//  2. the "Text" fragment, in the envelope of line 1 with only user.id kept;
//  3. the "Postback" fragment, in the same envelope;
//  4. the "Upload" fragment, in the same envelope;
//  5. the "Handover to bot/user" action, as written;
//  6. the "Altering the session" message, as written.
//
// Lines 1 and 6 agree in every hashed field, so they are one message with one id.
func TestChatlayerSeedDecodesToGolden(t *testing.T) {
	checkSeedGolden(t, "chatlayer", DecodeChatlayer, 6)
}

// clWantID is an independent statement of the derived id: "cl-" and the first 32 hex digits of SHA-256 over
// the parts, each preceded by its length as 8 bytes big-endian.
func clWantID(parts ...string) event.MsgID {
	var b bytes.Buffer
	for _, p := range parts {
		b.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
		b.WriteString(p)
	}
	sum := sha256.Sum256(b.Bytes())
	return event.MsgID("cl-" + hex.EncodeToString(sum[:16]))
}

func TestChatlayerIDOfTheSeedTextMessage(t *testing.T) {
	// user.id, timestamp, type, messageType, text, payload, title, and no url
	want := clWantID("user_id", "1646415058102", "message", "text", "Hi from user", "", "")
	lines := readLines(t, "testdata/chatlayer/seed.jsonl")
	evs, err := DecodeChatlayer(Record{Value: lines[0], TimestampMs: seedRecordMs}, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if evs[0].Message.ID != want {
		t.Fatalf("id %s, want %s", evs[0].Message.ID, want)
	}
}

var (
	clTextMsg     = props{{"messageType", `"text"`}, {"text", `"hi"`}}
	clPostbackMsg = props{{"messageType", `"postback_v2"`}, {"payload", `"cGF5"`}, {"title", `"Yes"`}}
	clUploadMsg   = props{{"messageType", `"upload"`}, {"url", `["https://u/1","https://u/2"]`}}
	clText        = props{
		{"user", `{"id":"u-1","firstName":"Ann"}`}, {"actor", `{"type":"user"}`}, {"type", `"message"`},
		{"message", clTextMsg.json()}, {"timestamp", `1646415058102`},
	}
	clHandover = props{
		{"type", `"action"`}, {"action", `{"type":"conversation_handover","data":{"handover":{"to":"bot"}}}`},
		{"timestamp", `1646415058102`}, {"actor", `{"type":"user"}`}, {"user", `{"id":"u-1"}`},
	}
)

func clMsg(m props) string          { return clText.with("message", m.json()).json() }
func clWith(key, raw string) string { return clText.with(key, raw).json() }
func clTs(raw string) string        { return clWith("timestamp", raw) }
func clActionRec(raw string) string { return clHandover.with("action", raw).json() }
func clTo(raw string) string {
	return clActionRec(`{"type":"conversation_handover","data":{"handover":{"to":` + raw + `}}}`)
}

func TestChatlayerRejectsBadInput(t *testing.T) {
	cases := []struct {
		name     string
		value    string
		recordMs int64 // 0 stands for seedRecordMs
		reason   Reason
	}{
		{"empty input is malformed", ``, 0, ReasonMalformed},
		{"whitespace only is malformed", " \r\n ", 0, ReasonMalformed},
		{"a record truncated inside user is malformed", clText.json()[:12], 0, ReasonMalformed},
		{"a record truncated after a key is malformed", `{"user":`, 0, ReasonMalformed},
		{"a record missing its closing brace is malformed", strings.TrimSuffix(clText.json(), "}"), 0, ReasonMalformed},
		{"a record truncated inside a 10 MB payload is malformed", clMsg(clPostbackMsg.with("payload", longString(10<<20)))[:5<<20], 0, ReasonMalformed},
		{"trailing bytes after the object are malformed", clText.json() + ` ,`, 0, ReasonMalformed},
		{"two objects in one record are malformed", clText.json() + clText.json(), 0, ReasonMalformed},
		{"an object literal as the seed writes it is malformed", `{user:{id:"user_id"},actor:{type:"user"},type:"message"}`, 0, ReasonMalformed},
		{"an invalid escape in the text is malformed", clMsg(clTextMsg.with("text", `"a\qb"`)), 0, ReasonMalformed},
		{"a raw newline inside a string is malformed", clWith("user", "{\"id\":\"u\n1\"}"), 0, ReasonMalformed},
		{"nesting deeper than the parser's limit is malformed", clWith("session", nested(20000)), 0, ReasonMalformed},
		{"a syntax error wins over an earlier type error", `{"user":1,"actor":{`, 0, ReasonMalformed},

		{"a top-level array is the wrong type", `[` + clText.json() + `]`, 0, ReasonWrongType},
		{"a top-level string is the wrong type", `"message"`, 0, ReasonWrongType},
		{"a top-level number is the wrong type", `1646415058102`, 0, ReasonWrongType},
		{"a top-level null is the wrong type", `null`, 0, ReasonWrongType},
		{"a string user is the wrong type", clWith("user", `"u-1"`), 0, ReasonWrongType},
		{"a numeric user.id is the wrong type", clWith("user", `{"id":42}`), 0, ReasonWrongType},
		{"a string actor is the wrong type", clWith("actor", `"user"`), 0, ReasonWrongType},
		{"a numeric actor.type is the wrong type", clWith("actor", `{"type":1}`), 0, ReasonWrongType},
		{"a numeric actor.id is the wrong type", clWith("actor", `{"type":"bot","id":7}`), 0, ReasonWrongType},
		{"a boolean type is the wrong type", clWith("type", `true`), 0, ReasonWrongType},
		{"a numeric channel is the wrong type", clWith("channel", `3`), 0, ReasonWrongType},
		{"an object timestamp is the wrong type", clTs(`{"ms":1646415058102}`), 0, ReasonWrongType},
		{"a boolean timestamp is the wrong type", clTs(`false`), 0, ReasonWrongType},
		{"an array timestamp is the wrong type", clTs(`[1646415058102]`), 0, ReasonWrongType},
		{"a string message is the wrong type", clWith("message", `"hi"`), 0, ReasonWrongType},
		{"a numeric messageType is the wrong type", clMsg(clTextMsg.with("messageType", `1`)), 0, ReasonWrongType},
		{"a numeric text is the wrong type", clMsg(clTextMsg.with("text", `42`)), 0, ReasonWrongType},
		{"an object payload is the wrong type", clMsg(clPostbackMsg.with("payload", `{"a":1}`)), 0, ReasonWrongType},
		{"a numeric title is the wrong type", clMsg(clPostbackMsg.with("title", `1`)), 0, ReasonWrongType},
		{"a single url string is the wrong type", clMsg(clUploadMsg.with("url", `"https://u/1"`)), 0, ReasonWrongType},
		{"a numeric url in the list is the wrong type", clMsg(clUploadMsg.with("url", `["https://u/1",2]`)), 0, ReasonWrongType},
		{"a string action is the wrong type", clActionRec(`"conversation_handover"`), 0, ReasonWrongType},
		{"a numeric action.type is the wrong type", clActionRec(`{"type":1}`), 0, ReasonWrongType},
		{"a string action.data is the wrong type", clActionRec(`{"type":"conversation_handover","data":"bot"}`), 0, ReasonWrongType},
		{"a numeric handover target is the wrong type", clTo(`1`), 0, ReasonWrongType},

		{"invalid utf-8 in user.id is invalid", clWith("user", `{"id":`+invalidUTF8("u")+`}`), 0, ReasonInvalid},
		{"invalid utf-8 in a handover's user.id is invalid", clHandover.with("user", `{"id":`+invalidUTF8("u")+`}`).json(), 0, ReasonInvalid},
		{"invalid utf-8 in actor.id is invalid", clWith("actor", `{"type":"bot","id":`+invalidUTF8("b")+`}`), 0, ReasonInvalid},
		{"invalid utf-8 in the channel is invalid", clWith("channel", invalidUTF8("web")), 0, ReasonInvalid},
		{"a lone surrogate escape in user.id is invalid", clWith("user", `{"id":"u\udc00"}`), 0, ReasonInvalid},
		{"a user.id longer than 256 bytes is invalid", clWith("user", `{"id":`+longString(257)+`}`), 0, ReasonInvalid},
		{"a handover user.id longer than 256 bytes is invalid", clHandover.with("user", `{"id":`+longString(300)+`}`).json(), 0, ReasonInvalid},
		{"an actor.id longer than 256 bytes is invalid", clWith("actor", `{"type":"agent","id":`+longString(257)+`}`), 0, ReasonInvalid},
		{"a channel longer than 256 bytes is invalid", clWith("channel", longString(257)), 0, ReasonInvalid},

		{"an unknown actor.type is an unknown enum", clWith("actor", `{"type":"customer"}`), 0, ReasonUnknownEnum},
		{"an actor.type in upper case is an unknown enum", clWith("actor", `{"type":"User"}`), 0, ReasonUnknownEnum},
		{"a supervisor actor is an unknown enum", clWith("actor", `{"type":"supervisor"}`), 0, ReasonUnknownEnum},
		{"an unknown actor.type of a handover is an unknown enum", clHandover.with("actor", `{"type":"system"}`).json(), 0, ReasonUnknownEnum},
		{"an unknown messageType is an unknown enum", clMsg(clTextMsg.with("messageType", `"carousel"`)), 0, ReasonUnknownEnum},
		{"the old postback messageType is an unknown enum", clMsg(clPostbackMsg.with("messageType", `"postback"`)), 0, ReasonUnknownEnum},
		{"a messageType in upper case is an unknown enum", clMsg(clTextMsg.with("messageType", `"TEXT"`)), 0, ReasonUnknownEnum},
		{"an unknown action.type is an unknown enum", clActionRec(`{"type":"set_language"}`), 0, ReasonUnknownEnum},
		{"a handover to a user is an unknown enum", clTo(`"user"`), 0, ReasonUnknownEnum},
		{"a handover target in upper case is an unknown enum", clTo(`"Agent"`), 0, ReasonUnknownEnum},
		{"an unknown type is an unknown kind", clWith("type", `"event"`), 0, ReasonUnknownKind},
		{"a type in another case is an unknown kind", clWith("type", `"Message"`), 0, ReasonUnknownKind},

		{"an empty object is a missing field", `{}`, 0, ReasonMissingField},
		{"a record without user is a missing field", clWith("user", "-"), 0, ReasonMissingField},
		{"a null user is a missing field", clWith("user", `null`), 0, ReasonMissingField},
		{"a user without id is a missing field", clWith("user", `{"firstName":"Ann"}`), 0, ReasonMissingField},
		{"an empty user.id is a missing field", clWith("user", `{"id":""}`), 0, ReasonMissingField},
		{"a null user.id is a missing field", clWith("user", `{"id":null}`), 0, ReasonMissingField},
		{"a handover without user is a missing field", clHandover.with("user", "-").json(), 0, ReasonMissingField},
		{"a record without actor is a missing field", clWith("actor", "-"), 0, ReasonMissingField},
		{"a null actor is a missing field", clWith("actor", `null`), 0, ReasonMissingField},
		{"an actor without type is a missing field", clWith("actor", `{"id":"b-1"}`), 0, ReasonMissingField},
		{"a handover without actor is a missing field", clHandover.with("actor", "-").json(), 0, ReasonMissingField},
		{"a record without type is a missing field", clWith("type", "-"), 0, ReasonMissingField},
		{"an empty type is a missing field", clWith("type", `""`), 0, ReasonMissingField},
		{"a message record without message is a missing field", clWith("message", "-"), 0, ReasonMissingField},
		{"a null message is a missing field", clWith("message", `null`), 0, ReasonMissingField},
		{"a message without messageType is a missing field", clMsg(clTextMsg.with("messageType", "-")), 0, ReasonMissingField},
		{"an action record without action is a missing field", clHandover.with("action", "-").json(), 0, ReasonMissingField},
		{"a null action is a missing field", clActionRec(`null`), 0, ReasonMissingField},
		{"an action without type is a missing field", clActionRec(`{"data":{"handover":{"to":"bot"}}}`), 0, ReasonMissingField},
		{"a handover without data is a missing field", clActionRec(`{"type":"conversation_handover"}`), 0, ReasonMissingField},
		{"a handover without handover is a missing field", clActionRec(`{"type":"conversation_handover","data":{}}`), 0, ReasonMissingField},
		{"a handover without target is a missing field", clActionRec(`{"type":"conversation_handover","data":{"handover":{}}}`), 0, ReasonMissingField},
		{"a handover with an empty target is a missing field", clTo(`""`), 0, ReasonMissingField},
		{"a handover with a null target is a missing field", clTo(`null`), 0, ReasonMissingField},

		{"a timestamp before 2000 is a bad timestamp", clTs(`946684799999`), 0, ReasonBadTimestamp},
		{"a timestamp at 2100 is a bad timestamp", clTs(`4102444800000`), 0, ReasonBadTimestamp},
		{"a date-time before 2000 is a bad timestamp", clTs(`"1999-12-31T23:59:59.999Z"`), 0, ReasonBadTimestamp},
		{"a date-time at 2100 is a bad timestamp", clTs(`"2100-01-01T00:00:00Z"`), 0, ReasonBadTimestamp},
		{"a timestamp of 0 is a bad timestamp", clTs(`0`), 0, ReasonBadTimestamp},
		{"a timestamp in seconds is a bad timestamp", clTs(`1646415058`), 0, ReasonBadTimestamp},
		{"a timestamp in microseconds is a bad timestamp", clTs(`1646415058102000`), 0, ReasonBadTimestamp},
		{"a negative timestamp is a bad timestamp", clTs(`-1646415058102`), 0, ReasonBadTimestamp},
		{"a timestamp of 1e300 is a bad timestamp", clTs(`1e300`), 0, ReasonBadTimestamp},
		{"a numeric string of 30 digits is a bad timestamp", clTs(`"` + strings.Repeat("1", 30) + `"`), 0, ReasonBadTimestamp},
		{"a decimal numeric string is a bad timestamp", clTs(`"1646415058102.5"`), 0, ReasonBadTimestamp},
		{"an empty timestamp string is a bad timestamp", clTs(`""`), 0, ReasonBadTimestamp},
		{"a timestamp in words is a bad timestamp", clTs(`"now"`), 0, ReasonBadTimestamp},
		{"a date-time without zone is a bad timestamp", clTs(`"2022-03-04T17:30:58"`), 0, ReasonBadTimestamp},
		{"a date-time on February 30 is a bad timestamp", clTs(`"2022-02-30T17:30:58Z"`), 0, ReasonBadTimestamp},
		{"a date-only timestamp is a bad timestamp", clTs(`"2022-03-04"`), 0, ReasonBadTimestamp},
		{"a timestamp in RFC 1123 is a bad timestamp", clTs(`"Fri, 04 Mar 2022 17:30:58 GMT"`), 0, ReasonBadTimestamp},
		{"a missing timestamp with Kafka's missing record time (-1) is a bad timestamp", clWith("timestamp", "-"), -1, ReasonBadTimestamp},
		{"a null timestamp with a record time after 2100 is a bad timestamp", clTs(`null`), 4102444800000, ReasonBadTimestamp},
		{"a bad timestamp is reported before a missing user", clText.with("user", "-").with("timestamp", `"soon"`).json(), 0, ReasonBadTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRejected(t, DecodeChatlayer, c.value, c.recordMs, c.reason) })
	}
}

func TestChatlayerRejectsOversizedRecords(t *testing.T) {
	value := []byte(clMsg(clPostbackMsg.with("payload", longString(MaxRecordBytes))))
	_, err := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs}, nil)
	if got := ReasonOf(err); got != ReasonTooLarge {
		t.Fatalf("reason %q (%v), want %s", got, err, ReasonTooLarge)
	}
}

// clWantText is the event of clText; its id is of the parts user.id, timestamp, type, messageType, text,
// payload and title.
func clWantText() event.Event {
	return event.Event{
		Kind: event.KindMessage, Source: event.SourceChatlayer, Platform: "other", AtMs: clSeedMs,
		Message: event.Message{
			ID:             clWantID("u-1", "1646415058102", "message", "text", "hi", "", ""),
			ConversationID: "u-1", Sender: event.Actor{Role: event.RoleUser, ID: "u-1"},
			Recipient: event.Recipient{Type: event.RecipientUser}, ContentType: "text",
		},
	}
}

func clWantHandover() event.Event {
	return event.Event{
		Kind: event.KindHandover, Source: event.SourceChatlayer, Platform: "other", AtMs: clSeedMs,
		Handover: event.Handover{ConversationID: "u-1", To: event.RoleBot, User: "u-1"},
	}
}

// clFromBot makes the want of a message sent by role, named id, to the user.
func clFromBot(role event.Role, id event.ActorID) func(*event.Event) {
	return func(e *event.Event) {
		e.Message.Sender = event.Actor{Role: role, ID: id}
		e.Message.Recipient.ID = "u-1"
	}
}

func TestChatlayerAcceptsEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  event.Event
	}{
		{"a user's text message goes to the unnamed bot", clText.json(), clWantText()},
		{"a bot's message without actor.id is sent by the bot to the user", clWith("actor", `{"type":"bot"}`),
			change(clWantText(), clFromBot(event.RoleBot, "bot"))},
		{"an agent's message without actor.id is sent by the agent to the user", clWith("actor", `{"type":"agent"}`),
			change(clWantText(), clFromBot(event.RoleAgent, "agent"))},
		{"a bot's message with actor.id names the bot", clWith("actor", `{"type":"bot","id":"b-7"}`),
			change(clWantText(), clFromBot(event.RoleBot, "b-7"))},
		{"an agent's message with actor.id names the agent", clWith("actor", `{"type":"agent","id":"a-3"}`),
			change(clWantText(), clFromBot(event.RoleAgent, "a-3"))},
		{"a user's actor.id is ignored for user.id", clWith("actor", `{"type":"user","id":"other"}`), clWantText()},
		{"a postback is a postback", clMsg(clPostbackMsg), change(clWantText(), func(e *event.Event) {
			e.Message.ContentType = "postback"
			e.Message.ID = clWantID("u-1", "1646415058102", "message", "postback_v2", "", "cGF5", "Yes")
		})},
		{"an upload is an upload hashed with its urls in order", clMsg(clUploadMsg), change(clWantText(), func(e *event.Event) {
			e.Message.ContentType = "upload"
			e.Message.ID = clWantID("u-1", "1646415058102", "message", "upload", "", "", "", "https://u/1", "https://u/2")
		})},
		{"an upload with an empty url list has no url parts", clMsg(clUploadMsg.with("url", `[]`)), change(clWantText(), func(e *event.Event) {
			e.Message.ContentType = "upload"
			e.Message.ID = clWantID("u-1", "1646415058102", "message", "upload", "", "", "")
		})},
		{"a text message without text is accepted", clMsg(clTextMsg.with("text", "-")), change(clWantText(), func(e *event.Event) {
			e.Message.ID = clWantID("u-1", "1646415058102", "message", "text", "", "", "")
		})},
		{"a 10 MB postback payload decodes to one message", clMsg(clPostbackMsg.with("payload", `"`+strings.Repeat("QUJD", 10<<18)+`"`)),
			change(clWantText(), func(e *event.Event) {
				e.Message.ContentType = "postback"
				e.Message.ID = clWantID("u-1", "1646415058102", "message", "postback_v2", "", strings.Repeat("QUJD", 10<<18), "Yes")
			})},
		{"a 10 MB text decodes to one message", clMsg(clTextMsg.with("text", longString(10<<20))),
			change(clWantText(), func(e *event.Event) {
				e.Message.ID = clWantID("u-1", "1646415058102", "message", "text", strings.Repeat("x", 10<<20), "", "")
			})},
		{"a channel names the platform in lower case", clWith("channel", `"WhatsApp"`),
			change(clWantText(), func(e *event.Event) { e.Platform = "whatsapp" })},
		{"an unlisted channel is kept in lower case", clWith("channel", `"Teams"`),
			change(clWantText(), func(e *event.Event) { e.Platform = "teams" })},
		{"an empty channel is other", clWith("channel", `""`), clWantText()},
		{"a null channel is other", clWith("channel", `null`), clWantText()},
		{"a timestamp as a numeric string is epoch ms", clTs(`"1646415058102"`), clWantText()},
		{"a timestamp in RFC 3339 is converted to epoch ms", clTs(`"2022-03-04T17:30:58.102Z"`), clWantText()},
		{"a timestamp with an offset is converted to UTC", clTs(`"2022-03-04T19:00:58.102+01:30"`), clWantText()},
		{"a timestamp with a fraction of a millisecond drops it", clTs(`1646415058102.9`), clWantText()},
		{"a timestamp at the first millisecond of 2000 is accepted", clTs(`946684800000`), change(clWantText(), func(e *event.Event) {
			e.AtMs = event.MinAtMs
			e.Message.ID = clWantID("u-1", "946684800000", "message", "text", "hi", "", "")
		})},
		{"a missing timestamp takes the record time, which the id hashes", clWith("timestamp", "-"), change(clWantText(), func(e *event.Event) {
			e.AtMs = seedRecordMs
			e.Message.ID = clWantID("u-1", "1707900000000", "message", "text", "hi", "", "")
		})},
		{"a null timestamp takes the record time", clTs(`null`), change(clWantText(), func(e *event.Event) {
			e.AtMs = seedRecordMs
			e.Message.ID = clWantID("u-1", "1707900000000", "message", "text", "hi", "", "")
		})},
		{"an escaped text hashes as its decoded value", clMsg(clTextMsg.with("text", `"\u0068\u0069"`)), clWantText()},
		{"invalid utf-8 in the text is not an error", clMsg(clTextMsg.with("text", invalidUTF8("hi"))),
			change(clWantText(), func(e *event.Event) {
				e.Message.ID = clWantID("u-1", "1646415058102", "message", "text", "hi\uFFFD\uFFFD", "", "")
			})},
		{"keys match in any case", `{"User":{"ID":"u-1"},"ACTOR":{"Type":"user"},"Type":"message","Message":{"MessageType":"text","TEXT":"hi"},"TimeStamp":1646415058102}`, clWantText()},
		{"a repeated key takes its last value", append(props{{"type", `"action"`}}, clText...).json(), clWantText()},
		{"a repeated key whose last value is null keeps the earlier value", append(clText, [2]string{"message", `null`}).json(), clWantText()},
		{"a repeated user object merges into the earlier one", append(props{{"user", `{"id":"u-1"}`}}, clText.with("user", `{"firstName":"Ann"}`)...).json(), clWantText()},
		{"a repeated url key takes the last list", clMsg(append(clUploadMsg, [2]string{"url", `["https://x"]`})), change(clWantText(), func(e *event.Event) {
			e.Message.ContentType = "upload"
			e.Message.ID = clWantID("u-1", "1646415058102", "message", "upload", "", "", "", "https://x")
		})},
		{"session and the user's names are ignored", clText.with("session", `{"myKey":{"foo":"bar"},"n":[1,{"a":null}]}`).
			with("user", `{"id":"u-1","firstName":"J","lastName":"D","preferredLanguage":"en","preferedLanguage":"en"}`).json(), clWantText()},
		{"nesting 1000 levels deep in the session is skipped", clWith("session", nested(1000)), clWantText()},
		{"a message record ignores an action beside it", clWith("action", `{"type":"conversation_handover"}`), clWantText()},
		{"a handover to the bot", clHandover.json(), clWantHandover()},
		{"a handover to an agent", clTo(`"agent"`), change(clWantHandover(), func(e *event.Event) { e.Handover.To = event.RoleAgent })},
		{"a handover by a bot actor is still the user's conversation", clHandover.with("actor", `{"type":"bot","id":"b-1"}`).json(), clWantHandover()},
		{"a handover keeps its channel", clHandover.with("channel", `"Web"`).json(),
			change(clWantHandover(), func(e *event.Event) { e.Platform = "web" })},
		{"a handover ignores a message beside it", clHandover.with("message", `{"messageType":"carousel"}`).json(), clWantHandover()},
		{"a handover without timestamp takes the record time", clHandover.with("timestamp", "-").json(),
			change(clWantHandover(), func(e *event.Event) { e.AtMs = seedRecordMs })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			value := []byte(c.value)
			out, err := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs}, nil)
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

func clDecodeID(t *testing.T, value string) event.MsgID {
	t.Helper()
	out, err := DecodeChatlayer(Record{Value: []byte(value), TimestampMs: seedRecordMs}, nil)
	if err != nil {
		t.Fatalf("decode %.80s: %v", value, err)
	}
	if out[0].Kind != event.KindMessage || len(out[0].Message.ID) != clIDLen || !strings.HasPrefix(string(out[0].Message.ID), "cl-") {
		t.Fatalf("decoded to %s, want a message with a derived id", renderEvent(t, out[0]))
	}
	return out[0].Message.ID
}

func TestChatlayerIDIsTheSameForTheSameRecord(t *testing.T) {
	cases := []struct{ name, a, b string }{
		{"the same record decoded twice", clText.json(), clText.json()},
		{"the same postback decoded twice", clMsg(clPostbackMsg), clMsg(clPostbackMsg)},
		{"the same upload decoded twice", clMsg(clUploadMsg), clMsg(clUploadMsg)},
		{"the record with its keys in another order", clText.json(), `{"timestamp":1646415058102,"message":{"text":"hi","messageType":"text"},"type":"message","actor":{"type":"user"},"user":{"id":"u-1"}}`},
		{"the record with whitespace", clText.json(), " {\n \"user\" : {\"id\" : \"u-1\"}, \"actor\":{\"type\":\"user\"},\"type\":\"message\",\"message\":{\"messageType\":\"text\",\"text\":\"hi\"},\"timestamp\":1646415058102}\n"},
		{"the timestamp as a numeric string", clText.json(), clTs(`"1646415058102"`)},
		{"the timestamp as a date-time", clText.json(), clTs(`"2022-03-04T17:30:58.102Z"`)},
		{"another session", clText.json(), clWith("session", `{"k":1}`)},
		{"other names of the user", clText.json(), clWith("user", `{"id":"u-1","firstName":"Bob","lastName":"X"}`)},
		{"another channel", clText.json(), clWith("channel", `"sms"`)},
		// the actor is not hashed: the same text in the same conversation and millisecond is one message
		{"another actor", clText.json(), clWith("actor", `{"type":"bot","id":"b-1"}`)},
		{"a null payload and an absent one", clMsg(clTextMsg.with("payload", `null`)), clMsg(clTextMsg)},
		{"a null url list and an absent one", clMsg(clTextMsg.with("url", `null`)), clMsg(clTextMsg)},
	}
	for _, c := range cases {
		t.Run(c.name+" has the same id", func(t *testing.T) {
			if a, b := clDecodeID(t, c.a), clDecodeID(t, c.b); a != b {
				t.Fatalf("ids %s and %s differ", a, b)
			}
		})
	}
}

func TestChatlayerIDChangesWithEveryHashedField(t *testing.T) {
	full := props{{"messageType", `"postback_v2"`}, {"text", `"t"`}, {"payload", `"p"`}, {"title", `"ti"`}, {"url", `["u1","u2"]`}}
	base := clMsg(full)
	cases := []struct{ name, other string }{
		{"another user.id", clText.with("user", `{"id":"u-2"}`).with("message", full.json()).json()},
		{"another timestamp", clText.with("timestamp", `1646415058103`).with("message", full.json()).json()},
		{"another messageType", clMsg(full.with("messageType", `"upload"`))},
		{"another text", clMsg(full.with("text", `"T"`))},
		{"no text", clMsg(full.with("text", "-"))},
		{"another payload", clMsg(full.with("payload", `"P"`))},
		{"another title", clMsg(full.with("title", `"tI"`))},
		{"another first url", clMsg(full.with("url", `["u0","u2"]`))},
		{"another last url", clMsg(full.with("url", `["u1","u3"]`))},
		{"the urls in another order", clMsg(full.with("url", `["u2","u1"]`))},
		{"one url fewer", clMsg(full.with("url", `["u1"]`))},
		{"one url more", clMsg(full.with("url", `["u1","u2","u3"]`))},
		{"an empty url added", clMsg(full.with("url", `["u1","u2",""]`))},
		{"a byte moved from text to payload", clMsg(full.with("text", `"tp"`).with("payload", `""`))},
		{"a byte moved from payload to title", clMsg(full.with("payload", `"pt"`).with("title", `"i"`))},
		{"a byte moved from title to the first url", clMsg(full.with("title", `"t"`).with("url", `["iu1","u2"]`))},
		{"two urls joined into one", clMsg(full.with("url", `["u1u2"]`))},
		{"the title moved into the first url", clMsg(full.with("title", `""`).with("url", `["ti","u1","u2"]`))},
	}
	want := clDecodeID(t, base)
	for _, c := range cases {
		t.Run(c.name+" changes the id", func(t *testing.T) {
			if got := clDecodeID(t, c.other); got == want {
				t.Fatalf("id %s is unchanged", got)
			}
		})
	}
}

func TestChatlayerIDDependsOnTheRecordTimeWhenTheRecordHasNone(t *testing.T) {
	value := []byte(clWith("timestamp", "-"))
	a, errA := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs}, nil)
	b, errB := DecodeChatlayer(Record{Value: value, TimestampMs: seedRecordMs + 1}, nil)
	if errA != nil || errB != nil {
		t.Fatalf("decode: %v, %v", errA, errB)
	}
	if a[0].Message.ID == b[0].Message.ID {
		t.Fatalf("records at different times share the id %s", a[0].Message.ID)
	}
}

func TestChatlayerAppendsToDst(t *testing.T) {
	dst := make([]event.Event, 1, 4)
	dst[0].Kind = event.KindReceipt
	out, err := DecodeChatlayer(Record{Value: []byte(clHandover.json()), TimestampMs: seedRecordMs}, dst)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 2 || &out[0] != &dst[0] || out[0].Kind != event.KindReceipt || !reflect.DeepEqual(out[1], clWantHandover()) {
		t.Fatalf("got %d events, want the handover appended in place after the existing one", len(out))
	}
}

func TestChatlayerDetect(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  Format
		ok    bool
	}{
		{"a Chatlayer message is detected", clText.json(), FormatChatlayer, true},
		{"a Chatlayer handover with user last is detected", clHandover.json(), FormatChatlayer, true},
		{"a record of user and actor only is detected", `{"actor":{},"user":{}}`, FormatChatlayer, true},
		{"a record without actor is not detected", clWith("actor", "-"), FormatAuto, false},
		{"a record without user is not detected", clWith("user", "-"), FormatAuto, false},
		{"user and actor only nested are not detected", `{"data":{"user":{},"actor":{}}}`, FormatAuto, false},
		{"user and actor as values are not detected", `{"from":"user","to":"actor"}`, FormatAuto, false},
		{"a top-level array is not detected", `[` + clText.json() + `]`, FormatAuto, false},
		{"a truncated record is not detected", `{"user":{"id":"u`, FormatAuto, false},
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

// Records of the other formats, as their seed documents show them, are not Chatlayer records, whatever else
// they are detected as.
func TestOtherFormatsAreNotDetectedAsChatlayer(t *testing.T) {
	cases := []struct{ name, value string }{
		{"an Expertflow chat message", `{"id":"m1","conversationId":"c1","from":{"id":"K1OywrAxN3EYG9Nc9N-f5","type":"Customer"},` +
			`"to":[{"id":"b","type":"Bot"}],"messageType":"ChatMessage","channel":"web","timestamp":1646415058102,"text":"hi"}`},
		{"an Expertflow activity message", `{"id":"m2","conversationId":"c1","from":{"id":"a1","type":"Agent"},` +
			`"messageType":"ActivityMessage","activityType":"handoff","channel":"web","timestamp":"2024-01-17T10:32:00Z"}`},
		{"a VoIPbin message", `{"id":"a3c5","customer_id":"5e4a","owner_type":"agent","owner_id":"eb1a",` +
			`"chat_id":"e8b2","parent_id":"","type":"normal","text":"t","medias":[],"metadata":{"reactions":[]},` +
			`"tm_create":"2024-01-17 10:32:00.000000","tm_update":"","tm_delete":""}`},
		{"a Causal Foundry message", textMessage(textProps)},
	}
	for _, c := range cases {
		t.Run(c.name+" is not detected as Chatlayer", func(t *testing.T) {
			if got, _ := Detect([]byte(c.value)); got == FormatChatlayer || looksChatlayer([]byte(c.value)) {
				t.Fatalf("detected as Chatlayer")
			}
		})
	}
}

func TestChatlayerSeedRecordsAreDetectedAsChatlayer(t *testing.T) {
	for i, line := range readLines(t, "testdata/chatlayer/seed.jsonl") {
		if got, ok := Detect(line); got != FormatChatlayer || !ok {
			t.Errorf("example %d detected as %s, %v", i+1, got, ok)
		}
	}
}

// Every other format's seed records, as far as their testdata exists, are not Chatlayer records.
func TestOtherSeedRecordsAreNotDetectedAsChatlayer(t *testing.T) {
	paths, err := filepath.Glob("testdata/*/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	others := 0
	for _, p := range paths {
		if filepath.Base(filepath.Dir(p)) == "chatlayer" {
			continue
		}
		others++
		for i, line := range readLines(t, p) {
			if looksChatlayer(line) {
				t.Errorf("%s line %d looks like Chatlayer", p, i+1)
			}
			if got, _ := Detect(line); got == FormatChatlayer {
				t.Errorf("%s line %d detected as Chatlayer", p, i+1)
			}
		}
	}
	if others == 0 {
		t.Fatal("no other format's seed.jsonl found in testdata")
	}
}

func TestDecodeAutoDecodesChatlayer(t *testing.T) {
	out, err := Decode(FormatAuto, Record{Value: []byte(clHandover.json()), TimestampMs: seedRecordMs}, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out) != 1 || !reflect.DeepEqual(out[0], clWantHandover()) {
		t.Fatalf("got %d events, want the handover", len(out))
	}
}

// clBench is a typical user text message of about 300 bytes.
var clBench = []byte(`{"user":{"id":"8f0c2a51-6a0e-4d8e-9a57-3f6d0e1b2c4d","firstName":"John","lastName":"Doe",` +
	`"preferredLanguage":"en"},"actor":{"type":"user"},"type":"message","message":{"messageType":"text",` +
	`"text":"Hi, I would like to move my appointment on Tuesday to Thursday morning if possible."},` +
	`"session":{"myKey":{"foo":"bar"}},"timestamp":1646415058102}`)

func BenchmarkDecodeChatlayer(b *testing.B) {
	rec := Record{Value: clBench, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(clBench)))
	for b.Loop() {
		var err error
		dst, err = DecodeChatlayer(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChatlayerLargePayload(b *testing.B) {
	value := []byte(clMsg(clPostbackMsg.with("payload", `"`+strings.Repeat("QUJD", 10<<18)+`"`)))
	rec := Record{Value: value, TimestampMs: seedRecordMs}
	dst := make([]event.Event, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		var err error
		dst, err = DecodeChatlayer(rec, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}
