package sink

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/chatpulse/chatpulse/deploy/grafana"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// viewPanels are what the dashboard panels that read the tables filed by day show, written
// over the contract views for the same range, as the panels read them before migration 6: the
// group panels from group_daily and group_members, the receipt panels from message_receipts of
// the messages of message_facts sent in the range, the bot response panels as the
// bot_response metric of the user messages sent in the range, and the rate panels from
// message_facts over the sources with a delivered or read message in the range, which the
// panels find in the same pass as the rates. A panel must show the rows of its view form.
var viewPanels = map[string]string{
	"groups.json: Membership changes in range": `SELECT sum(joins) AS joined, sum(leaves) AS departed, sum(removes) AS removed, sum(net_change) AS net
FROM ${database}.group_daily
WHERE $__dateFilter(day) AND source IN (${source:singlequote})`,

	"groups.json: Members at end of day, largest groups": `SELECT day, group_id, max(members_end_of_day) AS members
FROM ${database}.group_daily
WHERE $__dateFilter(day) AND source IN (${source:singlequote})
  AND group_id IN (
      SELECT group_id FROM ${database}.group_members WHERE source IN (${source:singlequote})
      GROUP BY group_id ORDER BY sum(is_member) DESC, group_id LIMIT 10
  )
GROUP BY day, group_id
ORDER BY day`,

	"groups.json: Joins and departures per day": `SELECT day, sum(joins) AS joined, sum(leaves) AS departed, sum(removes) AS removed, sum(net_change) AS net
FROM ${database}.group_daily
WHERE $__dateFilter(day) AND source IN (${source:singlequote})
GROUP BY day
ORDER BY day`,

	"groups.json: Active members per day": `SELECT day, sum(active_members) AS active, countIf(active_members > 0) AS active_groups
FROM ${database}.group_daily
WHERE $__dateFilter(day) AND source IN (${source:singlequote})
GROUP BY day
ORDER BY day`,

	"groups.json: Read rate per group": `SELECT f.conversation_id AS group_id,
       uniqExactIf((r.msg_id, r.member_id), r.status = 'read') AS reads,
       uniqExactIf((r.msg_id, r.member_id), r.status IN ('delivered', 'read')) AS recipients,
       round(100 * reads / greatest(recipients, 1), 1) AS read_rate_pct
FROM ${database}.message_receipts AS r
ALL INNER JOIN (
    SELECT source, tenant, msg_id, conversation_id
    FROM ${database}.message_facts
    WHERE recipient_type = 'group' AND $__timeFilter(sent_at) AND source IN (${source:singlequote})
) AS f USING (source, tenant, msg_id)
GROUP BY group_id
ORDER BY recipients DESC, group_id
LIMIT 20`,

	"replies.json: Bot response time": `SELECT count() AS answered,
       quantileExact(0.5)(response_ms) AS p50_ms,
       quantileExact(0.9)(response_ms) AS p90_ms
FROM (
    SELECT arrayReduce('min', arrayFilter(t -> t > u_sent_at_ms, r_sent_at_ms)) - u_sent_at_ms AS response_ms
    FROM (
        SELECT source, tenant, conversation_id, sent_at_ms AS u_sent_at_ms
        FROM ${database}.message_facts
        WHERE sender_type = 'user' AND $__timeFilter(sent_at) AND source IN (${source:singlequote})
    ) AS u
    ANY LEFT JOIN (
        SELECT source, tenant, conversation_id, groupArray(sent_at_ms) AS r_sent_at_ms
        FROM ${database}.message_facts
        WHERE sender_type IN ('bot', 'agent') AND source IN (${source:singlequote})
        GROUP BY source, tenant, conversation_id
    ) AS r USING (source, tenant, conversation_id)
    WHERE arrayExists(t -> t > u_sent_at_ms, r_sent_at_ms)
)`,

	"replies.json: Bot response time p50 / p90": `SELECT toDateTime(intDiv(intDiv(q_sent_at_ms, 1000), $__interval_s) * $__interval_s) AS time,
       quantileExact(0.5)(response_ms) AS p50,
       quantileExact(0.9)(response_ms) AS p90
FROM (
    SELECT u_sent_at_ms AS q_sent_at_ms,
           arrayReduce('min', arrayFilter(t -> t > u_sent_at_ms, r_sent_at_ms)) - u_sent_at_ms AS response_ms
    FROM (
        SELECT source, tenant, conversation_id, sent_at_ms AS u_sent_at_ms
        FROM ${database}.message_facts
        WHERE sender_type = 'user' AND $__timeFilter(sent_at) AND source IN (${source:singlequote})
    ) AS u
    ANY LEFT JOIN (
        SELECT source, tenant, conversation_id, groupArray(sent_at_ms) AS r_sent_at_ms
        FROM ${database}.message_facts
        WHERE sender_type IN ('bot', 'agent') AND source IN (${source:singlequote})
        GROUP BY source, tenant, conversation_id
    ) AS r USING (source, tenant, conversation_id)
    WHERE arrayExists(t -> t > u_sent_at_ms, r_sent_at_ms)
)
GROUP BY time
ORDER BY time`,

	"delivery.json: Rates in range": `SELECT countIf(delivered_latency_ms IS NOT NULL) / count() AS delivered_rate,
       countIf(read_latency_ms IS NOT NULL) / count() AS read_rate,
       countIf(failed = 1) / count() AS failed_rate
FROM ${database}.message_facts
WHERE $__timeFilter(sent_at) AND source IN (${source:singlequote}) AND source IN (
    SELECT source FROM ${database}.message_facts
    WHERE $__timeFilter(sent_at) AND delivered_latency_ms IS NOT NULL
)`,

	"delivery.json: Delivery rate by source and platform": rateBySourceAndPlatform("delivered_latency_ms", "delivered_rate"),
	"delivery.json: Read rate by source and platform":     rateBySourceAndPlatform("read_latency_ms", "read_rate"),

	"delivery.json: Receipts by status": `SELECT source, status, count() AS receipts,
       quantileExact(0.5)(latency_ms) AS p50_ms,
       quantileExact(0.9)(latency_ms) AS p90_ms,
       quantileExact(0.99)(latency_ms) AS p99_ms
FROM ${database}.message_receipts
WHERE source IN (${source:singlequote}) AND (source, tenant, msg_id) IN (
    SELECT source, tenant, msg_id FROM ${database}.message_facts WHERE $__timeFilter(sent_at)
)
GROUP BY source, status
ORDER BY source, status`,
}

