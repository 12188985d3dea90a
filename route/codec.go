package route

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chatpulse/chatpulse/event"
)

// codecVersion leads every internal record so that the encoding can change without misreading
// records written by an older release.
const codecVersion byte = 1

// ErrCorrupt marks an internal record that cannot be decoded.
var ErrCorrupt = errors.New("corrupt internal record")

// Encode appends the internal form of ev, sent as kind, to b.
func Encode(b []byte, kind Kind, ev *event.Event) []byte {
	b = append(b, codecVersion, byte(kind), byte(ev.Kind), byte(ev.Source))
	b = binary.AppendVarint(b, ev.AtMs)
	b = appendString(b, string(ev.Tenant))
	b = appendString(b, ev.Platform)
	switch ev.Kind {
	case event.KindMessage:
		m := &ev.Message
		b = appendString(b, string(m.ID))
		b = appendString(b, string(m.ConversationID))
		b = appendActor(b, m.Sender)
		b = append(b, byte(m.Recipient.Type))
		b = appendString(b, m.Recipient.ID)
		b = appendString(b, string(m.Parent))
		b = appendString(b, m.ContentType)
	case event.KindReceipt:
		r := &ev.Receipt
		b = appendString(b, string(r.Msg))
		b = appendString(b, string(r.Member))
		b = append(b, byte(r.Status))
	case event.KindReaction:
		r := &ev.Reaction
		b = appendString(b, string(r.Target))
		b = appendActor(b, r.Actor)
		b = appendString(b, r.Emoji)
		b = append(b, boolByte(r.Present))
	case event.KindReactionSet:
		r := &ev.Reactions
		b = appendString(b, string(r.Target))
		b = binary.AppendUvarint(b, uint64(len(r.Items)))
		for _, it := range r.Items {
			b = appendActor(b, it.Actor)
			b = appendString(b, it.Emoji)
			b = binary.AppendVarint(b, it.AtMs)
		}
	case event.KindMembership:
		m := &ev.Membership
		b = appendString(b, string(m.Group))
		b = append(b, byte(m.Action))
		b = appendActor(b, m.Member)
	case event.KindHandover:
		h := &ev.Handover
		b = appendString(b, string(h.ConversationID))
		b = append(b, byte(h.To))
		b = appendString(b, string(h.User))
	}
	return b
}

// Decode reads one encoded event into ev. Strings in ev share one allocation made from value.
func Decode(value []byte, ev *event.Event) (Kind, error) {
	return decodeString(string(value), ev)
}

// decodeString reads one encoded event from s; strings in ev are substrings of s.
func decodeString(value string, ev *event.Event) (Kind, error) {
	if len(value) < 4 {
		return 0, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(value))
	}
	if value[0] != codecVersion {
		return 0, fmt.Errorf("%w: version %d", ErrCorrupt, value[0])
	}
	kind := Kind(value[1])
	if kind == 0 || int(kind) >= len(kindNames) {
		return 0, fmt.Errorf("%w: route kind %d", ErrCorrupt, value[1])
	}
	*ev = event.Event{Kind: event.Kind(value[2]), Source: event.Source(value[3])}
	r := reader{s: value[4:]}
	ev.AtMs = r.varint()
	ev.Tenant = event.Tenant(r.string())
	ev.Platform = r.string()
	switch ev.Kind {
	case event.KindMessage:
		m := &ev.Message
		m.ID = event.MsgID(r.string())
		m.ConversationID = event.ConversationID(r.string())
		m.Sender = r.actor()
		m.Recipient.Type = event.RecipientType(r.byte())
		m.Recipient.ID = r.string()
		m.Parent = event.MsgID(r.string())
		m.ContentType = r.string()
	case event.KindReceipt:
		rc := &ev.Receipt
		rc.Msg = event.MsgID(r.string())
		rc.Member = event.ActorID(r.string())
		rc.Status = event.ReceiptStatus(r.byte())
	case event.KindReaction:
		rc := &ev.Reaction
		rc.Target = event.MsgID(r.string())
		rc.Actor = r.actor()
		rc.Emoji = r.string()
		rc.Present = r.byte() == 1
	case event.KindReactionSet:
		rs := &ev.Reactions
		rs.Target = event.MsgID(r.string())
		n := r.uvarint()
		if n > event.MaxReactionItems {
			return 0, fmt.Errorf("%w: %d reactions in a set", ErrCorrupt, n)
		}
		if n > 0 {
			rs.Items = make([]event.ReactionItem, n)
		}
		for i := range rs.Items {
			rs.Items[i] = event.ReactionItem{Actor: r.actor(), Emoji: r.string(), AtMs: r.varint()}
		}
	case event.KindMembership:
		m := &ev.Membership
		m.Group = event.GroupID(r.string())
		m.Action = event.MembershipAction(r.byte())
		m.Member = r.actor()
	case event.KindHandover:
		h := &ev.Handover
		h.ConversationID = event.ConversationID(r.string())
		h.To = event.Role(r.byte())
		h.User = event.ActorID(r.string())
	default:
		return 0, fmt.Errorf("%w: event kind %d", ErrCorrupt, value[2])
	}
	if r.err != nil {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, r.err)
	}
	if r.s != "" {
		return 0, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.s))
	}
	if err := ev.Validate(); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return kind, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendActor(b []byte, a event.Actor) []byte {
	b = append(b, byte(a.Role))
	return appendString(b, string(a.ID))
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// reader consumes a string; the first error sticks and later reads return zero values.
type reader struct {
	s   string
	err error
}

var errShort = errors.New("truncated")

func (r *reader) byte() byte {
	if r.err != nil || r.s == "" {
		r.err = errShort
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

// uvarint reads what binary.Uvarint reads, and rejects what it rejects. Most values of an
// internal record (lengths, kinds, small deltas) fit in one byte, which takes the first branch.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	if r.s != "" && r.s[0] < 0x80 {
		c := r.s[0]
		r.s = r.s[1:]
		return uint64(c)
	}
	var x uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if i == len(r.s) {
			r.err = errShort
			return 0
		}
		c := r.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			r.s = r.s[i+1:]
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	r.err = errors.New("varint overflow")
	return 0
}

func (r *reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)) {
		r.err = errShort
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *reader) actor() event.Actor {
	role := event.Role(r.byte())
	return event.Actor{Role: role, ID: event.ActorID(r.string())}
}
