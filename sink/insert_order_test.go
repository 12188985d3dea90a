package sink

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// shuffledReceipts is n receipts of n/6 messages of one day, in random order, as a batch
// of a busy worker holds them.
func shuffledReceipts(n int) []rows.Receipt {
	r := rand.New(rand.NewPCG(1, 2))
	statuses := []string{"sent", "delivered", "read"}
	out := make([]rows.Receipt, n)
	msgID := ""
	for i := range out {
		sent := t0 + int64(i/6)*100
		if i%6 == 0 {
			msgID = fmt.Sprintf("msg-%016x", r.Uint64())
		}
		out[i] = rows.Receipt{Source: "causalfoundry", Tenant: "t1", MsgID: msgID, MemberID: fmt.Sprintf("u%d", i%7),
			Status: statuses[i%3], AtMs: sent + int64(i%5000), LatencyMs: int64(i % 5000), MsgSentAtMs: sent}
	}
	r.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// BenchmarkSortReceipts measures putting a flush's receipts (36,000, the benchmark's mean) in
// receipt_days' order.
func BenchmarkSortReceipts(b *testing.B) {
	in := shuffledReceipts(36000)
	work := make([]rows.Receipt, len(in))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, in)
		sortRows(work, receiptsTable.order)
	}
	b.ReportMetric(float64(b.N*len(in))/b.Elapsed().Seconds(), "rows/s")
}

// orderSet is a set of every table's rows in random order, with several values in every column
// of their sort keys. Its times lie within span of t0, all in one month.
func orderSet(span int64) *rows.Set {
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	id := func(prefix string) string { return fmt.Sprintf("%s-%x", prefix, r.Uint32()%4096) }
	at := func() int64 { return t0 + r.Int64N(span) }
	s := &rows.Set{}
	for range 400 {
		sent := at()
		s.Messages = append(s.Messages, rows.Message{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1", "t2"),
			Platform: "web", MsgID: id("m"), SenderType: "user", SenderID: id("u"), SentAtMs: sent,
			ContentHash: r.Uint64(), Supersedes: r.IntN(2) == 0})
		s.Receipts = append(s.Receipts, rows.Receipt{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1"),
			MsgID: id("m"), MemberID: id("u"), Status: pick("delivered", "read", "failed"), AtMs: sent + r.Int64N(1000),
			LatencyMs: r.Int64N(1000), MsgSentAtMs: sent})
		s.Replies = append(s.Replies, rows.Reply{Source: "causalfoundry", Tenant: pick("", "t1"), ParentMsgID: id("m"),
			ReplyMsgID: id("m"), ReplyAtMs: at(), MsgSentAtMs: sent})
		s.Reactions = append(s.Reactions, rows.Reaction{Source: "causalfoundry", Tenant: pick("", "t1"), TargetMsgID: id("m"),
			ActorID: id("u"), Emoji: pick("👍", "🎉"), AtMs: at(), Present: r.IntN(2) == 0, MsgSentAtMs: sent})
		s.Sessions = append(s.Sessions, rows.Session{Source: "causalfoundry", Tenant: pick("", "t1"), Platform: pick("web", "sms"),
			UserID: id("u"), SessionID: id("s"), StartMs: sent, EndMs: sent + 1000, Version: r.Uint64N(4)})
		s.Memberships = append(s.Memberships, rows.MembershipChange{Source: "causalfoundry", Tenant: pick("", "t1"),
			GroupID: id("g"), MemberID: id("u"), MemberType: pick("user", "bot"), Action: pick("join", "leave", "remove"), AtMs: at()})
		s.Handovers = append(s.Handovers, rows.Handover{Source: "expertflow", Tenant: pick("", "t1"), Platform: "web",
			ConversationID: id("c"), UserID: id("u"), ToRole: pick("bot", "agent"), AtMs: at()})
	}
	return s
}

// identities lists, for each row of rs in order, what identifies it in a table's rows.
func identities[R any](rs []R, keep func(*R) bool, id func(*R) string) []string {
	var out []string
	for i := range rs {
		if keep == nil || keep(&rs[i]) {
			out = append(out, id(&rs[i]))
		}
	}
	return out
}

