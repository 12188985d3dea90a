package sink

import (
	"slices"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// TestMigrationToLeanMessageState starts from a database of schema version 8 holding the
// fixtures, conflicting copies and engagement rows as workers of that version wrote them, and
// migrates in two steps with rows written in between, when no view feeds message_state: the
// unread states are gone, the contract views and the panels show what they showed, with the
// rows written in between, and applying both migrations again and writing every row once more
// changes nothing.
func TestMigrationToLeanMessageState(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	before := []*rows.Set{engagementSet(), fixtureSet(), groupConflicts()}
	for _, set := range before {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.migrateTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	between := botConflicts()
	if err := c.Insert(ctx, between); err != nil {
		t.Fatal(err)
	}
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sets := append(before, between)

	t.Run("message_state has no unread state", func(t *testing.T) {
		for _, col := range unreadStates {
			if has, err := c.hasColumn(ctx, "message_state", col); err != nil || has {
				t.Fatalf("message_state still has %s (%v)", col, err)
			}
		}
	})
	t.Run("rows written while no view fed message_state are folded", func(t *testing.T) {
		got := queryUint64(t, c, "SELECT count() FROM "+c.db+".message_facts WHERE msg_id IN (SELECT msg_id FROM "+c.db+".messages WHERE sender_type = 'bot')")
		want := queryUint64(t, c, "SELECT uniqExact(source, tenant, msg_id) FROM "+c.db+".messages WHERE sender_type = 'bot'")
		if want == 0 || got != want {
			t.Fatalf("message_facts has %d bot messages, want %d", got, want)
		}
	})
	// truth is made at the newest version and holds the same rows.
	truth := openClient(t, testConfig(t, server))
	if err := truth.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, set := range sets {
		if err := truth.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, view := range []string{"message_facts", "message_receipts"} {
			got, err := c.Snapshot(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			want, err := truth.Snapshot(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("%s after the migrations:\n%s\nwant:\n%s", view, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		checkPanelsShowTheirViews(ctx, t, c)
	}
	t.Run("the views and panels show what a new database shows", check)

	t.Run("applying the migrations again and writing the rows again change nothing", func(t *testing.T) {
		reapplyMigration(t, ctx, c, migrationVersion(t, 11))
		reapplyMigration(t, ctx, c, migrationVersion(t, 12))
		for _, set := range sets {
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})
}
