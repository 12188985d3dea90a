package sink

import (
	"slices"
	"testing"
)

// TestMigrationFromTheViewSchema starts from a database of schema version 2, whose receipts,
// replies and reactions have no message time, fills it as workers of that version did, and
// migrates: the contract views show the same rows before and after, every row is filed under
// its message's day, and rows written after the migration change nothing more.
func TestMigrationFromTheViewSchema(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	set := fixtureSet()
	// Workers of version 2 wrote every column but the message time.
	for range 2 {
		for _, err := range []error{
			insertTable(ctx, c, withoutColumns(messagesTable, "content_hash", "supersedes"), set.Messages),
			insertTable(ctx, c, withoutLastColumn(receiptsTable), set.Receipts),
			insertTable(ctx, c, withoutLastColumn(repliesTable), set.Replies),
			insertTable(ctx, c, withoutLastColumn(reactionsTable), set.Reactions),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(t *testing.T) { t.Helper(); goldenViews(t, ctx, c, "message_facts", "message_receipts") }
	check(t)

	// Up to version 8: migration 11 drops states that migrations 3 and 4 fill, so those can be
	// run again only before it.
	if err := c.migrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	t.Run("the views show the same rows after the migration", check)

	t.Run("every row of a known message is filed under the message's day", func(t *testing.T) {
		if n := queryUint64(t, c, "SELECT count() FROM "+c.db+".message_state WHERE day = toDate('1970-01-01') AND msg_id != 'm9'"); n != 0 {
			t.Fatalf("%d state rows of known messages are filed under 1970-01-01", n)
		}
		if n := queryUint64(t, c, "SELECT uniqExact(day) FROM "+c.db+".message_state WHERE msg_id != 'm9'"); n != 1 {
			t.Fatalf("the fixture's messages are filed under %d days, want 1", n)
		}
	})

	t.Run("running the migrations again and writing with the message time change nothing", func(t *testing.T) {
		for _, m := range migrations[2:] {
			if m.Version > 8 {
				break
			}
			for _, stmt := range expand(c.db, m.Statements) {
				if err := c.conn.Exec(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
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

// withoutLastColumn is t as a worker of an earlier schema inserted into it.
func withoutLastColumn[R any](t table[R]) table[R] {
	return table[R]{name: t.name, order: t.order, columns: t.columns[:len(t.columns)-1]}
}

// withoutColumns is t as a worker of an earlier schema, which had none of names, inserted into it.
func withoutColumns[R any](t table[R], names ...string) table[R] {
	out := table[R]{name: t.name, order: t.order}
	for _, c := range t.columns {
		if !slices.Contains(names, c.name) {
			out.columns = append(out.columns, c)
		}
	}
	return out
}
