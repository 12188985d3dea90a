package sink

import (
	"slices"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// engagementViews are the views of migration 2; testdata/<view>.golden holds what each shows
// of engagementSet, and testdata/metric_<name>.golden what each metric query returns.
var engagementViews = []string{"user_sessions", "group_members", "group_daily", "handovers", "engagement_daily"}

func TestEngagementViewsAndMetrics(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	set := engagementSet()
	// A part of the rows arrives first and everything again after, as a replay would write it.
	first := &rows.Set{Messages: set.Messages[:10], Receipts: set.Receipts[:5], Replies: set.Replies[:2],
		Reactions: set.Reactions[:3], Sessions: set.Sessions[:4], Memberships: set.Memberships[:9],
		Handovers: set.Handovers[:3]}
	for _, s := range []*rows.Set{first, set} {
		if err := c.Insert(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) {
		for _, view := range engagementViews {
			lines, err := c.Snapshot(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, view, lines)
		}
		for _, name := range MetricNames() {
			lines, err := c.Metric(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "metric_"+name, lines)
		}
	}
	t.Run("the views and metrics show the fixture as computed by hand", check)

	t.Run("merging parts changes nothing the views and metrics show", func(t *testing.T) {
		for _, table := range []string{"messages", "receipts", "replies", "reactions", "message_state", "sessions", "membership_events", "handover_events"} {
			if err := c.conn.Exec(ctx, "OPTIMIZE TABLE "+c.db+"."+table+" FINAL"); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})

	t.Run("a merge collapses exact replays and keeps every version and event", func(t *testing.T) {
		for _, tt := range []struct {
			table string
			want  uint64
		}{
			{"sessions", 19},          // 20 rows, one version written twice
			{"membership_events", 19}, // 20 rows, one join written twice
			{"handover_events", 7},    // 8 rows, one handover written twice
		} {
			if n := queryUint64(t, c, "SELECT count() FROM "+c.db+"."+tt.table); n != tt.want {
				t.Errorf("%s holds %d rows after merge, want %d", tt.table, n, tt.want)
			}
		}
	})
}

func TestMetricsOnAnEmptyDatabase(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	tests := []struct {
		name string
		want []string
	}{
		{"dau_wau_mau", nil},
		{"new_users", nil},
		{"bot_replies", []string{"0\t0\t0"}},
		{"bot_response", []string{"0\t0\t0"}},
		{"first_human_response", []string{"0\t0\t0\t0"}},
		{"containment", []string{"0\t0\t0\t1"}},
		{"reactions_per_message", []string{"0\t0\t0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" has rows only where it always has one, with zero ratios", func(t *testing.T) {
			got, err := c.Metric(ctx, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMetricRejectsAnUnknownName(t *testing.T) {
	c := migratedClient(t)
	_, err := c.Metric(testContext(t), "dau; DROP TABLE x")
	if err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Fatalf("Metric of an unknown name returned %v", err)
	}
}

func TestMetricNamesAreTheQueries(t *testing.T) {
	names := MetricNames()
	if len(names) != 7 || len(metricQueries) != len(names) {
		t.Fatalf("%d names, %d queries, want 7 of each", len(names), len(metricQueries))
	}
	for _, name := range names {
		if !strings.Contains(metricQueries[name], "{db}.") {
			t.Errorf("query of %s names no view of {db}", name)
		}
	}
	names[0] = "changed"
	if MetricNames()[0] != "dau_wau_mau" {
		t.Fatal("MetricNames returns the package's own slice")
	}
}