// rateBySourceAndPlatform is the view form of a rate panel: per interval, source and platform,
// the share of messages with a latency in column, over the sources with a delivered or read
// message in the range.
func rateBySourceAndPlatform(column, rate string) string {
	return `SELECT toDateTime(intDiv(toUInt32(sent_at), $__interval_s) * $__interval_s) AS time,
       source,
       platform,
       countIf(` + column + ` IS NOT NULL) / count() AS ` + rate + `
FROM ${database}.message_facts
WHERE $__timeFilter(sent_at) AND source IN (${source:singlequote}) AND source IN (
    SELECT source FROM ${database}.message_facts
    WHERE $__timeFilter(sent_at) AND delivered_latency_ms IS NOT NULL
)
GROUP BY time, source, platform
ORDER BY time`
}

// viewMetrics are the README metrics that read a table filed by day, written over the contract
// views as they read them before: bot_response from message_facts. A metric must show the rows
// of its view form.
var viewMetrics = map[string]string{
	"bot_response": `SELECT count() AS answered,
       quantileExact(0.5)(response_ms) AS p50_ms,
       quantileExact(0.9)(response_ms) AS p90_ms
FROM (
    SELECT arrayReduce('min', arrayFilter(t -> t > u_sent_at_ms, r_sent_at_ms)) - u_sent_at_ms AS response_ms
    FROM (
        SELECT source, tenant, conversation_id, sent_at_ms AS u_sent_at_ms
        FROM {db}.message_facts
        WHERE sender_type = 'user'
    ) AS u
    ANY LEFT JOIN (
        SELECT source, tenant, conversation_id, groupArray(sent_at_ms) AS r_sent_at_ms
        FROM {db}.message_facts
        WHERE sender_type IN ('bot', 'agent')
        GROUP BY source, tenant, conversation_id
    ) AS r USING (source, tenant, conversation_id)
    WHERE arrayExists(t -> t > u_sent_at_ms, r_sent_at_ms)
)`,
}

// dashboardPanelSQL returns the raw SQL of every panel of the dashboards, by "file: title".
func dashboardPanelSQL(t *testing.T) map[string]string {
	t.Helper()
	qs, err := grafana.ClickHouseQueries("../deploy/grafana/dashboards")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, q := range qs {
		out[q.File+": "+q.Title] = q.SQL
	}
	return out
}

