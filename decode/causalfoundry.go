package decode

import (
	"strings"

	"github.com/chatpulse/chatpulse/event"
)

// cfEnvelope is a Causal Foundry chat module event. Keys match case-insensitively and, when a key repeats,
// the last value wins (nested objects merge), as with encoding/json. A null field is an absent one, except
// the record itself and props, which must be objects.
type cfEnvelope struct {
	TS    jsonTime `json:"ts"`
	Type  string   `json:"type"`
	Props cfProps  `json:"props"`
}

// cfProps holds the fields of all three event types; which apply depends on the classification.
type cfProps struct {
	Type          string `json:"type"`
	Platform      string `json:"platform"`
	MsgID         string `json:"msg_id"`
	SenderType    string `json:"sender_type"`
	SenderID      string `json:"sender_id"`
	RecipientType string `json:"recipient_type"`
	RecipientID   string `json:"recipient_id"`
	ParentMsgID   string `json:"parent_msg_id"`
	GroupID       string `json:"group_id"`
	MemberType    string `json:"member_type"`
	MemberID      string `json:"member_id"`
	Body          cfBody `json:"body"`
}

// cfBody has the one field of a body a metric needs: everything else, base64 media included, is skipped
// by the decoder without being copied.
type cfBody struct {
	Emoji string `json:"emoji"`
}

// DecodeCausalFoundry appends the one event of a Causal Foundry record to dst, or returns dst unchanged and
// a *Error.
//
// A receipt is recognised by its props (a msg_id and a receipt status as props.type) whatever the envelope
// type, because real receipts arrive as "group" events. The event time is ts, or the record timestamp when
// ts is absent or null.
func DecodeCausalFoundry(rec Record, dst []event.Event) ([]event.Event, error) {
	var env cfEnvelope
	if err := parse(rec, &env); err != nil {
		return dst, err
	}
	ev, err := env.event(rec)
	return appendEvent(dst, ev, err)
}

// looksCausalFoundry reports whether value is an object with the envelope keys "type" and "props".
func looksCausalFoundry(value []byte) bool {
	return hasTopLevelKeys(value, "type", "props")
}

