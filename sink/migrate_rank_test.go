package sink

import "testing"

// TestMigrationToRankedCopies starts from a database of schema version 3, whose messages have
// no content hash, fills it as workers of that version did, and migrates: the contract views
// show the same rows before and after (so the new states were backfilled from the stored
// rows), and applying the migration again, alters included, changes nothing.
func TestMigrationToRankedCopies(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	set := fixtureSet()
	for _, err := range []error{
		insertTable(ctx, c, withoutColumns(messagesTable, "supersedes", "content_hash"), set.Messages),
		insertTable(ctx, c, receiptsTable, set.Receipts),
		insertTable(ctx, c, repliesTable, set.Replies),
		insertTable(ctx, c, reactionsTable, set.Reactions),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) { t.Helper(); goldenViews(t, ctx, c, "message_facts", "message_receipts") }
	check(t)

	// Up to version 4, which can be run again only before migration 11 drops states it fills.
	if err := c.migrateTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	t.Run("the views show the same rows after the migration", check)

	t.Run("the views read the states the migration added", func(t *testing.T) {
		if n := queryUint64(t, c, "SELECT countIf(a = '') FROM (SELECT argMinIfMerge(s_ranked_platform) AS a FROM "+c.db+
			".message_state GROUP BY source, tenant, msg_id HAVING maxIfMerge(s_message) = 1)"); n != 0 {
			t.Fatalf("%d messages have no ranked attributes after the backfill", n)
		}
	})

	t.Run("applying the migration again changes nothing", func(t *testing.T) {
		reapplyMigration(t, ctx, c, migrations[3])
		// As a worker of version 4 writes.
		for _, err := range []error{
			insertTable(ctx, c, withoutColumns(messagesTable, "supersedes"), set.Messages),
			insertTable(ctx, c, receiptsTable, set.Receipts),
			insertTable(ctx, c, repliesTable, set.Replies),
			insertTable(ctx, c, reactionsTable, set.Reactions),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})

	t.Run("the newest schema shows the same rows", func(t *testing.T) {
		if err := c.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check(t)
	})
}