// expandPanel fills a panel's variables and the ClickHouse plugin's macros for the UTC days
// [from, to], every source selected, at an interval of an hour.
func expandPanel(t *testing.T, sql, db string, from, to time.Time) string {
	t.Helper()
	end := to.AddDate(0, 0, 1).Add(-time.Second)
	out, err := grafana.ExpandMacros(grafana.WithDefaults(sql, db), grafana.Range{From: from, To: end, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// panelRanges are the ranges the panels are compared over: one day, days with membership
// events and messages on either side, and every day of the fixtures.
var panelRanges = [][2]time.Time{
	{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)},
	{time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
}

// checkPanelsShowTheirViews runs each panel of viewPanels for every range of panelRanges with
// enable_optimize_predicate_expression off and on, and compares it with its view form. Over
// the widest range every panel must show rows.
func checkPanelsShowTheirViews(ctx context.Context, t *testing.T, c *Client) {
	t.Helper()
	panels := dashboardPanelSQL(t)
	for name, view := range viewPanels {
		panel, ok := panels[name]
		if !ok {
			t.Fatalf("no panel %s", name)
		}
		for i, r := range panelRanges {
			want, err := c.queryLines(ctx, expandPanel(t, view, c.db, r[0], r[1]))
			if err != nil {
				t.Fatalf("%s, view form: %v", name, err)
			}
			if i == len(panelRanges)-1 && len(want) == 0 {
				t.Fatalf("%s shows no rows over every day of the fixtures", name)
			}
			for _, on := range []int{0, 1} {
				qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"enable_optimize_predicate_expression": on}))
				got, err := c.queryLines(qctx, expandPanel(t, panel, c.db, r[0], r[1]))
				if err != nil {
					t.Fatalf("%s, enable_optimize_predicate_expression = %d: %v", name, on, err)
				}
				// Rows that tie on a panel's ORDER BY may come in any order.
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s from %s to %s, enable_optimize_predicate_expression = %d:\ngot  %q\nwant %q",
						name, r[0].Format(time.DateOnly), r[1].Format(time.DateOnly), on, got, want)
				}
			}
		}
	}
	for name, view := range viewMetrics {
		want, err := c.queryLines(ctx, strings.ReplaceAll(view, "{db}", c.db))
		if err != nil {
			t.Fatalf("%s, view form: %v", name, err)
		}
		for _, on := range []int{0, 1} {
			qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"enable_optimize_predicate_expression": on}))
			got, err := c.Metric(qctx, name)
			if err != nil {
				t.Fatalf("%s, enable_optimize_predicate_expression = %d: %v", name, on, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("metric %s, enable_optimize_predicate_expression = %d:\ngot  %q\nwant %q", name, on, got, want)
			}
		}
	}
}

// groupConflicts are ids with conflicting copies, as the processor writes them (the first copy
// unmarked, a later one that ranks before it marked), under tenant tc on 2024-01-02 and 03:
// gc1's winner goes to another group and sender than its first copy, gc2's winner is a direct
// message where its first copy went to a group, gc3's winner goes to a group where its first
// copy was direct. Every sender joined the groups involved, and each message has a receipt, so
// the wrong copy would change the active members and the read rates.
func groupConflicts() *rows.Set {
	msg := func(id, conv, sender, recipientType string, sent int64, hash uint64, marked bool) rows.Message {
		return rows.Message{Source: "causalfoundry", Tenant: "tc", Platform: "web", MsgID: id, ConversationID: conv,
			SenderType: "user", SenderID: sender, RecipientType: recipientType, RecipientID: conv, ContentType: "text",
			SentAtMs: sent, ContentHash: hash, Supersedes: marked}
	}
	receipt := func(id, member, status string, sent int64) rows.Receipt {
		return rows.Receipt{Source: "causalfoundry", Tenant: "tc", MsgID: id, MemberID: member, Status: status,
			AtMs: sent + 500, LatencyMs: 500, MsgSentAtMs: sent}
	}
	join := func(group, member string) rows.MembershipChange {
		return rows.MembershipChange{Source: "causalfoundry", Tenant: "tc", GroupID: group, MemberID: member,
			MemberType: "user", Action: "join", AtMs: at(1, 8, 0, 0, 0)}
	}
	return &rows.Set{
		Messages: []rows.Message{
			msg("gc1", "g1", "u1", "group", at(2, 10, 0, 0, 0), 50, false),
			msg("gc1", "g2", "u3", "group", at(2, 10, 0, 0, 0), 20, true),
			msg("gc2", "g1", "u2", "group", at(2, 11, 0, 0, 0), 40, false),
			msg("gc2", "c9", "u2", "user", at(2, 11, 0, 0, 0), 10, true),
			msg("gc3", "c8", "u4", "user", at(3, 9, 0, 0, 0), 60, false),
			msg("gc3", "g1", "u4", "group", at(3, 9, 0, 0, 0), 30, true),
		},
		Memberships: []rows.MembershipChange{join("g1", "u1"), join("g1", "u2"), join("g1", "u4"), join("g2", "u3")},
		Receipts: []rows.Receipt{
			receipt("gc1", "u5", "read", at(2, 10, 0, 0, 0)),
			receipt("gc2", "u5", "delivered", at(2, 11, 0, 0, 0)),
			receipt("gc3", "u5", "delivered", at(3, 9, 0, 0, 0)),
		},
	}
}

