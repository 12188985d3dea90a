package gen

import (
	"cmp"
	"slices"
	"time"
)

// Source is the source column of every Causal Foundry row.
const Source = "causalfoundry"

// Expected holds the contract rows the dataset must yield, sorted by their identity.
type Expected struct {
	MessageFacts    []MessageFact
	MessageReceipts []MessageReceipt
}

// NullInt64 is a Nullable(Int64) column value.
type NullInt64 struct {
	Int64 int64
	Valid bool
}

// MessageFact is one message_facts row, fields in column order.
type MessageFact struct {
	Source, Tenant, Platform, MsgID, ConversationID string
	SenderType, SenderID                            string
	RecipientType, RecipientID                      string
	ParentMsgID, ContentType                        string
	SentAt                                          time.Time // UTC, whole seconds
	SentAtMs                                        int64
	DeliveredLatencyMs, ReadLatencyMs               NullInt64
	Failed, Deleted                                 bool
	Replies                                         uint32
	FirstReplyLatencyMs                             NullInt64
	Reactions                                       uint32
}

// MessageReceipt is one message_receipts row.
type MessageReceipt struct {
	Source, Tenant, MsgID, MemberID, Status string
	AtMs, LatencyMs                         int64
}

// receiptID is a receipt's identity within its message.
type receiptID struct{ member, status string }

// expected folds the model into rows; orphan receipts are absent from it by construction.
func (w *world) expected() Expected {
	var e Expected
	type replyAgg struct {
		n     uint32
		first int64
	}
	replies := map[*message]*replyAgg{}
	for _, m := range w.msgs {
		if m.parent == nil {
			continue
		}
		a := replies[m.parent]
		if a == nil {
			a = &replyAgg{first: m.at.ms}
			replies[m.parent] = a
		}
		a.n++
		a.first = min(a.first, m.at.ms)
	}

	for _, m := range w.msgs {
		sent := m.at.ms
		f := MessageFact{
			Source:         Source,
			Platform:       m.conv.platform,
			MsgID:          m.id,
			ConversationID: conversationID(m),
			SenderType:     m.sender.kind,
			SenderID:       m.sender.id,
			RecipientType:  m.recipientType(),
			RecipientID:    m.recipientID,
			ContentType:    m.content,
			SentAt:         time.UnixMilli(sent - sent%1000).UTC(),
			SentAtMs:       sent,
		}
		if m.parent != nil {
			f.ParentMsgID = m.parent.id
		}

		// Earliest time of each receipt identity: a later repeat changes nothing.
		first := map[receiptID]int64{}
		var order []receiptID
		for _, r := range m.receipts {
			id := receiptID{r.member, r.status}
			t, ok := first[id]
			if !ok {
				order = append(order, id)
				t = r.at.ms
			}
			first[id] = min(t, r.at.ms)
		}
		for _, id := range order {
			at := first[id]
			e.MessageReceipts = append(e.MessageReceipts, MessageReceipt{
				Source: Source, MsgID: m.id, MemberID: id.member, Status: id.status,
				AtMs: at, LatencyMs: max(at-sent, 0),
			})
			switch id.status {
			case "delivered":
				f.DeliveredLatencyMs = minLatency(f.DeliveredLatencyMs, at-sent)
			case "read":
				// A read implies delivery.
				f.DeliveredLatencyMs = minLatency(f.DeliveredLatencyMs, at-sent)
				f.ReadLatencyMs = minLatency(f.ReadLatencyMs, at-sent)
			case "failed":
				f.Failed = true
			case "deleted":
				f.Deleted = true
			}
		}

		if a := replies[m]; a != nil {
			f.Replies = a.n
			f.FirstReplyLatencyMs = NullInt64{max(a.first-sent, 0), true}
		}

		distinct := map[[2]string]bool{}
		for _, r := range m.reactions {
			distinct[[2]string{r.actor.id, r.emoji}] = true
		}
		f.Reactions = uint32(len(distinct))
		e.MessageFacts = append(e.MessageFacts, f)
	}

	slices.SortFunc(e.MessageFacts, func(a, b MessageFact) int { return cmp.Compare(a.MsgID, b.MsgID) })
	slices.SortFunc(e.MessageReceipts, func(a, b MessageReceipt) int {
		return cmp.Or(cmp.Compare(a.MsgID, b.MsgID), cmp.Compare(a.MemberID, b.MemberID), cmp.Compare(a.Status, b.Status))
	})
	return e
}

// conversationID is the group id, or the sorted participant pair of a direct chat (the
// sender alone when the message names no recipient).
func conversationID(m *message) string {
	switch {
	case m.conv.groupID != "":
		return m.conv.groupID
	case m.recipientID == "":
		return m.sender.id
	case m.recipientID < m.sender.id:
		return m.recipientID + ":" + m.sender.id
	}
	return m.sender.id + ":" + m.recipientID
}

// minLatency keeps the smaller latency, clamped at 0 (clock skew).
func minLatency(cur NullInt64, d int64) NullInt64 {
	d = max(d, 0)
	if cur.Valid && cur.Int64 <= d {
		return cur
	}
	return NullInt64{d, true}
}