func (env *cfEnvelope) event(rec Record) (event.Event, *Error) {
	ev := event.Event{Source: event.SourceCausalFoundry}
	// Empty props can make no event; only then is it worth a second pass to tell absent props from null.
	if env.Props == (cfProps{}) {
		if isNull(rec.Value) {
			return ev, poisonf(ReasonWrongType, "record is null, not an object")
		}
		var probe struct {
			Props jsonKind `json:"props"`
		}
		if err := unmarshalRecord(rec.Value, &probe); err != nil {
			return ev, err
		}
		switch probe.Props {
		case 0:
			return ev, poisonf(ReasonMissingField, "missing props")
		case 'n':
			return ev, poisonf(ReasonWrongType, "props is null, not an object")
		}
	}

	at, terr := env.TS.eventTime("ts", rec.TimestampMs)
	if terr != nil {
		return ev, terr
	}
	ev.AtMs = at

	var k keeper
	p := &env.Props
	var err *Error
	_, isStatus := event.ParseReceiptStatus(p.Type)
	switch {
	case isStatus && p.MsgID != "":
		err = p.receipt(&ev, &k)
	case env.Type == "message" && p.Type == "reaction":
		err = p.reaction(&ev, &k)
	case env.Type == "message":
		err = p.message(&ev, &k)
	case env.Type == "group":
		if _, ok := event.ParseMembershipAction(p.Type); ok {
			err = p.membership(&ev, &k)
		} else if isStatus || p.Type == "" {
			err = p.receipt(&ev, &k) // names the missing field
		} else {
			err = poisonf(ReasonUnknownEnum, "unknown group or receipt type %q", clip(p.Type))
		}
	case env.Type == "receipt":
		err = p.receipt(&ev, &k)
	case env.Type == "":
		err = poisonf(ReasonMissingField, "missing type")
	default:
		err = poisonf(ReasonUnknownKind, "unknown event type %q", clip(env.Type))
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

func (p *cfProps) message(ev *event.Event, k *keeper) *Error {
	if p.Platform == "" {
		return missing("platform")
	}
	if p.MsgID == "" {
		return missing("msg_id")
	}
	sender, err := p.sender()
	if err != nil {
		return err
	}
	if p.RecipientType == "" {
		return missing("recipient_type")
	}
	rt, ok := event.ParseRecipientType(p.RecipientType)
	if !ok {
		return poisonf(ReasonUnknownEnum, "unknown props.recipient_type %q", clip(p.RecipientType))
	}
	if rt == event.RecipientGroup && p.RecipientID == "" {
		return poisonf(ReasonMissingField, "missing props.recipient_id of a group message")
	}
	if p.Type == "" {
		return missing("type")
	}
	content, ok := contentType(p.Type)
	if !ok {
		return poisonf(ReasonUnknownEnum, "unknown props.type %q", clip(p.Type))
	}

	k.grow(len(p.Platform) + len(p.MsgID) + len(p.ParentMsgID) + len(p.SenderID) + 1 + len(p.RecipientID))
	m := &ev.Message
	ev.Kind = event.KindMessage
	ev.Platform = platform(p.Platform, k)
	m.ID = event.MsgID(k.keep(p.MsgID))
	m.Parent = event.MsgID(k.keep(p.ParentMsgID))
	m.ContentType = content
	m.Sender = event.Actor{Role: sender}
	m.Recipient.Type = rt
	switch {
	case rt == event.RecipientGroup:
		m.Sender.ID = event.ActorID(k.keep(p.SenderID))
		m.Recipient.ID = k.keep(p.RecipientID)
		m.ConversationID = event.ConversationID(m.Recipient.ID)
	case p.RecipientID == "":
		m.Sender.ID = event.ActorID(k.keep(p.SenderID))
		m.ConversationID = event.ConversationID(m.Sender.ID)
	default:
		pair, s, r := k.keepPair(p.SenderID, p.RecipientID)
		m.ConversationID, m.Sender.ID, m.Recipient.ID = event.ConversationID(pair), event.ActorID(s), r
	}
	return nil
}

func (p *cfProps) reaction(ev *event.Event, k *keeper) *Error {
	if p.Platform == "" {
		return missing("platform")
	}
	// The seed's reaction has no parent and repeats the id of the message it reacts to as its msg_id.
	target := p.ParentMsgID
	if target == "" {
		target = p.MsgID
	}
	if target == "" {
		return missing("msg_id")
	}
	role, err := p.sender()
	if err != nil {
		return err
	}
	if p.Body.Emoji == "" {
		return missing("body.emoji")
	}
	k.grow(len(p.Platform) + len(target) + len(p.SenderID) + len(p.Body.Emoji))
	ev.Kind = event.KindReaction
	ev.Platform = platform(p.Platform, k)
	ev.Reaction = event.Reaction{
		Target:  event.MsgID(k.keep(target)),
		Actor:   event.Actor{Role: role, ID: event.ActorID(k.keep(p.SenderID))},
		Emoji:   k.keep(p.Body.Emoji),
		Present: true,
	}
	return nil
}

func (p *cfProps) receipt(ev *event.Event, k *keeper) *Error {
	if p.Type == "" {
		return missing("type")
	}
	status, ok := event.ParseReceiptStatus(p.Type)
	if !ok {
		return poisonf(ReasonUnknownEnum, "unknown receipt status %q", clip(p.Type))
	}
	if p.MsgID == "" {
		return missing("msg_id")
	}
	k.grow(len(p.Platform) + len(p.MsgID) + len(p.MemberID))
	ev.Kind = event.KindReceipt
	ev.Platform = platform(p.Platform, k)
	ev.Receipt = event.Receipt{
		Msg:    event.MsgID(k.keep(p.MsgID)),
		Member: event.ActorID(k.keep(p.MemberID)),
		Status: status,
	}
	return nil
}

func (p *cfProps) membership(ev *event.Event, k *keeper) *Error {
	action, _ := event.ParseMembershipAction(p.Type)
	if p.GroupID == "" {
		return missing("group_id")
	}
	var member event.Actor
	if action.MemberLevel() {
		if p.MemberID == "" {
			return missing("member_id")
		}
		member.Role = event.RoleUser
		if p.MemberType != "" {
			r, ok := event.ParseRole(p.MemberType)
			if !ok {
				return poisonf(ReasonUnknownEnum, "unknown props.member_type %q", clip(p.MemberType))
			}
			member.Role = r
		}
	}
	k.grow(len(p.Platform) + len(p.GroupID) + len(p.MemberID))
	ev.Kind = event.KindMembership
	ev.Platform = platform(p.Platform, k)
	if action.MemberLevel() {
		member.ID = event.ActorID(k.keep(p.MemberID))
	}
	ev.Membership = event.Membership{Group: event.GroupID(k.keep(p.GroupID)), Action: action, Member: member}
	return nil
}

// sender checks the sender fields shared by messages and reactions and returns the sender's role.
func (p *cfProps) sender() (event.Role, *Error) {
	if p.SenderType == "" {
		return 0, missing("sender_type")
	}
	role, ok := event.ParseRole(p.SenderType)
	if !ok {
		return 0, poisonf(ReasonUnknownEnum, "unknown props.sender_type %q", clip(p.SenderType))
	}
	if p.SenderID == "" {
		return 0, missing("sender_id")
	}
	return role, nil
}

func missing(field string) *Error { return poisonf(ReasonMissingField, "missing props.%s", field) }

// contentTypes are the message content types; returning the constant lets an event keep no copy of it.
var contentTypes = [...]string{"text", "audio", "document", "image", "video", "sticker", "contact", "poll", "location"}

func contentType(s string) (string, bool) {
	for _, c := range contentTypes {
		if s == c {
			return c, true
		}
	}
	return "", false
}

// knownPlatforms are returned as constants, so most events keep no copy of their platform.
var knownPlatforms = [...]string{"whatsapp", "telegram", "other", "web", "sms", "viber", "facebook"}

// platform returns s in lower case, "" when the record names none.
func platform(s string, k *keeper) string {
	for _, p := range knownPlatforms {
		if equalFoldASCII(s, p) {
			return p
		}
	}
	return k.keep(strings.ToLower(s))
}

// equalFoldASCII compares s with lower, a lower-case ASCII word, ignoring the case of ASCII letters only,
// so that the result is always strings.ToLower(s).
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
