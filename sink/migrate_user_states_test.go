package sink

import (
	"strings"
	"testing"
)

// TestMigrationToUserDayStates starts from a database of schema version 6 filled with the
// fixtures and conflicting copies, as workers of that version write them, and migrates: the
// backfilled user_day_states give dau_wau_mau the counts of its user_days form, and applying
// the migration again and writing the rows once more change nothing.
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
	check := func(t *testing.T) {
		t.Helper()
		want, err := c.queryLines(ctx, strings.ReplaceAll(userDaysDauWauMau, "{db}", c.db))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Metric(ctx, "dau_wau_mau")
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatal("the user_days form of dau_wau_mau shows no rows")
		}
		if diff := firstDifference(got, want); diff != "" {
			t.Errorf("metric dau_wau_mau after the migration differs from its user_days form: %s", diff)
		}
	}
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
