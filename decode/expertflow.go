package decode

import (
	"bytes"
	"errors"
	"reflect"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/chatpulse/chatpulse/event"
)

// efRecord is an Expertflow conversation message object, reduced to the fields a metric needs: text, input,
// intents, output, entities, structuredData, location, contact and the attachments' data are skipped by the
// decoder without being copied. Keys match case-insensitively and, when a key repeats, the last value wins; a
// null field is an absent one.
type efRecord struct {
	MessageID      string         `json:"messageId"`
	ConversationID string         `json:"conversationId"`
	MessageType    string         `json:"messageType"`
	ActivityType   string         `json:"activityType"`
	Channel        string         `json:"channel"`
	Timestamp      efTime         `json:"timestamp"`
	From           efParticipant  `json:"from"`
	To             efParticipants `json:"to"`
	// Only the first attachment decides the content type. A Go array keeps the decoder from allocating for the
	// others, which it skips in place; the pointer tells a first attachment without type fields from none.
	Attachments [1]*efAttachment `json:"attachments"`
}

// efParticipant is an entry of from or to; name, firstName, lastName and alias are skipped.
type efParticipant struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// efAttachment has the small type fields of an attachment, never its data or URL.
type efAttachment struct {
	MediaType string `json:"mediaType"`
	MimeType  string `json:"mimeType"`
}

// DecodeExpertflow appends the one event of an Expertflow conversation message object to dst, or returns dst
// unchanged and a *Error.
//
// The mapping (Source expertflow, no tenant, platform = channel in lower case):
//   - timestamp is UTC in no fixed format: ISO 8601 with or without fraction, with a zone (Z, ±hh:mm, ±hhmm or
//     ±hh) or without one, which is UTC; or epoch ms as a number or a numeric string. Absent or null, the record
//     timestamp applies.
//   - from.type and to[].type Customer, Bot, Agent, Supervisor (or in lower case) are the roles user, bot, agent
//     and supervisor; any other non-empty type, in any participant, is an unknown enum.
//   - ChatMessage and BotMessage are messages of content type text, or of the first attachment's type (image,
//     video, audio, else document) when attachments is not empty; ContactMessage is a contact and
//     LocationMessage a location message. The sender is from. A message whose to names exactly one participant
//     is addressed to that user; one whose to is empty (every participant), absent or names several is addressed
//     to the conversation as a group. Expertflow messages are never replies.
//   - ActivityMessage is an event by activityType: participantJoined and participantAdded are joins and
//     participantLeft a leave of the conversation, whose member is the one participant named in to, or else
//     from, the activity's subject; handoff hands the conversation to an agent, and noAgentAvailable leaves it
//     with the bot as no agent could take it. A handover's user is the first Customer among from and to.
func DecodeExpertflow(rec Record, dst []event.Event) ([]event.Event, error) {
	var r efRecord
	if err := parse(rec, &r); err != nil {
		return dst, err
	}
	ev, err := r.event(rec)
	return appendEvent(dst, ev, err)
}

// looksExpertflow reports whether value is an object with the keys "conversationId" and "messageType".
func looksExpertflow(value []byte) bool {
	return hasTopLevelKeys(value, "conversationId", "messageType")
}

// efKind is what a messageType makes.
type efKind uint8

const (
	efMessage efKind = iota + 1 // a message whose attachments decide its content type
	efContact
	efLocation
	efActivity
)

var efKinds = [...]struct {
	name string
	kind efKind
}{
	{"ChatMessage", efMessage}, {"BotMessage", efMessage}, {"ContactMessage", efContact},
	{"LocationMessage", efLocation}, {"ActivityMessage", efActivity},
}

