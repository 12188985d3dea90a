package sink

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestMigrate(t *testing.T) {
	ctx := testContext(t)

	t.Run("migrating twice is a no-op", func(t *testing.T) {
		c := migratedClient(t)
		if err := c.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := queryUint64(t, c, "SELECT count() FROM "+c.db+".schema_migrations"); n != uint64(len(migrations)) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(migrations))
		}
	})

	t.Run("clients migrating the same database at once all succeed", func(t *testing.T) {
		cfg := testConfig(t, server)
		clients := make([]*Client, 4)
		for i := range clients {
			clients[i] = openClient(t, cfg)
		}
		errs := make([]error, len(clients))
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Go(func() { errs[i] = c.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("client %d: %v", i, err)
			}
		}
		c := clients[0]
		appliedOnceWithoutLock(t, c)
		for _, view := range []string{"message_facts", "message_receipts"} {
			if _, err := c.Snapshot(ctx, view); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestStatementsNameTheDatabaseEverywhere(t *testing.T) {
	stmts := Statements("analytics")
	if len(stmts) < 2+len(migrations[0].Statements) {
		t.Fatalf("only %d statements", len(stmts))
	}
	for _, s := range stmts {
		if strings.Contains(s, "{db}") {
			t.Errorf("placeholder left in %q", s)
		}
		idempotent := strings.Contains(s, "IF NOT EXISTS analytics.") || strings.HasPrefix(s, "CREATE DATABASE IF NOT EXISTS analytics") ||
			strings.HasPrefix(s, "DROP TABLE IF EXISTS analytics.") ||
			strings.HasPrefix(s, "ALTER TABLE analytics.") || strings.HasPrefix(s, "INSERT INTO analytics.")
		if !idempotent {
			t.Errorf("statement is not an idempotent step in analytics: %.80q", s)
		}
	}
}

// reapplyMigration runs migration m's ALTERs and statements again, as a second worker that
// migrates at the same time would.
func reapplyMigration(t *testing.T, ctx context.Context, c *Client, m migration) {
	t.Helper()
	if err := c.alter(ctx, m.Alters); err != nil {
		t.Fatal(err)
	}
	stmts, err := c.forms(m.Statements)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range stmts {
		if err := c.conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.dropColumns(ctx, m.DropColumns); err != nil {
		t.Fatal(err)
	}
}

// migrationVersion is the migration of version v.
func migrationVersion(t *testing.T, v uint32) migration {
	t.Helper()
	for _, m := range migrations {
		if m.Version == v {
			return m
		}
	}
	t.Fatalf("no migration of version %d", v)
	return migration{}
}

// goldenViews checks each view's snapshot against its golden file.
func goldenViews(t *testing.T, ctx context.Context, c *Client, views ...string) {
	t.Helper()
	for _, view := range views {
		lines, err := c.Snapshot(ctx, view)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, view, lines)
	}
}
