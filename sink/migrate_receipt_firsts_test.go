package sink

import (
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// TestMigrationToReceiptFirsts starts from a database of schema version 8 holding the fixtures
// and receipts of ids with conflicting copies, as workers of that version wrote them, and
// migrates: the backfill files every receipt with its message's time, so receipts by status
// shows what the contract views give; applying the migration again, and writing the rows once
// more, changes nothing.
func TestMigrationToReceiptFirsts(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	sets := []*rows.Set{engagementSet(), fixtureSet(), groupConflicts(), botConflicts(), receiptConflicts()}
	for _, set := range sets {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryUint64(t, c, "SELECT count() FROM system.tables WHERE database = '"+c.db+"' AND name = 'receipt_firsts'"); n != 0 {
		t.Fatal("receipt_firsts exists before migration 9")
	}
	if err := c.migrateTo(ctx, 9); err != nil {
		t.Fatal(err)
	}

	t.Run("the backfill filed every receipt of a known message with its message's time", func(t *testing.T) {
		got := queryUint64(t, c, "SELECT uniqExact(source, tenant, msg_id, member_id, status, at_ms, msg_sent_at_ms) FROM "+c.db+".receipt_firsts")
		want := queryUint64(t, c, "SELECT uniqExact(source, tenant, msg_id, member_id, status, at_ms, msg_sent_at_ms) FROM "+c.db+".receipts WHERE msg_sent_at_ms != 0")
		if want == 0 || got != want {
			t.Fatalf("receipt_firsts holds %d distinct rows, want %d", got, want)
		}
	})
	t.Run("the panels and metrics show the views", func(t *testing.T) { checkPanelsShowTheirViews(ctx, t, c) })

	t.Run("applying the migration again and writing the rows again change nothing", func(t *testing.T) {
		m := migrationVersion(t, 9)
		reapplyMigration(t, ctx, c, m)
		for _, set := range sets {
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		checkPanelsShowTheirViews(ctx, t, c)
	})
}