func (r *efRecord) event(rec Record) (event.Event, *Error) {
	ev := event.Event{Source: event.SourceExpertflow}
	if r.MessageType == "" {
		if isNull(rec.Value) {
			return ev, poisonf(ReasonWrongType, "record is null, not an object")
		}
		return ev, efMissing("messageType")
	}
	var kind efKind
	for _, c := range efKinds {
		if r.MessageType == c.name {
			kind = c.kind
		}
	}
	if kind == 0 {
		return ev, poisonf(ReasonUnknownEnum, "unknown messageType %q", clip(r.MessageType))
	}

	at, terr := r.Timestamp.eventTime("timestamp", rec.TimestampMs)
	if terr != nil {
		return ev, terr
	}
	ev.AtMs = at

	if r.ConversationID == "" {
		return ev, efMissing("conversationId")
	}
	if r.Channel == "" {
		return ev, efMissing("channel")
	}
	if _, ok := efRole(r.From.Type); !ok && r.From.Type != "" {
		return ev, poisonf(ReasonUnknownEnum, "unknown from.type %q", clip(r.From.Type))
	}
	if r.To.unknown != "" {
		return ev, poisonf(ReasonUnknownEnum, "unknown to[].type %q", clip(r.To.unknown))
	}

	var k keeper
	var err *Error
	switch kind {
	case efMessage:
		content := "text"
		if a := r.Attachments[0]; a != nil {
			content = a.contentType()
		}
		err = r.message(&ev, &k, content)
	case efContact:
		err = r.message(&ev, &k, "contact")
	case efLocation:
		err = r.message(&ev, &k, "location")
	case efActivity:
		err = r.activity(&ev, &k)
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

func (r *efRecord) message(ev *event.Event, k *keeper, content string) *Error {
	if r.MessageID == "" {
		return efMissing("messageId")
	}
	sender, err := r.From.role("from")
	if err != nil {
		return err
	}
	if r.From.ID == "" {
		return efMissing("from.id")
	}
	direct := r.To.n == 1
	if direct && r.To.first.ID == "" {
		return efMissing("to[0].id")
	}

	k.grow(len(r.Channel) + len(r.MessageID) + len(r.ConversationID) + len(r.From.ID) + len(r.To.first.ID))
	m := &ev.Message
	ev.Kind = event.KindMessage
	ev.Platform = platform(r.Channel, k)
	m.ID = event.MsgID(k.keep(r.MessageID))
	m.ConversationID = event.ConversationID(k.keep(r.ConversationID))
	m.Sender = event.Actor{Role: sender, ID: event.ActorID(k.keep(r.From.ID))}
	if direct {
		m.Recipient = event.Recipient{Type: event.RecipientUser, ID: k.keep(r.To.first.ID)}
	} else {
		m.Recipient = event.Recipient{Type: event.RecipientGroup, ID: string(m.ConversationID)}
	}
	m.ContentType = content
	return nil
}

func (r *efRecord) activity(ev *event.Event, k *keeper) *Error {
	switch r.ActivityType {
	case "participantJoined", "participantAdded":
		return r.membership(ev, k, event.ActionJoin)
	case "participantLeft":
		return r.membership(ev, k, event.ActionLeave)
	case "handoff":
		return r.handover(ev, k, event.RoleAgent)
	case "noAgentAvailable":
		return r.handover(ev, k, event.RoleBot)
	case "":
		return efMissing("activityType")
	}
	return poisonf(ReasonUnknownEnum, "unknown activityType %q", clip(r.ActivityType))
}

// membership makes a join or leave of the conversation. Its member is the one participant to names: an agent
// added by a supervisor is in to, the supervisor in from. Without such a participant the member is from, who
// joined or left by themselves.
func (r *efRecord) membership(ev *event.Event, k *keeper, action event.MembershipAction) *Error {
	member, where := &r.From, "from"
	if r.To.n == 1 {
		member, where = &r.To.first, "to[0]"
	}
	role, err := member.role(where)
	if err != nil {
		return err
	}
	if member.ID == "" {
		return efMissing(where + ".id")
	}
	k.grow(len(r.Channel) + len(r.ConversationID) + len(member.ID))
	ev.Kind = event.KindMembership
	ev.Platform = platform(r.Channel, k)
	ev.Membership = event.Membership{
		Group:  event.GroupID(k.keep(r.ConversationID)),
		Action: action,
		Member: event.Actor{Role: role, ID: event.ActorID(k.keep(member.ID))},
	}
	return nil
}

// handover moves the conversation to role. Its user is the customer whose conversation it is: from when from
// is a Customer, else the first Customer in to, else unknown.
func (r *efRecord) handover(ev *event.Event, k *keeper, to event.Role) *Error {
	var user string
	if role, _ := efRole(r.From.Type); role == event.RoleUser {
		user = r.From.ID
	} else {
		user = r.To.customer
	}
	k.grow(len(r.Channel) + len(r.ConversationID) + len(user))
	ev.Kind = event.KindHandover
	ev.Platform = platform(r.Channel, k)
	ev.Handover = event.Handover{
		ConversationID: event.ConversationID(k.keep(r.ConversationID)),
		To:             to,
		User:           event.ActorID(k.keep(user)),
	}
	return nil
}

// efRoles are the participant types, in the documented spelling and in lower case.
var efRoles = [...]struct {
	name string
	role event.Role
}{
	{"Customer", event.RoleUser}, {"Bot", event.RoleBot}, {"Agent", event.RoleAgent}, {"Supervisor", event.RoleSupervisor},
	{"customer", event.RoleUser}, {"bot", event.RoleBot}, {"agent", event.RoleAgent}, {"supervisor", event.RoleSupervisor},
}

func efRole(s string) (event.Role, bool) {
	for _, r := range efRoles {
		if s == r.name {
			return r.role, true
		}
	}
	return 0, false
}

// role returns the role of a participant whose role the event takes; where names the participant in errors.
func (p *efParticipant) role(where string) (event.Role, *Error) {
	if p.Type == "" {
		return 0, efMissing(where + ".type")
	}
	role, ok := efRole(p.Type)
	if !ok {
		return 0, poisonf(ReasonUnknownEnum, "unknown %s.type %q", where, clip(p.Type))
	}
	return role, nil
}

// efParticipants is what the events need of to: how many participants it names, the first of them, the id of
// the first Customer, and the first type that is no role. It reads the list itself rather than into a slice,
// whose size a record could inflate far beyond its own with a long list of empty entries. A null entry names
// no participant.
type efParticipants struct {
	n           int
	first       efParticipant
	customer    string
	hasCustomer bool
	unknown     string
}

// UnmarshalJSON reads the list, which the decoder has checked to be valid JSON; null leaves the earlier value,
// as it does for a string.
func (l *efParticipants) UnmarshalJSON(b []byte) error {
	b = b[skipSpace(b, 0):]
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] != '[' {
		return &json.UnmarshalTypeError{Value: jsonValueKind(b[0]), Type: reflect.TypeFor[[]efParticipant](), Field: "to"}
	}
	*l = efParticipants{}
	return eachElement(b, func(elem []byte) error {
		if elem[0] == 'n' {
			return nil
		}
		var p efParticipant
		if err := json.UnmarshalOf(elem, &p, json.DecodeNoCopyString()); err != nil {
			return err
		}
		if l.n == 0 {
			l.first = p
		}
		l.n++
		role, ok := efRole(p.Type)
		switch {
		case !ok && p.Type != "" && l.unknown == "":
			l.unknown = p.Type
		case ok && role == event.RoleUser && !l.hasCustomer:
			l.customer, l.hasCustomer = p.ID, true
		}
		return nil
	})
}

// contentType is image, video or audio as the attachment's mime type or, failing that, its media type says,
// and document for anything else.
func (a *efAttachment) contentType() string {
	for _, t := range [...]string{a.MimeType, a.MediaType} {
		major := t
		if i := strings.IndexByte(t, '/'); i >= 0 {
			major = t[:i]
		}
		for _, c := range [...]string{"image", "video", "audio"} {
			if equalFoldASCII(major, c) {
				return c
			}
		}
	}
	return "document"
}

// efTime is a timestamp that may also be an ISO 8601 date-time without zone, which Expertflow means as UTC,
// or with a zone of ±hhmm or ±hh.
type efTime struct{ jsonTime }

func (t *efTime) UnmarshalJSON(b []byte) error {
	_ = t.jsonTime.UnmarshalJSON(b)
	if t.state != timeBad || len(b) < 2 || b[0] != '"' {
		return nil
	}
	s := b[1 : len(b)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		var unescaped string
		if json.Unmarshal(b, &unescaped) != nil {
			return nil
		}
		s = []byte(unescaped)
	}
	if ms, ok := parseISOTime(s); ok {
		t.ms, t.state = ms, timeOK
	}
	return nil
}

// parseISOTime parses what parseTimestamp does not: a date-time without zone, as UTC, and one whose zone has
// no colon (±hhmm) or no minutes (±hh), which it rewrites to ±hh:mm.
func parseISOTime(s []byte) (int64, bool) {
	if ms, ok := parseDateTime(s, true); ok {
		return ms, true
	}
	const dateTimeLen = len("2006-01-02T15:04:05")
	var buf [64]byte
	n := len(s)
	switch {
	case n > len(buf)-3:
		return 0, false
	case n >= dateTimeLen+5 && isSign(s[n-5]) && allDigits(s[n-4:]):
		copy(buf[:], s[:n-2])
		buf[n-2] = ':'
		copy(buf[n-1:], s[n-2:])
		return parseDateTime(buf[:n+1], false)
	case n >= dateTimeLen+3 && isSign(s[n-3]) && allDigits(s[n-2:]):
		copy(buf[:], s)
		copy(buf[n:], ":00")
		return parseDateTime(buf[:n+3], false)
	}
	return 0, false
}

func isSign(c byte) bool { return c == '+' || c == '-' }

func allDigits(s []byte) bool {
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// errNotArray is returned when bytes the decoder passed as an array are not one, which valid JSON never is.
var errNotArray = errors.New("malformed array")

// eachElement calls f with each element of the JSON array b, which the decoder has checked to be valid.
func eachElement(b []byte, f func(elem []byte) error) error {
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for i < len(b) {
		end := valueEnd(b, i)
		if end <= i {
			return errNotArray
		}
		if err := f(b[i:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			break
		}
		switch b[i] {
		case ']':
			return nil
		case ',':
			i = skipSpace(b, i+1)
		default:
			return errNotArray
		}
	}
	return errNotArray
}

// valueEnd returns the index after the JSON value that starts at b[i], or -1 when b ends before it does.
func valueEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return -1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of a number or literal
			}
			depth--
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			continue
		default:
			continue
		}
		if depth == 0 {
			return i + 1
		}
	}
	if depth == 0 {
		return len(b)
	}
	return -1
}

// jsonValueKind names the kind of the JSON value that starts with c, for type errors.
func jsonValueKind(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "bool"
	}
	return "number"
}

func efMissing(field string) *Error { return poisonf(ReasonMissingField, "missing %s", field) }
