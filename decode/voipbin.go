package decode

import (
	"bytes"

	json "github.com/goccy/go-json"

	"github.com/chatpulse/chatpulse/event"
)

// vbMessage is a VoIPbin talk message. Its text is not a field, and of its medias only the first one's type is,
// so the parser skips the rest without copying it. Keys match case-insensitively and, when a key repeats, the
// last value wins; a null field is an absent one.
type vbMessage struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	OwnerType  string `json:"owner_type"`
	OwnerID    string `json:"owner_id"`
	ChatID     string `json:"chat_id"`
	ParentID   string `json:"parent_id"`
	Type       string `json:"type"`
	// Medias holds the first media only: the parser skips the others. A pointer tells an empty array (nil) from
	// a first media without type; a null first media counts as none.
	Medias   [1]*vbMedia `json:"medias"`
	Metadata vbMetadata  `json:"metadata"`
	TmCreate vbTime      `json:"tm_create"`
	TmUpdate vbTime      `json:"tm_update"`
	TmDelete vbTime      `json:"tm_delete"`
}

type vbMedia struct {
	Type string `json:"type"`
}

type vbMetadata struct {
	Reactions vbReactions `json:"reactions"`
}

// vbReactions is metadata.reactions. It counts the elements before it decodes them, so that a record of millions of
// tiny elements is rejected without a slice of millions of reactions (64 bytes each, for 3 bytes of "{},").
type vbReactions struct {
	items []vbReaction
	n     int    // elements of the array; decoded only when at most event.MaxReactionItems
	err   *Error // a type error inside the array
}

type vbReaction struct {
	Emoji     string `json:"emoji"`
	OwnerType string `json:"owner_type"`
	OwnerID   string `json:"owner_id"`
	TmCreate  vbTime `json:"tm_create"`
}

// UnmarshalJSON never fails: a fault is recorded in err, so that a syntax error elsewhere in the record still
// decides the reason. The decoder hands over a copy of the value, whose syntax it has checked; the strings decoded
// refer to that copy, never to the record. A null is no reactions, as it is for a slice.
func (r *vbReactions) UnmarshalJSON(b []byte) error {
	*r = vbReactions{}
	i := skipSpace(b, 0)
	switch {
	case i < len(b) && b[i] == 'n':
		return nil
	case i >= len(b) || b[i] != '[':
		r.err = poisonf(ReasonWrongType, "metadata.reactions is not an array")
		return nil
	}
	r.n = countElements(b[i:], event.MaxReactionItems+1)
	if r.n == 0 || r.n > event.MaxReactionItems {
		return nil
	}
	if err := unmarshalRecord(b, &r.items); err != nil {
		r.err = poisonf(err.Reason, "metadata.reactions: %v", err.Err)
	}
	return nil
}

