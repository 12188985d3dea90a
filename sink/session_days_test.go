package sink

import (
	"slices"
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

// sessionsFromDays is user_sessions computed from session_days, as a time-range query reads it.
const sessionsFromDays = `SELECT source, tenant, platform, user_id, session_id, d_start_ms, d_end_ms, d_messages, d_user_messages, d_closed
FROM (
    SELECT source, tenant, platform, user_id, session_id,
        argMax(start_ms, version) AS d_start_ms,
        argMax(end_ms, version) AS d_end_ms,
        argMax(messages, version) AS d_messages,
        argMax(user_messages, version) AS d_user_messages,
        argMax(closed, version) AS d_closed
    FROM {db}.session_days
    GROUP BY source, tenant, platform, user_id, session_id
    HAVING argMax(deleted, version) = 0
)`

// TestSessionDaysHoldTheSessionsOfUserSessions checks that session_days, filled by the writer
// and by migration 3's backfill, gives the rows of user_sessions.
func TestSessionDaysHoldTheSessionsOfUserSessions(t *testing.T) {
	ctx := testContext(t)
	set := engagementSet()
	check := func(t *testing.T, c *Client) {
		t.Helper()
		want, err := c.Snapshot(ctx, "user_sessions")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.queryLines(ctx, expand(c.db, []string{sessionsFromDays})[0])
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("session_days gives\n%q\nuser_sessions shows\n%q", got, want)
		}
	}

	t.Run("rows the writer inserts", func(t *testing.T) {
		c := migratedClient(t)
		if err := c.Insert(ctx, &rows.Set{Sessions: set.Sessions}); err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})

	t.Run("rows stored before migration 3", func(t *testing.T) {
		c := openClient(t, testConfig(t, server))
		if err := c.migrateTo(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if err := c.Insert(ctx, &rows.Set{Sessions: set.Sessions}); err != nil {
			t.Fatal(err)
		}
		if err := c.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
}
