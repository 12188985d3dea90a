package sink

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

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

// orderSet is every table's rows in random order. Each column of every sort key takes two or
// three values, so that each decides the order of some neighbours. Its times are at t0, t0 +
// span/2 and t0 + span - 1, all in one month.
func orderSet(span int64) *rows.Set {
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	at := func() int64 { return t0 + []int64{0, span / 2, span - 1}[r.IntN(3)] }
	id := func(prefix string) string { return pick(prefix+"-a", prefix+"-b", prefix+"-c") }
	s := &rows.Set{}
	for range 400 {
		sent := at()
		s.Messages = append(s.Messages, rows.Message{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1"),
			Platform: "web", MsgID: id("m"), SenderType: "user", SenderID: id("u"), SentAtMs: sent,
			ContentHash: uint64(1 + r.IntN(2)), Supersedes: r.IntN(2) == 0})
		s.Receipts = append(s.Receipts, rows.Receipt{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1"),
			MsgID: id("m"), MemberID: pick("u-a", "u-b"), Status: pick("delivered", "read", "failed"),
			AtMs: sent + int64(500*r.IntN(2)), LatencyMs: int64(500 * r.IntN(2)), MsgSentAtMs: sent})
		s.Replies = append(s.Replies, rows.Reply{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1"),
			ParentMsgID: id("m"), ReplyMsgID: id("r"), ReplyAtMs: at(), MsgSentAtMs: sent})
		s.Reactions = append(s.Reactions, rows.Reaction{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1"),
			TargetMsgID: id("m"), ActorID: pick("u-a", "u-b"), Emoji: pick("👍", "🎉"), AtMs: at(), Present: r.IntN(2) == 0,
			MsgSentAtMs: sent})
		s.Sessions = append(s.Sessions, rows.Session{Source: pick("causalfoundry", "chatlayer"), Tenant: pick("", "t1"),
			Platform: pick("web", "sms"), UserID: pick("u-a", "u-b"), SessionID: id("s"), StartMs: at(), EndMs: t0 + span,
			Version: uint64(r.IntN(2))})
		s.Memberships = append(s.Memberships, rows.MembershipChange{Source: pick("causalfoundry", "chatlayer"),
			Tenant: pick("", "t1"), GroupID: id("g"), MemberID: pick("u-a", "u-b"), MemberType: pick("user", "bot"),
			Action: pick("join", "leave", "remove"), AtMs: at()})
		s.Handovers = append(s.Handovers, rows.Handover{Source: pick("expertflow", "chatlayer"), Tenant: pick("", "t1"),
			Platform: pick("web", "sms"), ConversationID: id("c"), UserID: pick("u-a", "u-b"), ToRole: pick("bot", "agent"),
			AtMs: at()})
	}
	return s
}

// keys lists the sort key columns of each row of rs that keep says a table holds, in order.
func keys[R any](rs []R, keep func(*R) bool, key func(*R) []string) [][]string {
	var out [][]string
	for i := range rs {
		if keep == nil || keep(&rs[i]) {
			out = append(out, key(&rs[i]))
		}
	}
	return out
}

func utcDay(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.DateOnly) }

func itoa[T int64 | uint64](v T) string { return fmt.Sprint(v) }

