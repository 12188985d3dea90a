package sink

import (
	"testing"
)

// TestMigrationToUserFirstDays starts from a database of schema version 9 holding the fixtures
// and conflicting copies of user messages, as workers of that version wrote them, and
// migrates: the backfill files every user's first day, so the retention panel shows what its
// user_days form gives; applying the migration again, and writing the rows once more, changes
// nothing.
func TestMigrationToUserFirstDays(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	sets := userStateSets()
	for _, set := range sets {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryUint64(t, c, "SELECT count() FROM system.tables WHERE database = '"+c.db+"' AND name = 'user_first_days'"); n != 0 {
		t.Fatal("user_first_days exists before migration 10")
	}
	if err := c.migrateTo(ctx, 10); err != nil {
		t.Fatal(err)
	}

	t.Run("the backfill filed every user's first day", func(t *testing.T) {
		got := queryUint64(t, c, "SELECT sum(cityHash64(source, tenant, user_id, d)) FROM (SELECT source, tenant, user_id, minMerge(first_day) AS d FROM "+c.db+".user_first_days GROUP BY source, tenant, user_id)")
		want := queryUint64(t, c, "SELECT sum(cityHash64(source, tenant, user_id, d)) FROM (SELECT source, tenant, user_id, min(day) AS d FROM "+c.db+".user_days GROUP BY source, tenant, user_id)")
		if want == 0 || got != want {
			t.Fatalf("user_first_days sums to %d, want %d", got, want)
		}
	})
	t.Run("the active-user panels show their user_days forms", func(t *testing.T) { checkUserPanels(ctx, t, c) })

	t.Run("applying the migration again and writing the rows again change nothing", func(t *testing.T) {
		m := migrationVersion(t, 10)
		reapplyMigration(t, ctx, c, m)
		for _, set := range sets {
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		checkUserPanels(ctx, t, c)
	})
}