// countElements counts the elements of a, a valid JSON array, up to limit.
func countElements(a []byte, limit int) int {
	i := skipSpace(a, 1)
	if i >= len(a) || a[i] == ']' {
		return 0
	}
	n, depth := 1, 1
	for ; i < len(a) && n < limit; i++ {
		switch a[i] {
		case '"':
			for i++; i < len(a) && a[i] != '"'; i++ {
				if a[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return n
			}
		case ',':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}

// DecodeVoipbin appends the events of a VoIPbin talk message to dst, or returns dst unchanged and a *Error.
//
// The mapping: source voipbin, tenant customer_id ("" when empty), platform "other" (a talk names no channel).
// One record yields, in this order:
//   - a message at tm_create: id, sender {role from owner_type, owner_id}, conversation chat_id, addressed to the
//     group chat_id, parent parent_id ("" for none), content type from type and medias[0].type;
//   - when tm_delete is set, a deleted receipt of the message naming no member at tm_delete (a soft delete);
//   - when metadata.reactions is not empty, or tm_update is set and differs from tm_create, the full reaction list
//     as a reaction set at tm_update (tm_create when tm_update is empty). The record carries only the current list,
//     so an update without reactions may have removed some: the join state turns successive sets into adds and
//     removes.
func DecodeVoipbin(rec Record, dst []event.Event) ([]event.Event, error) {
	if err := checkSize(rec); err != nil {
		return dst, err
	}
	var m vbMessage
	if err := unmarshalRecord(rec.Value, &m); err != nil {
		return dst, err
	}
	var evs [3]event.Event
	n, err := m.events(rec, &evs)
	if err != nil {
		return dst, err
	}
	return append(dst, evs[:n]...), nil
}

// looksVoipbin reports whether value is an object with the message keys "chat_id" and "tm_create".
func looksVoipbin(value []byte) bool {
	return hasTopLevelKeys(value, "chat_id", "tm_create")
}

// events fills evs with the record's events and returns how many there are.
func (m *vbMessage) events(rec Record, evs *[3]event.Event) (int, *Error) {
	if m.TmCreate.state == timeAbsent && isNull(rec.Value) {
		return 0, poisonf(ReasonWrongType, "record is null, not an object")
	}
	if err := m.Metadata.Reactions.err; err != nil {
		return 0, err
	}
	createMs, err := m.TmCreate.required("tm_create")
	if err != nil {
		return 0, err
	}
	deleteMs, deleted, err := m.TmDelete.optional("tm_delete")
	if err != nil {
		return 0, err
	}
	updateMs, updated, err := m.TmUpdate.optional("tm_update")
	if err != nil {
		return 0, err
	}
	if m.ID == "" {
		return 0, poisonf(ReasonMissingField, "missing id")
	}
	sender, err := vbRole(m.OwnerType, "owner_type")
	if err != nil {
		return 0, err
	}
	if m.OwnerID == "" {
		return 0, poisonf(ReasonMissingField, "missing owner_id")
	}
	if m.ChatID == "" {
		return 0, poisonf(ReasonMissingField, "missing chat_id")
	}
	content, err := m.contentType()
	if err != nil {
		return 0, err
	}
	if m.Metadata.Reactions.n > event.MaxReactionItems {
		return 0, poisonf(ReasonInvalid, "more than %d reactions", event.MaxReactionItems)
	}
	reactions := m.Metadata.Reactions.items
	withSet := len(reactions) > 0 || (updated && updateMs != createMs)
	size := len(m.CustomerID) + len(m.ID) + len(m.OwnerID) + len(m.ChatID) + len(m.ParentID)
	for i := range reactions {
		if err := reactions[i].check(i); err != nil {
			return 0, err
		}
		size += len(reactions[i].OwnerID) + len(reactions[i].Emoji)
	}

	var k keeper
	k.grow(size)
	// The message id is kept once and shared by the receipt and the reaction set, and chat_id by conversation and
	// recipient.
	id := event.MsgID(k.keep(m.ID))
	chat := k.keep(m.ChatID)
	base := event.Event{Source: event.SourceVoipbin, Tenant: event.Tenant(k.keep(m.CustomerID)), Platform: "other"}

	n := 0
	msg := &evs[n]
	*msg = base
	msg.Kind = event.KindMessage
	msg.AtMs = createMs
	msg.Message = event.Message{
		ID:             id,
		ConversationID: event.ConversationID(chat),
		Sender:         event.Actor{Role: sender, ID: event.ActorID(k.keep(m.OwnerID))},
		Recipient:      event.Recipient{Type: event.RecipientGroup, ID: chat},
		Parent:         event.MsgID(k.keep(m.ParentID)),
		ContentType:    content,
	}
	n++
	if deleted {
		rcpt := &evs[n]
		*rcpt = base
		rcpt.Kind = event.KindReceipt
		rcpt.AtMs = deleteMs
		rcpt.Receipt = event.Receipt{Msg: id, Status: event.StatusDeleted}
		n++
	}
	if withSet {
		set := &evs[n]
		*set = base
		set.Kind = event.KindReactionSet
		set.AtMs = createMs
		if updated {
			set.AtMs = updateMs
		}
		set.Reactions.Target = id
		if len(reactions) > 0 {
			items := make([]event.ReactionItem, len(reactions))
			for i := range reactions {
				r := &reactions[i]
				role, _ := vbRole(r.OwnerType, "") // checked above
				items[i] = event.ReactionItem{
					Actor: event.Actor{Role: role, ID: event.ActorID(k.keep(r.OwnerID))},
					Emoji: k.keep(r.Emoji),
					AtMs:  r.TmCreate.ms, // 0 when absent
				}
			}
			set.Reactions.Items = items
		}
		n++
	}

	if k.badUTF8 {
		return 0, poisonf(ReasonInvalid, "invalid utf-8 in an id")
	}
	for i := range evs[:n] {
		if verr := evs[i].Validate(); verr != nil {
			return 0, poison(ReasonInvalid, verr)
		}
	}
	return n, nil
}

// contentType maps type and the first media's type to a content type: system is "system"; normal is "text"
// without media, else the first media's image, video or audio as is, and file or document as "document". Other
// values are unknown enums; an empty type, like an absent one, is a missing field. The constants returned keep no
// copy.
func (m *vbMessage) contentType() (string, *Error) {
	switch m.Type {
	case "":
		return "", poisonf(ReasonMissingField, "missing type")
	case "system":
		return "system", nil
	case "normal":
	default:
		return "", poisonf(ReasonUnknownEnum, "unknown type %q", clip(m.Type))
	}
	media := m.Medias[0]
	if media == nil {
		return "text", nil
	}
	switch media.Type {
	case "image":
		return "image", nil
	case "video":
		return "video", nil
	case "audio":
		return "audio", nil
	case "file", "document":
		return "document", nil
	case "":
		return "", poisonf(ReasonMissingField, "missing medias[0].type")
	}
	return "", poisonf(ReasonUnknownEnum, "unknown medias[0].type %q", clip(media.Type))
}

// check verifies the fields of the i-th reaction; any fault is the whole record's.
func (r *vbReaction) check(i int) *Error {
	if err := r.fault(); err != nil {
		return poisonf(err.Reason, "metadata.reactions[%d]: %v", i, err.Err)
	}
	return nil
}

func (r *vbReaction) fault() *Error {
	if _, err := vbRole(r.OwnerType, "owner_type"); err != nil {
		return err
	}
	if r.OwnerID == "" {
		return poisonf(ReasonMissingField, "missing owner_id")
	}
	if r.Emoji == "" {
		return poisonf(ReasonMissingField, "missing emoji")
	}
	_, _, err := r.TmCreate.optional("tm_create")
	return err
}

// vbRole maps an owner_type to a role: agent, customer or user (an end user), bot and system. The names are
// matched as the seed writes them, in lower case.
func vbRole(s, field string) (event.Role, *Error) {
	switch s {
	case "agent":
		return event.RoleAgent, nil
	case "customer", "user":
		return event.RoleUser, nil
	case "bot":
		return event.RoleBot, nil
	case "system":
		return event.RoleSystem, nil
	case "":
		return 0, poisonf(ReasonMissingField, "missing %s", field)
	}
	return 0, poisonf(ReasonUnknownEnum, "unknown %s %q", field, clip(s))
}

// vbTime is a VoIPbin time: "2024-01-17 10:32:00.000000", which is UTC though it names no zone, an RFC 3339 time,
// or epoch ms as a number or a numeric string. An empty string is no time, as are null and an absent key.
type vbTime jsonTime

// UnmarshalJSON never fails, as jsonTime's does not. A null leaves the field as it was, as it leaves a string
// field, so that of repeated keys the last non-null value counts for every field alike.
func (t *vbTime) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == 'n' {
		return nil
	}
	*t = vbTime{state: timeBad}
	if len(b) == 0 {
		return nil
	}
	var ok bool
	switch c := b[0]; {
	case c == '"':
		if len(b) < 2 {
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
		if len(s) == 0 {
			t.state = timeAbsent
			return nil
		}
		if t.ms, ok = parseEpochDigits(s); !ok {
			t.ms, ok = parseDateTime(s, true)
		}
	case c == '-' || isDigit(c):
		t.ms, ok = parseEpochNumber(b)
	default:
		t.state = timeWrongType
		return nil
	}
	if ok {
		t.state = timeOK
	}
	return nil
}

// optional returns the time in ms and whether there is one, or the poison of a value that is no time or is
// outside [2000, 2100).
func (t *vbTime) optional(field string) (int64, bool, *Error) {
	switch t.state {
	case timeAbsent:
		return 0, false, nil
	case timeBad:
		return 0, false, poisonf(ReasonBadTimestamp, "%s is not a date-time or epoch ms", field)
	case timeWrongType:
		return 0, false, poisonf(ReasonWrongType, "%s is not a string or number", field)
	}
	if t.ms < event.MinAtMs || t.ms >= event.MaxAtMs {
		return 0, false, poisonf(ReasonBadTimestamp, "%s %d ms outside [2000, 2100)", field, t.ms)
	}
	return t.ms, true, nil
}

func (t *vbTime) required(field string) (int64, *Error) {
	ms, ok, err := t.optional(field)
	if err == nil && !ok {
		err = poisonf(ReasonMissingField, "missing %s", field)
	}
	return ms, err
}