func boolKey(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// The key columns of each kind of row, and the same columns as a table stores them.
var (
	receiptKey = func(r *rows.Receipt) []string {
		return []string{utcDay(r.MsgSentAtMs), r.Source, r.Tenant, r.MsgID, r.MemberID, r.Status, itoa(r.AtMs), itoa(r.LatencyMs)}
	}
	receiptKeySQL = []string{"source", "tenant", "msg_id", "member_id", "status", "toString(at_ms)", "toString(latency_ms)"}
	messageKey    = func(m *rows.Message) []string {
		return []string{m.Source, m.Tenant, m.MsgID, itoa(m.SentAtMs), itoa(m.ContentHash)}
	}
	messageKeySQL = []string{"source", "tenant", "msg_id", "toString(sent_at_ms)", "toString(content_hash)"}
	sessionKey    = func(s *rows.Session) []string {
		return []string{utcDay(s.StartMs), s.Source, s.Tenant, s.Platform, s.UserID, s.SessionID, itoa(s.Version)}
	}
	sessionKeySQL = []string{"source", "tenant", "platform", "user_id", "session_id", "toString(version)"}
	membershipKey = func(m *rows.MembershipChange) []string {
		return []string{utcDay(m.AtMs), m.Source, m.Tenant, m.GroupID, m.MemberID, itoa(m.AtMs), m.Action, m.MemberType}
	}
	membershipKeySQL = []string{"source", "tenant", "group_id", "member_id", "toString(at_ms)", "action", "member_type"}
)

// dayOf is the SQL of the UTC day of a column of epoch milliseconds, as the day tables file it.
func dayOf(col string) string { return "toString(toDate(intDiv(" + col + ", 1000), 'UTC'))" }

// TestRowsAreSentInTheOrderTheirTablesStoreThem inserts a set in random order and reads each
// table's one new part: a table whose part lists the rows in the order they were sent had
// nothing to sort.
func TestRowsAreSentInTheOrderTheirTablesStoreThem(t *testing.T) {
	const hour, days = int64(3_600_000), int64(86_400_000)
	type check struct {
		table string
		cols  []string // the key's columns as the table stores them
		sent  func(*rows.Set) [][]string
	}
	receipts := func(s *rows.Set) [][]string { return keys(s.Receipts, nil, receiptKey) }
	sessions := func(s *rows.Set) [][]string { return keys(s.Sessions, nil, sessionKey) }
	oneDay := []check{
		{"messages", messageKeySQL, func(s *rows.Set) [][]string { return keys(s.Messages, nil, messageKey) }},
		{"message_conflicts", messageKeySQL, func(s *rows.Set) [][]string {
			return keys(s.Messages, func(m *rows.Message) bool { return m.Supersedes }, messageKey)
		}},
		{"receipts", append([]string{dayOf("msg_sent_at_ms")}, receiptKeySQL...), receipts},
		{"receipt_days", append([]string{"toString(day)"}, receiptKeySQL...), receipts},
		{"receipt_firsts", append([]string{"toString(day)"}, receiptKeySQL[:6]...), func(s *rows.Set) [][]string {
			return keys(s.Receipts, nil, func(r *rows.Receipt) []string { return receiptKey(r)[:7] })
		}},
		{"replies", []string{"source", "tenant", "parent_msg_id", "reply_msg_id", "toString(reply_at_ms)"}, func(s *rows.Set) [][]string {
			return keys(s.Replies, nil, func(r *rows.Reply) []string {
				return []string{r.Source, r.Tenant, r.ParentMsgID, r.ReplyMsgID, itoa(r.ReplyAtMs)}
			})
		}},
		{"reactions", []string{"source", "tenant", "target_msg_id", "actor_id", "emoji", "toString(at_ms)", "toString(present)"}, func(s *rows.Set) [][]string {
			return keys(s.Reactions, nil, func(r *rows.Reaction) []string {
				return []string{r.Source, r.Tenant, r.TargetMsgID, r.ActorID, r.Emoji, itoa(r.AtMs), boolKey(r.Present)}
			})
		}},
		{"sessions", append([]string{dayOf("start_ms")}, sessionKeySQL...), sessions},
		{"session_days", append([]string{"toString(day)"}, sessionKeySQL...), sessions},
		{"membership_events", append([]string{dayOf("at_ms")}, membershipKeySQL...), func(s *rows.Set) [][]string {
			return keys(s.Memberships, nil, membershipKey)
		}},
		{"membership_days", append([]string{"toString(day)"}, membershipKeySQL...), func(s *rows.Set) [][]string {
			return keys(s.Memberships, nil, membershipKey)
		}},
		{"handover_events", []string{"source", "tenant", "conversation_id", "toString(at_ms)", "to_role", "user_id", "platform"}, func(s *rows.Set) [][]string {
			return keys(s.Handovers, nil, func(h *rows.Handover) []string {
				return []string{h.Source, h.Tenant, h.ConversationID, itoa(h.AtMs), h.ToRole, h.UserID, h.Platform}
			})
		}},
	}
	tests := []struct {
		name   string
		span   int64
		checks []check
	}{
		{"a batch of one day is in the order of every table it is inserted into and of those its views copy it to", hour, oneDay},
		{"a batch of several days is in the order of the receipts' and sessions' tables by day", 10 * days, []check{
			oneDay[3], oneDay[4], oneDay[8],
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
				if len(want) < 100 {
					t.Fatalf("%s: %d rows sent, too few to tell an order", ch.table, len(want))
				}
				requireEveryColumnDecides(t, ch.table, ch.cols, want)
				parts := queryUint64(t, c, "SELECT count() FROM system.parts WHERE database = '"+c.db+"' AND table = '"+ch.table+"' AND active")
				merged := queryUint64(t, c, "SELECT count() FROM system.parts WHERE database = '"+c.db+"' AND table = '"+ch.table+"' AND active AND level > 0")
				if parts != 1 || merged != 0 {
					t.Fatalf("%s has %d active parts (%d merged), want the insert's one", ch.table, parts, merged)
				}
				got := queryStrings(t, c, "SELECT concat("+strings.Join(ch.cols, ", '|', ")+") FROM "+c.db+"."+ch.table+" SETTINGS max_threads = 1")
				if sent := joinKeys(want); !slices.Equal(got, sent) {
					t.Errorf("%s stores %d rows in another order than the %d sent:\n stored %.5q\n sent   %.5q", ch.table, len(got), len(sent), got, sent)
				}
			}
		})
	}
}

// requireEveryColumnDecides fails the test unless each column that is not the same in every
// row is the first to differ between some two neighbouring rows: a column that never decides
// the order would pass however it is compared.
func requireEveryColumnDecides(t *testing.T, table string, cols []string, rs [][]string) {
	t.Helper()
	decides := make([]bool, len(cols))
	varies := make([]bool, len(cols))
	for i := 1; i < len(rs); i++ {
		first := true
		for j := range cols {
			if rs[i][j] != rs[0][j] {
				varies[j] = true
			}
			if first && rs[i][j] != rs[i-1][j] {
				decides[j], first = true, false
			}
		}
	}
	for j, col := range cols {
		if varies[j] && !decides[j] {
			t.Errorf("%s: %s never decides the order of two neighbouring rows; the fixture cannot check it", table, col)
		}
	}
}

func joinKeys(rs [][]string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strings.Join(r, "|")
	}
	return out
}
