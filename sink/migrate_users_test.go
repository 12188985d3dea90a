package sink

import (
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// TestMigrationToUserDays starts from a database of schema version 4, whose messages carry no
// mark of a superseding copy, fills it as workers of that version did with every order of
// conflicting copies (users u1 and u9 on two days) and the engagement fixture, and migrates:
// the user metrics then equal those of a database that only ever saw the winning copies, so
// the backfill filed every user day and found every conflict; applying the migration again,
// and writing the rows once more, changes nothing.
func TestMigrationToUserDays(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	orders, steps, truth := conflictRows(8)
	engagement := engagementSet()
	old := withoutColumns(messagesTable, "supersedes")
	for i := range steps {
		if err := insertTable(ctx, c, old, steps[i].Messages); err != nil {
			t.Fatal(err)
		}
	}
	if err := insertTable(ctx, c, old, engagement.Messages); err != nil {
		t.Fatal(err)
	}
	want := migratedClient(t)
	for _, set := range []*rows.Set{truth, engagement} {
		if err := want.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}

	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, name := range conflictMetrics {
			g, err := c.Metric(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			w, err := want.Metric(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if len(w) == 0 {
				t.Fatalf("metric %s has no rows", name)
			}
			if diff := firstDifference(g, w); diff != "" {
				t.Errorf("metric %s differs from the one of the winning copies alone: %s", name, diff)
			}
		}
	}
	t.Run("the user metrics count the winning copies only", check)

	t.Run("the backfill filed the conflicting ids and the user days", func(t *testing.T) {
		copies := map[string]int{} // tenant: copies of m1 written
		for i := range steps {
			for _, m := range steps[i].Messages {
				if m.MsgID == "m1" {
					copies[m.Tenant]++
				}
			}
		}
		conflicts := 0
		for _, n := range copies {
			if n > 1 {
				conflicts++
			}
		}
		if conflicts == 0 || conflicts == len(orders) {
			t.Fatalf("%d of %d orders wrote several copies; the test needs orders of both kinds", conflicts, len(orders))
		}
		if n := queryUint64(t, c, "SELECT uniqExact(source, tenant, msg_id) FROM "+c.db+".message_conflicts WHERE tenant LIKE 'order%'"); n != uint64(conflicts) {
			t.Fatalf("message_conflicts holds %d ids, want one per order that wrote several copies, %d", n, conflicts)
		}
		if n := queryUint64(t, c, "SELECT count() FROM "+c.db+".user_days"); n == 0 {
			t.Fatal("user_days is empty")
		}
	})

	t.Run("applying the migration again and writing the rows again change nothing", func(t *testing.T) {
		reapplyMigration(t, ctx, c, migrations[4])
		for i := range steps {
			if err := c.Insert(ctx, &steps[i]); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})
}