// TestRowsAreSentInTheOrderTheirTablesStoreThem inserts a set in random order and reads each
// table's one new part: a table whose part lists the rows in the order they were sent had
// nothing to sort.
func TestRowsAreSentInTheOrderTheirTablesStoreThem(t *testing.T) {
	const hour, days = int64(3_600_000), int64(86_400_000)
	receiptID := func(r *rows.Receipt) string {
		return fmt.Sprintf("%s/%s/%s/%s/%s/%d", r.Source, r.Tenant, r.MsgID, r.MemberID, r.Status, r.AtMs)
	}
	const receiptSQL = "concat(source, '/', tenant, '/', msg_id, '/', member_id, '/', status, '/', toString(at_ms))"
	messageID := func(m *rows.Message) string {
		return fmt.Sprintf("%s/%s/%s/%d", m.Source, m.Tenant, m.MsgID, m.SentAtMs)
	}
	const messageSQL = "concat(source, '/', tenant, '/', msg_id, '/', toString(sent_at_ms))"
	sessionID := func(s *rows.Session) string {
		return fmt.Sprintf("%s/%s/%s/%d", s.Platform, s.UserID, s.SessionID, s.Version)
	}
	const sessionSQL = "concat(platform, '/', user_id, '/', session_id, '/', toString(version))"
	membershipID := func(m *rows.MembershipChange) string {
		return fmt.Sprintf("%s/%s/%s/%d/%s", m.Tenant, m.GroupID, m.MemberID, m.AtMs, m.Action)
	}
	const membershipSQL = "concat(tenant, '/', group_id, '/', member_id, '/', toString(at_ms), '/', action)"
	type check struct {
		table, id string
		sent      func(*rows.Set) []string
	}
	tests := []struct {
		name   string
		span   int64
		checks []check
	}{
		{"a batch of one day is in the order of every table it is inserted into and of those its views copy it to", hour, []check{
			{"messages", messageSQL, func(s *rows.Set) []string { return identities(s.Messages, nil, messageID) }},
			{"message_conflicts", messageSQL, func(s *rows.Set) []string {
				return identities(s.Messages, func(m *rows.Message) bool { return m.Supersedes }, messageID)
			}},
			{"receipts", receiptSQL, func(s *rows.Set) []string { return identities(s.Receipts, nil, receiptID) }},
			{"receipt_days", receiptSQL, func(s *rows.Set) []string { return identities(s.Receipts, nil, receiptID) }},
			{"receipt_firsts", receiptSQL, func(s *rows.Set) []string { return identities(s.Receipts, nil, receiptID) }},
			{"replies", "concat(tenant, '/', parent_msg_id, '/', reply_msg_id, '/', toString(reply_at_ms))", func(s *rows.Set) []string {
				return identities(s.Replies, nil, func(r *rows.Reply) string {
					return fmt.Sprintf("%s/%s/%s/%d", r.Tenant, r.ParentMsgID, r.ReplyMsgID, r.ReplyAtMs)
				})
			}},
			{"reactions", "concat(tenant, '/', target_msg_id, '/', actor_id, '/', emoji, '/', toString(at_ms), '/', toString(present))", func(s *rows.Set) []string {
				return identities(s.Reactions, nil, func(r *rows.Reaction) string {
					p := 0
					if r.Present {
						p = 1
					}
					return fmt.Sprintf("%s/%s/%s/%s/%d/%d", r.Tenant, r.TargetMsgID, r.ActorID, r.Emoji, r.AtMs, p)
				})
			}},
			{"sessions", sessionSQL, func(s *rows.Set) []string { return identities(s.Sessions, nil, sessionID) }},
			{"session_days", sessionSQL, func(s *rows.Set) []string { return identities(s.Sessions, nil, sessionID) }},
			{"membership_events", membershipSQL, func(s *rows.Set) []string { return identities(s.Memberships, nil, membershipID) }},
			{"membership_days", membershipSQL, func(s *rows.Set) []string { return identities(s.Memberships, nil, membershipID) }},
			{"handover_events", "concat(tenant, '/', conversation_id, '/', toString(at_ms), '/', to_role, '/', user_id)", func(s *rows.Set) []string {
				return identities(s.Handovers, nil, func(h *rows.Handover) string {
					return fmt.Sprintf("%s/%s/%d/%s/%s", h.Tenant, h.ConversationID, h.AtMs, h.ToRole, h.UserID)
				})
			}},
		}},
		{"a batch of several days is in the order of the receipts' and sessions' tables by day", 10 * days, []check{
			{"receipt_days", receiptSQL, func(s *rows.Set) []string { return identities(s.Receipts, nil, receiptID) }},
			{"receipt_firsts", receiptSQL, func(s *rows.Set) []string { return identities(s.Receipts, nil, receiptID) }},
			{"session_days", sessionSQL, func(s *rows.Set) []string { return identities(s.Sessions, nil, sessionID) }},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c := migratedClient(t)
			set := orderSet(tt.span)
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
			for _, ch := range tt.checks {
				want := ch.sent(set)
				got := queryStrings(t, c, "SELECT "+ch.id+" FROM "+c.db+"."+ch.table+" SETTINGS max_threads = 1")
				if !slices.Equal(got, want) {
					t.Errorf("%s stores %d rows in another order than the %d sent:\n stored %.5q\n sent   %.5q", ch.table, len(got), len(want), got, want)
				}
			}
		})
	}
}
