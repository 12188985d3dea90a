package sink

import (
	"slices"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/chatpulse/chatpulse/rows"
)

// TestContractViewsWithPredicatePushdown reads every contract view, and the tables filed by day
// of migrations 6 and 8, through a filter, the way dashboards and analysts do, with enable_optimize_predicate_expression off (18.16's default)
// and on (the default of later releases, which pushes the filter into the view): both must
// succeed and show the same rows, which are those of the unfiltered view that pass the filter.
func TestContractViewsWithPredicatePushdown(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	set := engagementSet()
	fixture := fixtureSet()
	set.Append(&rows.Set{Messages: fixture.Messages, Receipts: fixture.Receipts, Replies: fixture.Replies, Reactions: fixture.Reactions})
	if err := c.Insert(ctx, set); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		view, filter string
	}{
		{"message_facts", "sent_at >= toDateTime('2024-01-01 00:00:00', 'UTC') AND sent_at < toDateTime('2024-01-02 00:00:00', 'UTC')"},
		{"message_facts", "sent_at_ms >= 1704067200000 AND sender_type = 'user'"},
		{"message_facts", "toDate(sent_at, 'UTC') = toDate('2023-11-14') AND replies > 0"},
		{"message_receipts", "at_ms >= 1704067200000 AND at_ms < 1704153600000 AND status = 'read'"},
		{"user_sessions", "intDiv(start_ms, 1000) BETWEEN 1704067200 AND 1704153599"},
		{"group_members", "is_member = 1"},
		{"group_daily", "day = toDate('2024-01-01') AND source = 'causalfoundry'"},
		{"handovers", "intDiv(at_ms, 1000) BETWEEN 1704067200 AND 1704153599"},
		{"engagement_daily", "day >= toDate('2024-01-02') AND platform = 'web'"},
		{"receipt_days", "day = toDate('2024-01-01') AND status = 'read'"},
		{"membership_days", "day >= toDate('2024-01-02') AND action = 'join'"},
		{"conversation_days", "day >= toDate('2024-01-01') AND sender_type = 'bot'"},
	}
	for _, tt := range tests {
		t.Run(tt.view+" where "+tt.filter+" shows the same rows with pushdown on and off", func(t *testing.T) {
			all, err := c.queryLines(ctx, "SELECT * FROM "+c.db+"."+tt.view)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.queryLines(ctx, "SELECT * FROM (SELECT * FROM "+c.db+"."+tt.view+") WHERE "+tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("the filter keeps %d of %d rows; it must keep some and drop some", len(want), len(all))
			}
			slices.Sort(want)
			for _, on := range []int{0, 1} {
				qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"enable_optimize_predicate_expression": on}))
				got, err := c.queryLines(qctx, "SELECT * FROM "+c.db+"."+tt.view+" WHERE "+tt.filter)
				if err != nil {
					t.Fatalf("enable_optimize_predicate_expression = %d: %v", on, err)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("enable_optimize_predicate_expression = %d:\ngot  %q\nwant %q", on, got, want)
				}
			}
		})
	}
}

// TestUserMetricsWithPredicatePushdown runs the metrics that read user_days, whose condition
// filters by subqueries, and bot_response, which reads conversation_days with such a filter, with
// enable_optimize_predicate_expression off and on, on the engagement fixture and every 48th
// order of conflicting copies: both give the same rows.
func TestUserMetricsWithPredicatePushdown(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	set := engagementSet()
	_, steps, _ := conflictRows(48)
	for i := range steps {
		set.Append(&steps[i])
	}
	if err := c.Insert(ctx, set); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(slices.Clone(conflictMetrics), "bot_response") {
		t.Run(name+" shows the same rows with pushdown on and off", func(t *testing.T) {
			var first []string
			for _, on := range []int{0, 1} {
				qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"enable_optimize_predicate_expression": on}))
				got, err := c.Metric(qctx, name)
				if err != nil {
					t.Fatalf("enable_optimize_predicate_expression = %d: %v", on, err)
				}
				if len(got) == 0 {
					t.Fatalf("enable_optimize_predicate_expression = %d: no rows", on)
				}
				if first == nil {
					first = got
				} else if !slices.Equal(got, first) {
					t.Fatalf("enable_optimize_predicate_expression = 1:\ngot  %q\nwant %q", got, first)
				}
			}
		})
	}
}
