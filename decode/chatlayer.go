package decode

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"
	"unsafe"

	"github.com/chatpulse/chatpulse/event"
)

// Chatlayer app-integration inbound records are the messages and actions an integration hands to a Chatlayer
// bot. One record is one event:
//
//	record                                     canonical
//	(always)                                   Source chatlayer, Tenant "" (the format has no tenant)
//	channel (top-level string, optional)       Platform, lower case; "other" when absent, null or empty,
//	                                           as the format itself names no channel
//	timestamp (epoch ms number or numeric      AtMs; the record timestamp when absent or null
//	  string, or an RFC 3339 string)
//	user.id (required)                         the conversation: Message.ConversationID, Handover
//	                                           ConversationID and User
//	actor.type user | bot | agent (required)   the sender's role
//	type message, message.messageType          Message with ContentType text, postback or upload
//	  text | postback_v2 | upload              and Message.ID derived from the record (see clMessageID)
//	type action, action.type                   Handover to action.data.handover.to (bot or agent)
//	  conversation_handover
//
// A message from the user is sent by Actor{user, user.id} to the unnamed bot (RecipientUser, id ""); one from
// a bot or an agent is sent by Actor{role, actor.id}, or by the role name when actor.id is absent, to
// RecipientUser user.id. session and user.firstName, lastName and preferredLanguage are not part of any
// metric and are never decoded. Keys match case-insensitively and, when a key repeats, the last value wins
// (nested objects merge), as with encoding/json; a null field is an absent one.
type clRecord struct {
	User      clUser    `json:"user"`
	Actor     clActor   `json:"actor"`
	Type      string    `json:"type"`
	Channel   string    `json:"channel"`
	Timestamp jsonTime  `json:"timestamp"`
	Message   clMessage `json:"message"`
	Action    clAction  `json:"action"`
}

type clUser struct {
	ID string `json:"id"`
}

// clActor is documented with a type only; an id, when a bot or agent sends one, names the sender.
type clActor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// clMessage holds the fields the derived message id is hashed from. Text, payload, title and urls are read
// only for the hash: the decoder refers to them in the record without copying, and no event keeps them.
type clMessage struct {
	MessageType string   `json:"messageType"`
	Text        string   `json:"text"`
	Payload     string   `json:"payload"`
	Title       string   `json:"title"`
	URL         []string `json:"url"`
}

type clAction struct {
	Type string       `json:"type"`
	Data clActionData `json:"data"`
}

type clActionData struct {
	Handover struct {
		To string `json:"to"`
	} `json:"handover"`
}

// DecodeChatlayer appends the one event of a Chatlayer record to dst, or returns dst unchanged and a *Error.
func DecodeChatlayer(rec Record, dst []event.Event) ([]event.Event, error) {
	var r clRecord
	if err := parse(rec, &r); err != nil {
		return dst, err
	}
	ev, err := r.event(rec)
	return appendEvent(dst, ev, err)
}

// looksChatlayer reports whether value is an object with the keys "user" and "actor" at its top level.
func looksChatlayer(value []byte) bool {
	return hasTopLevelKeys(value, "user", "actor")
}

func (r *clRecord) event(rec Record) (event.Event, *Error) {
	ev := event.Event{Source: event.SourceChatlayer}
	// Only a record without user id can be the literal null; the check costs a second look only then.
	if r.User.ID == "" && isNull(rec.Value) {
		return ev, poisonf(ReasonWrongType, "record is null, not an object")
	}

	at, terr := r.Timestamp.eventTime("timestamp", rec.TimestampMs)
	if terr != nil {
		return ev, terr
	}
	ev.AtMs = at

	if r.User.ID == "" {
		return ev, poisonf(ReasonMissingField, "missing user.id")
	}
	if r.Actor.Type == "" {
		return ev, poisonf(ReasonMissingField, "missing actor.type")
	}
	role, ok := clRole(r.Actor.Type)
	if !ok {
		return ev, poisonf(ReasonUnknownEnum, "unknown actor.type %q", clip(r.Actor.Type))
	}

	var k keeper
	var err *Error
	switch r.Type {
	case "message":
		err = r.message(&ev, role, &k)
	case "action":
		err = r.handover(&ev, &k)
	case "":
		err = poisonf(ReasonMissingField, "missing type")
	default:
		err = poisonf(ReasonUnknownKind, "unknown type %q", clip(r.Type))
	}
	if err != nil {
		return ev, err
	}
	if k.badUTF8 {
		return ev, poisonf(ReasonInvalid, "invalid utf-8 in an id")
	}
	if verr := ev.Validate(); verr != nil {
		return ev, poison(ReasonInvalid, verr)
	}
	return ev, nil
}

