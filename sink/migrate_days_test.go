package sink

import (
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// TestMigrationToDayTables starts from a database of schema version 5 holding the fixtures, as
// workers of that version wrote them, and migrates: the backfill files every receipt,
// membership event and message to a group by day, so the panels that read receipt_days,
// membership_days and group_message_days show what the contract views give; applying the migration again, and writing the rows once more,
// changes nothing.
func TestMigrationToDayTables(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	sets := []*rows.Set{engagementSet(), fixtureSet(), groupConflicts()}
	for _, set := range sets {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"receipt_days", "membership_days", "group_message_days"} {
		if n := queryUint64(t, c, "SELECT count() FROM system.tables WHERE database = '"+c.db+"' AND name = '"+table+"'"); n != 0 {
			t.Fatalf("%s exists before migration 6", table)
		}
	}
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("the backfill filed every receipt, member-level event and message to a group", func(t *testing.T) {
		for _, q := range []struct{ days, all string }{
			{"SELECT uniqExact(source, tenant, msg_id, member_id, status, at_ms) FROM " + c.db + ".receipt_days",
				"SELECT uniqExact(source, tenant, msg_id, member_id, status, at_ms) FROM " + c.db + ".receipts"},
			{"SELECT uniqExact(source, tenant, group_id, member_id, member_type, action, at_ms) FROM " + c.db + ".membership_days",
				"SELECT uniqExact(source, tenant, group_id, member_id, member_type, action, at_ms) FROM " + c.db + ".membership_events WHERE action IN ('join', 'leave', 'remove')"},
			{"SELECT uniqExact(source, tenant, group_id, sender_id, msg_id, day) FROM " + c.db + ".group_message_days",
				"SELECT uniqExact(source, tenant, conversation_id, sender_id, msg_id, sent_at_ms) FROM " + c.db + ".messages WHERE recipient_type = 'group'"},
		} {
			got, want := queryUint64(t, c, q.days), queryUint64(t, c, q.all)
			if want == 0 || got != want {
				t.Fatalf("%s = %d, want %d", q.days, got, want)
			}
		}
	})
	t.Run("the panels show the views", func(t *testing.T) { checkPanelsShowTheirViews(ctx, t, c) })

	t.Run("applying the migration again and writing the rows again change nothing", func(t *testing.T) {
		m := migrationVersion(t, 6)
		for _, stmt := range expand(c.db, m.Statements) {
			if err := c.conn.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		for _, set := range sets {
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		checkPanelsShowTheirViews(ctx, t, c)
	})
}
