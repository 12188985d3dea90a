package sink

import (
	"slices"
	"unsafe"

	"github.com/chatpulse/chatpulse/rows"
)

// text holds copies of the strings of rows that wait for an insert. The strings of a
// submitted row are cut from the record its events were decoded from (a whole bundle of
// events, and the fetch response it came in), so a row kept as it is keeps that memory alive
// until its insert; copied here, the rows waiting cost only their own bytes. Copies go into
// large chunks, and a field whose value repeats from row to row (source, tenant, status, ...)
// shares one copy. Only the writer's goroutine holding mu uses a text.
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

// appendDetached appends the rows of src to dst, every string replaced by a copy in t. Each row
// is built once, with its copies, and written once: appending the rows and then replacing their
// strings wrote every row twice.
func (t *text) appendDetached(dst, src *rows.Set) {
	dst.Messages = slices.Grow(dst.Messages, len(src.Messages))
	for _, r := range src.Messages {
		r.Source, r.Tenant, r.Platform = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant), t.repeat(slotPlatform, r.Platform)
		r.MsgID, r.ConversationID, r.ParentMsgID = t.copy(r.MsgID), t.copy(r.ConversationID), t.copy(r.ParentMsgID)
		r.SenderType, r.SenderID = t.repeat(slotKind, r.SenderType), t.copy(r.SenderID)
		r.RecipientType, r.RecipientID = t.repeat(slotKind, r.RecipientType), t.copy(r.RecipientID)
		r.ContentType = t.repeat(slotContentType, r.ContentType)
		dst.Messages = append(dst.Messages, r)
	}
	dst.Receipts = slices.Grow(dst.Receipts, len(src.Receipts))
	for _, r := range src.Receipts {
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.MsgID, r.MemberID, r.Status = t.copy(r.MsgID), t.copy(r.MemberID), t.repeat(slotStatus, r.Status)
		dst.Receipts = append(dst.Receipts, r)
	}
	dst.Replies = slices.Grow(dst.Replies, len(src.Replies))
	for _, r := range src.Replies {
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.ParentMsgID, r.ReplyMsgID = t.copy(r.ParentMsgID), t.copy(r.ReplyMsgID)
		dst.Replies = append(dst.Replies, r)
	}
	dst.Reactions = slices.Grow(dst.Reactions, len(src.Reactions))
	for _, r := range src.Reactions {
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.TargetMsgID, r.ActorID, r.Emoji = t.copy(r.TargetMsgID), t.copy(r.ActorID), t.repeat(slotEmoji, r.Emoji)
		dst.Reactions = append(dst.Reactions, r)
	}
	dst.Sessions = slices.Grow(dst.Sessions, len(src.Sessions))
	for _, r := range src.Sessions {
		r.Source, r.Tenant, r.Platform = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant), t.repeat(slotPlatform, r.Platform)
		r.UserID, r.SessionID = t.copy(r.UserID), t.copy(r.SessionID)
		dst.Sessions = append(dst.Sessions, r)
	}
	dst.Memberships = slices.Grow(dst.Memberships, len(src.Memberships))
	for _, r := range src.Memberships {
		r.Source, r.Tenant = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant)
		r.GroupID, r.MemberID = t.copy(r.GroupID), t.copy(r.MemberID)
		r.MemberType, r.Action = t.repeat(slotKind, r.MemberType), t.repeat(slotStatus, r.Action)
		dst.Memberships = append(dst.Memberships, r)
	}
	dst.Handovers = slices.Grow(dst.Handovers, len(src.Handovers))
	for _, r := range src.Handovers {
		r.Source, r.Tenant, r.Platform = t.repeat(slotSource, r.Source), t.repeat(slotTenant, r.Tenant), t.repeat(slotPlatform, r.Platform)
		r.ConversationID, r.UserID, r.ToRole = t.copy(r.ConversationID), t.copy(r.UserID), t.repeat(slotKind, r.ToRole)
		dst.Handovers = append(dst.Handovers, r)
	}
}
