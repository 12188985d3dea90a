package gen

import (
	"cmp"
	"slices"
	"time"
)

// Source is the source column of every Causal Foundry row.
const Source = FormatCausalFoundry

// Expected holds the contract rows the dataset must yield, sorted by their identity, and the
// one-row results of the documented metrics.
type Expected struct {
	MessageFacts    []MessageFact
	MessageReceipts []MessageReceipt

	UserSessions     []UserSession     // the sessions' current rows, without closed
	MembershipEvents []MembershipEvent // distinct rows of the internal membership_events table
	GroupMembers     []GroupMember
	GroupDaily       []GroupDay
	Handovers        []Handover
	EngagementDaily  []EngagementDay

	DauWauMau           []DauWauMau // by day
	NewUsers            []NewUsers  // by day
	BotReplies          BotReplies
	BotResponse         BotResponse
	FirstHumanResponse  FirstHumanResponse
	Containment         Containment
	ReactionsPerMessage ReactionsPerMessage
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

// canonMessage is a message reduced to what its rows depend on, whatever its format; every
// format's model reduces to these and fold does the arithmetic once.
type canonMessage struct {
	fact      MessageFact    // identity and descriptive columns; fold fills the rest
	receipts  []canonReceipt // every receipt the stream carries, repeats included
	reactions int            // reactions currently on the message
}

type canonReceipt struct {
	member, status string
	at             int64
}

// receiptID is a receipt's identity within its message.
type receiptID struct{ member, status string }

// msgKey is a message's identity: replies find their parent by it.
type msgKey struct{ source, tenant, id string }

// fold turns messages into sorted contract rows.
func fold(msgs []canonMessage) Expected {
	var e Expected
	type replyAgg struct {
		n     uint32
		first int64
	}
	replies := map[msgKey]*replyAgg{}
	for i := range msgs {
		f := &msgs[i].fact
		if f.ParentMsgID == "" {
			continue
		}
		k := msgKey{f.Source, f.Tenant, f.ParentMsgID}
		a := replies[k]
		if a == nil {
			a = &replyAgg{first: f.SentAtMs}
			replies[k] = a
		}
		a.n++
		a.first = min(a.first, f.SentAtMs)
	}

	for _, m := range msgs {
		f := m.fact
		sent := f.SentAtMs
		f.SentAt = time.UnixMilli(sent - sent%1000).UTC()

		// Earliest time of each receipt identity: a later repeat changes nothing.
		first := map[receiptID]int64{}
		var order []receiptID
		for _, r := range m.receipts {
			id := receiptID{r.member, r.status}
			t, ok := first[id]
			if !ok {
				order = append(order, id)
				t = r.at
			}
			first[id] = min(t, r.at)
		}
		for _, id := range order {
			at := first[id]
			e.MessageReceipts = append(e.MessageReceipts, MessageReceipt{
				Source: f.Source, Tenant: f.Tenant, MsgID: f.MsgID, MemberID: id.member, Status: id.status,
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

		if a := replies[msgKey{f.Source, f.Tenant, f.MsgID}]; a != nil {
			f.Replies = a.n
			f.FirstReplyLatencyMs = NullInt64{max(a.first-sent, 0), true}
		}
		f.Reactions = uint32(m.reactions)
		e.MessageFacts = append(e.MessageFacts, f)
	}
	e.sort()
	return e
}

func (e *Expected) sort() {
	slices.SortFunc(e.MessageFacts, func(a, b MessageFact) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.MsgID, b.MsgID))
	})
	slices.SortFunc(e.MessageReceipts, func(a, b MessageReceipt) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.MsgID, b.MsgID),
			cmp.Compare(a.MemberID, b.MemberID), cmp.Compare(a.Status, b.Status))
	})
}

// minLatency keeps the smaller latency, clamped at 0 (clock skew).
func minLatency(cur NullInt64, d int64) NullInt64 {
	d = max(d, 0)
	if cur.Valid && cur.Int64 <= d {
		return cur
	}
	return NullInt64{d, true}
}