func (r *clRecord) message(ev *event.Event, role event.Role, k *keeper) *Error {
	m := &r.Message
	if m.MessageType == "" {
		return poisonf(ReasonMissingField, "missing message.messageType")
	}
	content, ok := clContentType(m.MessageType)
	if !ok {
		return poisonf(ReasonUnknownEnum, "unknown message.messageType %q", clip(m.MessageType))
	}
	var id [clIDLen]byte
	clMessageID(&id, r.User.ID, ev.AtMs, r.Type, m)

	k.grow(len(r.User.ID) + len(r.Actor.ID) + len(id) + len(r.Channel))
	ev.Kind = event.KindMessage
	ev.Platform = r.platform(k)
	user := k.keep(r.User.ID)
	msg := &ev.Message
	msg.ID = event.MsgID(keepBytes(k, id[:]))
	msg.ConversationID = event.ConversationID(user)
	msg.ContentType = content
	msg.Recipient.Type = event.RecipientUser
	switch {
	case role == event.RoleUser:
		msg.Sender = event.Actor{Role: role, ID: event.ActorID(user)}
	case r.Actor.ID != "":
		msg.Sender = event.Actor{Role: role, ID: event.ActorID(k.keep(r.Actor.ID))}
		msg.Recipient.ID = user
	default:
		// the role name stands for the one bot or agent of the conversation
		msg.Sender = event.Actor{Role: role, ID: event.ActorID(role.String())}
		msg.Recipient.ID = user
	}
	return nil
}

func (r *clRecord) handover(ev *event.Event, k *keeper) *Error {
	a := &r.Action
	switch a.Type {
	case "conversation_handover":
	case "":
		return poisonf(ReasonMissingField, "missing action.type")
	default:
		return poisonf(ReasonUnknownEnum, "unknown action.type %q", clip(a.Type))
	}
	var to event.Role
	switch a.Data.Handover.To {
	case "bot":
		to = event.RoleBot
	case "agent":
		to = event.RoleAgent
	case "":
		return poisonf(ReasonMissingField, "missing action.data.handover.to")
	default:
		return poisonf(ReasonUnknownEnum, "unknown action.data.handover.to %q", clip(a.Data.Handover.To))
	}
	k.grow(len(r.User.ID) + len(r.Channel))
	ev.Kind = event.KindHandover
	ev.Platform = r.platform(k)
	user := k.keep(r.User.ID)
	ev.Handover = event.Handover{ConversationID: event.ConversationID(user), To: to, User: event.ActorID(user)}
	return nil
}

// platform is the record's channel in lower case, or "other": the format names no channel of its own.
func (r *clRecord) platform(k *keeper) string {
	if r.Channel == "" {
		return "other"
	}
	return platform(r.Channel, k)
}

// clRole accepts the documented actor type "user" and the two roles a handover can move a conversation to.
func clRole(s string) (event.Role, bool) {
	switch s {
	case "user":
		return event.RoleUser, true
	case "bot":
		return event.RoleBot, true
	case "agent":
		return event.RoleAgent, true
	}
	return 0, false
}

// clContentType maps a messageType to a content type; the constants keep an event from holding a copy.
func clContentType(s string) (string, bool) {
	switch s {
	case "text":
		return "text", true
	case "postback_v2":
		return "postback", true
	case "upload":
		return "upload", true
	}
	return "", false
}

// clIDLen is the length of a derived message id: "cl-" and 32 hex digits (128 bits of the hash).
const clIDLen = 3 + 32

// clMessageID writes the derived id of a message to id. The format has no message id, so the id is a hash of
// what the record says: user.id, the event time in ms as decoded, in decimal digits (the record timestamp
// when the record has none), type, messageType, text, payload, title and each url in order. A replayed
// record is therefore the same message, and so, by design, are two records equal in all of these fields.
// The actor and the fields the decoder ignores are not part of it.
//
// Each part is preceded by its length (8 bytes, big-endian), so no shift of bytes between neighbouring
// fields gives the same input. The urls are the only parts of variable number and come last, so they need
// no count.
func clMessageID(id *[clIDLen]byte, userID string, atMs int64, typ string, m *clMessage) {
	h := clHashers.Get().(*partHasher)
	h.h.Reset()
	h.part(userID)
	h.partBytes(strconv.AppendInt(h.scratch[8:8], atMs, 10))
	h.part(typ)
	h.part(m.MessageType)
	h.part(m.Text)
	h.part(m.Payload)
	h.part(m.Title)
	for _, u := range m.URL {
		h.part(u)
	}
	sum := h.h.Sum(h.sum[:0])
	copy(id[:], "cl-")
	hex.Encode(id[3:], sum[:(clIDLen-3)/2])
	clHashers.Put(h)
}

// clHashers holds hash states for reuse: a new one costs allocations, and there is one message per record.
var clHashers = sync.Pool{New: func() any { return &partHasher{h: sha256.New()} }}

// partHasher feeds length-prefixed parts to a hash. scratch holds the length prefix in its first 8 bytes and
// room for a formatted number after them; sum receives the digest.
type partHasher struct {
	h       hash.Hash
	scratch [8 + 20]byte
	sum     [sha256.Size]byte
}

func (p *partHasher) part(s string) {
	// Write only reads its argument, so a string of megabytes is hashed where it lies instead of being copied.
	p.partBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

func (p *partHasher) partBytes(b []byte) {
	binary.BigEndian.PutUint64(p.scratch[:8], uint64(len(b)))
	p.h.Write(p.scratch[:8])
	p.h.Write(b)
}

// keepBytes is keeper.keep for bytes that are already ASCII, without converting them to a string first.
func keepBytes(k *keeper, b []byte) string {
	start := k.b.Len()
	k.b.Write(b)
	return k.b.String()[start:]
}
