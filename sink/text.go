package sink

import (
	"unsafe"

	"github.com/chatpulse/chatpulse/rows"
)

// text holds copies of the strings of rows that wait for an insert. The strings of a
// submitted row are cut from the buffers its events were decoded from (a whole bundle of
// events), so a row kept as it is keeps that buffer alive until its insert; copied here, the
// rows waiting cost only their own bytes. Copies go into large chunks, and a field whose value
// repeats from row to row (source, tenant, status, ...) shares one copy. Only the writer's
// goroutine holding mu uses a text.
type text struct {
	chunk []byte
	last  [slots]string // the latest copy per slot
}

// The slots of the fields whose values repeat.
const (
	slotSource = iota
	slotTenant
	slotPlatform
	slotKind // sender, recipient and member types, the role a conversation goes to
	slotStatus
	slotContentType
	slotEmoji
	slots
)

// textChunkBytes is the size of a chunk; a longer string gets a chunk of its own.
const textChunkBytes = 64 << 10

// copy returns a copy of s in t's chunks.
func (t *text) copy(s string) string {
	if s == "" {
		return ""
	}
	if cap(t.chunk)-len(t.chunk) < len(s) {
		// The full chunk stays alive through the strings already cut from it.
		t.chunk = make([]byte, 0, max(textChunkBytes, len(s)))
	}
	start := len(t.chunk)
	t.chunk = append(t.chunk, s...)
	return unsafe.String(&t.chunk[start], len(s))
}

// repeat is copy for a field whose value usually equals the previous row's.
func (t *text) repeat(slot int, s string) string {
	if s != t.last[slot] {
		t.last[slot] = t.copy(s)
	}
	return t.last[slot]
}

// reset forgets every copy; strings already handed out stay valid.
func (t *text) reset() { *t = text{} }

// detach replaces every string of s's rows from the given lengths on by a copy in t.
func (t *text) detach(s *rows.Set, from rowCounts) {
	for i := from.messages; i < len(s.Messages); i++ {
		r := &s.Messages[i]
		r.Source, r.Tenant, r.Platform = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant), t.repeat(slotPlatform, r.Platform)
		r.MsgID, r.ConversationID, r.ParentMsgID = t.copy(r.MsgID), t.copy(r.ConversationID), t.copy(r.ParentMsgID)
		r.SenderType, r.SenderID = t.repeat(slotKind, r.SenderType), t.copy(r.SenderID)
		r.RecipientType, r.RecipientID = t.repeat(slotKind, r.RecipientType), t.copy(r.RecipientID)
		r.ContentType = t.repeat(slotContentType, r.ContentType)
	}
	for i := from.receipts; i < len(s.Receipts); i++ {
		r := &s.Receipts[i]
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.MsgID, r.MemberID, r.Status = t.copy(r.MsgID), t.copy(r.MemberID), t.repeat(slotStatus, r.Status)
	}
	for i := from.replies; i < len(s.Replies); i++ {
		r := &s.Replies[i]
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.ParentMsgID, r.ReplyMsgID = t.copy(r.ParentMsgID), t.copy(r.ReplyMsgID)
	}
	for i := from.reactions; i < len(s.Reactions); i++ {
		r := &s.Reactions[i]
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.TargetMsgID, r.ActorID, r.Emoji = t.copy(r.TargetMsgID), t.copy(r.ActorID), t.repeat(slotEmoji, r.Emoji)
	}
	for i := from.sessions; i < len(s.Sessions); i++ {
		r := &s.Sessions[i]
		r.Source, r.Tenant, r.Platform = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant), t.repeat(slotPlatform, r.Platform)
		r.UserID, r.SessionID = t.copy(r.UserID), t.copy(r.SessionID)
	}
	for i := from.memberships; i < len(s.Memberships); i++ {
		r := &s.Memberships[i]
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.GroupID, r.MemberID = t.copy(r.GroupID), t.copy(r.MemberID)
		r.MemberType, r.Action = t.repeat(slotKind, r.MemberType), t.repeat(slotStatus, r.Action)
	}
	for i := from.handovers; i < len(s.Handovers); i++ {
		r := &s.Handovers[i]
		r.Source, r.Tenant, r.Platform = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant), t.repeat(slotPlatform, r.Platform)
		r.ConversationID, r.UserID, r.ToRole = t.copy(r.ConversationID), t.copy(r.UserID), t.repeat(slotKind, r.ToRole)
	}
}

// rowCounts are the lengths of a set's tables.
type rowCounts struct {
	messages, receipts, replies, reactions, sessions, memberships, handovers int
}

func countRows(s *rows.Set) rowCounts {
	return rowCounts{len(s.Messages), len(s.Receipts), len(s.Replies), len(s.Reactions),
		len(s.Sessions), len(s.Memberships), len(s.Handovers)}
}
