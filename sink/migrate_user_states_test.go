package sink

import "testing"

// TestMigrationToUserDayStates starts from a database of schema version 6 filled with the
// fixtures and conflicting copies, as workers of that version write them, and migrates: over
// the backfilled user_day_states and user_message_days the active-user panels show the counts
// of their user_days forms, and applying the migration again and writing the rows once more
// change nothing.
func TestMigrationToUserDayStates(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	sets := userStateSets()
	for _, set := range sets {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryUint64(t, c, "SELECT count() FROM system.tables WHERE database = '"+c.db+"' AND name = 'user_day_states'"); n != 0 {
		t.Fatalf("schema 6 has user_day_states")
	}
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T) { checkUserPanels(ctx, t, c) }
	t.Run("the backfill files every stored user day", check)
	t.Run("and a second migration and a replay change nothing", func(t *testing.T) {
		reapplyMigration(t, ctx, c, migrations[6])
		for _, set := range sets {
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})
}