// botConflicts are conversations with ids of conflicting copies, as the processor writes them,
// under tenant tb on 2024-01-02 and 03. User message bu1 of conversation cb1 is answered by
// bb2 after 7 s: bb1's first copy would answer it after 5 s but its winner is in cb2, bb2's
// first copy is a user's and its winner an agent's, bu2's first copy is a user message whose
// winner a supervisor sent. bu3's copies lie on either side of midnight and bb3 answers its
// winner after 3 s, its first copy after 2 s.
func botConflicts() *rows.Set {
	msg := func(id, conv, senderType string, sent int64, hash uint64, marked bool) rows.Message {
		return rows.Message{Source: "causalfoundry", Tenant: "tb", Platform: "web", MsgID: id, ConversationID: conv,
			SenderType: senderType, SenderID: senderType + "-" + conv, RecipientType: "user", RecipientID: "x", ContentType: "text",
			SentAtMs: sent, ContentHash: hash, Supersedes: marked}
	}
	t := at(2, 10, 0, 0, 0)
	return &rows.Set{Messages: []rows.Message{
		msg("bu1", "cb1", "user", t, 1, false),
		msg("bb1", "cb1", "bot", t+5000, 50, false),
		msg("bb1", "cb2", "bot", t+5000, 20, true),
		msg("bb2", "cb1", "user", t+7000, 60, false),
		msg("bb2", "cb1", "agent", t+7000, 10, true),
		msg("bu2", "cb1", "user", t+1000, 70, false),
		msg("bu2", "cb1", "supervisor", t+1000, 30, true),
		msg("bu3", "cb3", "user", at(2, 23, 59, 59, 0), 80, false),
		msg("bu3", "cb3", "user", at(2, 23, 59, 58, 0), 90, true),
		msg("bb3", "cb3", "bot", at(3, 0, 0, 1, 0), 2, false),
	}}
}

// TestPanelsOverDayTablesShowTheViews checks that the panels reading receipt_days,
// membership_days, message_state and conversation_days show what the contract views give for
// their range, and bot_response what it gives over message_facts, on the fixtures and
// conflicting copies of group messages and of conversations with bots, written once and then
// replayed in another order.
func TestPanelsOverDayTablesShowTheViews(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	engagement, fixture, conflicts, bots, receipts := engagementSet(), fixtureSet(), groupConflicts(), botConflicts(), receiptConflicts()
	for _, set := range []*rows.Set{engagement, conflicts, receipts, bots, fixture, fixture, bots, receipts, engagement} {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	checkPanelsShowTheirViews(ctx, t, c)
}

// TestPanelsOverDayTablesShowTheViewsOnModernClickHouse runs the same comparison on a current
// ClickHouse (ch-modern), one session per range, as the tool takes at most 128 KiB of SQL.
func TestPanelsOverDayTablesShowTheViewsOnModernClickHouse(t *testing.T) {
	const db = "chatpulse"
	panels := dashboardPanelSQL(t)
	names := slices.Sorted(maps.Keys(viewPanels))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i, r := range panelRanges {
		stmts := Statements(db)
		for _, set := range []*rows.Set{engagementSet(), groupConflicts(), receiptConflicts(), botConflicts(), fixtureSet(), engagementSet(), botConflicts(), receiptConflicts()} {
			stmts = append(stmts, insertsSQL(db, set)...)
		}
		first := len(stmts)
		for _, name := range names {
			stmts = append(stmts, expandPanel(t, panels[name], db, r[0], r[1]), expandPanel(t, viewPanels[name], db, r[0], r[1]))
		}
		metrics := slices.Sorted(maps.Keys(viewMetrics))
		for _, name := range metrics {
			stmts = append(stmts, strings.ReplaceAll(metricQueries[name], "{db}", db), strings.ReplaceAll(viewMetrics[name], "{db}", db))
		}
		blocks, err := testenv.RunModern(ctx, stmts)
		if err != nil {
			t.Fatal(err)
		}
		for j, b := range blocks {
			if !b.OK {
				t.Fatalf("statement %d fails on the modern server: %s\n%s", j, strings.Join(b.Lines, "\n"), stmts[j])
			}
		}
		for k, name := range names {
			got, want := slices.Sorted(slices.Values(blocks[first+2*k].Lines)), slices.Sorted(slices.Values(blocks[first+2*k+1].Lines))
			if i == len(panelRanges)-1 && len(want) == 0 {
				t.Errorf("%s shows no rows over every day of the fixtures on the modern server", name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s from %s to %s on the modern server:\ngot  %q\nwant %q",
					name, r[0].Format(time.DateOnly), r[1].Format(time.DateOnly), got, want)
			}
		}
		for k, name := range metrics {
			at := first + 2*len(names) + 2*k
			if got, want := blocks[at].Lines, blocks[at+1].Lines; !slices.Equal(got, want) {
				t.Errorf("metric %s on the modern server:\ngot  %q\nwant %q", name, got, want)
			}
		}
	}
}
