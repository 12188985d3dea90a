package sink

import (
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// TestMigrationToConversationDays starts from a database of schema version 6 holding the
// fixtures and conflicting copies of conversations with bots, as workers of that version wrote
// them, and migrates: the backfill files every message of a user, bot or agent by day, so the
// bot response panels and the bot_response metric show what the contract views give;
// applying the migration again, and writing the rows once more, changes nothing.
func TestMigrationToConversationDays(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	if err := c.migrateTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	sets := []*rows.Set{engagementSet(), fixtureSet(), groupConflicts(), botConflicts()}
	for _, set := range sets {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	if n := queryUint64(t, c, "SELECT count() FROM system.tables WHERE database = '"+c.db+"' AND name = 'conversation_days'"); n != 0 {
		t.Fatal("conversation_days exists before migration 8")
	}
	if err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("the backfill filed every message of a user, bot or agent", func(t *testing.T) {
		got := queryUint64(t, c, "SELECT uniqExact(source, tenant, conversation_id, sender_type, msg_id, sent_at_ms, content_hash) FROM "+c.db+".conversation_days")
		want := queryUint64(t, c, "SELECT uniqExact(source, tenant, conversation_id, sender_type, msg_id, sent_at_ms, content_hash) FROM "+c.db+".messages WHERE sender_type IN ('user', 'bot', 'agent')")
		if want == 0 || got != want {
			t.Fatalf("conversation_days holds %d distinct rows, want %d", got, want)
		}
	})
	t.Run("the panels and metrics show the views", func(t *testing.T) { checkPanelsShowTheirViews(ctx, t, c) })

	t.Run("applying the migration again and writing the rows again change nothing", func(t *testing.T) {
		m := migrations[7]
		if m.Version != 8 {
			t.Fatalf("migrations[7] is version %d", m.Version)
		}
		reapplyMigration(t, ctx, c, m)
		for _, set := range sets {
			if err := c.Insert(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		checkPanelsShowTheirViews(ctx, t, c)
	})
}
