package sink

import (
	"cmp"
	"sort"
	"strings"

	"github.com/chatpulse/chatpulse/rows"
)

// The order each table's rows are sent in. A MergeTree table sorts every new part by its sort
// key unless the whole block already is in that order, and on 18.16 that sort of several
// string columns was most of the CPU of writing a raw table's part (BENCHMARKS.md, "Rows sent
// in their tables' order"). So the client sends each table's rows in that table's key order,
// and receipts and sessions by day first, the order of the day tables their views fill:
// receipt_days, receipt_firsts and session_days are always served, receipts and sessions only
// by a batch whose rows are all of one day. The other views group their rows or file them by
// another key, and their tables sort as before.
//
// The order decides what the server sorts, not what a table holds, but for one thing: rows
// with equal sort keys may reach a table in another order than they came, which decides which
// of them a ReplacingMergeTree keeps. The order they came in was never fixed either: a batch
// interleaves the partitions' rows as they arrive.

// sortRows puts rs in order, in place. Rows are compared in place: they are too wide to copy
// for every comparison.
func sortRows[R any](rs []R, order func(a, b *R) int) {
	s := rowSorter[R]{rs, order}
	if !sort.IsSorted(s) {
		sort.Sort(s)
	}
}

type rowSorter[R any] struct {
	rs    []R
	order func(a, b *R) int
}

func (s rowSorter[R]) Len() int           { return len(s.rs) }
func (s rowSorter[R]) Less(i, j int) bool { return s.order(&s.rs[i], &s.rs[j]) < 0 }
func (s rowSorter[R]) Swap(i, j int)      { s.rs[i], s.rs[j] = s.rs[j], s.rs[i] }

// msDay is the UTC day of an epoch-millisecond time as toDate(intDiv(ms, 1000), 'UTC') gives it
// for every time the tables hold: event times within event.MinAtMs and event.MaxAtMs, and 0
// for a message time never known.
func msDay(ms int64) int64 { return ms / 86_400_000 }

// receiptOrder is receipt_days' sort key: (day, source, tenant, msg_id, member_id, status,
// at_ms, latency_ms), with receipt_firsts' key a prefix of it and receipts' the rest of it.
func receiptOrder(a, b *rows.Receipt) int {
	if c := cmp.Compare(msDay(a.MsgSentAtMs), msDay(b.MsgSentAtMs)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.MsgID, b.MsgID); c != 0 {
		return c
	}
	if c := strings.Compare(a.MemberID, b.MemberID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Status, b.Status); c != 0 {
		return c
	}
	if c := cmp.Compare(a.AtMs, b.AtMs); c != 0 {
		return c
	}
	return cmp.Compare(a.LatencyMs, b.LatencyMs)
}

// messageOrder is the sort key of messages and message_conflicts: (source, tenant, msg_id,
// sent_at_ms, content_hash).
func messageOrder(a, b *rows.Message) int {
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.MsgID, b.MsgID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.SentAtMs, b.SentAtMs); c != 0 {
		return c
	}
	return cmp.Compare(a.ContentHash, b.ContentHash)
}

// replyOrder is replies' sort key: (source, tenant, parent_msg_id, reply_msg_id, reply_at_ms).
func replyOrder(a, b *rows.Reply) int {
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.ParentMsgID, b.ParentMsgID); c != 0 {
		return c
	}
	if c := strings.Compare(a.ReplyMsgID, b.ReplyMsgID); c != 0 {
		return c
	}
	return cmp.Compare(a.ReplyAtMs, b.ReplyAtMs)
}

// reactionOrder is reactions' sort key: (source, tenant, target_msg_id, actor_id, emoji, at_ms,
// present).
func reactionOrder(a, b *rows.Reaction) int {
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.TargetMsgID, b.TargetMsgID); c != 0 {
		return c
	}
	if c := strings.Compare(a.ActorID, b.ActorID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Emoji, b.Emoji); c != 0 {
		return c
	}
	if c := cmp.Compare(a.AtMs, b.AtMs); c != 0 {
		return c
	}
	return cmpBool(a.Present, b.Present)
}

// sessionOrder is session_days' sort key: (day, source, tenant, platform, user_id, session_id,
// version), the day the session starts; sessions' key is the rest of it.
func sessionOrder(a, b *rows.Session) int {
	if c := cmp.Compare(msDay(a.StartMs), msDay(b.StartMs)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.Platform, b.Platform); c != 0 {
		return c
	}
	if c := strings.Compare(a.UserID, b.UserID); c != 0 {
		return c
	}
	if c := strings.Compare(a.SessionID, b.SessionID); c != 0 {
		return c
	}
	return cmp.Compare(a.Version, b.Version)
}

// membershipOrder is membership_events' sort key: (source, tenant, group_id, member_id, at_ms,
// action, member_type).
func membershipOrder(a, b *rows.MembershipChange) int {
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.GroupID, b.GroupID); c != 0 {
		return c
	}
	if c := strings.Compare(a.MemberID, b.MemberID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.AtMs, b.AtMs); c != 0 {
		return c
	}
	if c := strings.Compare(a.Action, b.Action); c != 0 {
		return c
	}
	return strings.Compare(a.MemberType, b.MemberType)
}

// handoverOrder is handover_events' sort key: (source, tenant, conversation_id, at_ms, to_role,
// user_id, platform).
func handoverOrder(a, b *rows.Handover) int {
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.ConversationID, b.ConversationID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.AtMs, b.AtMs); c != 0 {
		return c
	}
	if c := strings.Compare(a.ToRole, b.ToRole); c != 0 {
		return c
	}
	if c := strings.Compare(a.UserID, b.UserID); c != 0 {
		return c
	}
	return strings.Compare(a.Platform, b.Platform)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	default:
		return 1
	}
}
