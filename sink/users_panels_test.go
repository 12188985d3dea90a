package sink

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// userDaysPanels are the active-user panels as they read user_days before migration 7 (and
// retention before migration 10), each user's active days grouped by user; the panels, which
// merge user_day_states for a range under 14 days and take first days from user_first_days,
// must show their rows.
var userDaysPanels = map[string]string{
	"users.json: DAU / WAU / MAU": `SELECT day,
       countIf(back = 0) AS dau,
       countIf(back < 7) AS wau,
       count() AS mau
FROM (
    SELECT active_day + back AS day, back
    FROM (
        SELECT days[i] AS active_day,
               if(i < length(days), toUInt32(days[i + 1]) - toUInt32(days[i]), 30) AS gap
        FROM (
            SELECT arraySort(groupUniqArray(day)) AS days
            FROM ${database}.user_days
            WHERE day >= toDate($__fromTime, 'UTC') - 30 AND day <= toDate($__toTime, 'UTC') AND source IN (${source:singlequote})
              AND ((source, tenant, msg_id) NOT IN (SELECT source, tenant, msg_id FROM ${database}.message_conflicts)
                  OR (source, tenant, msg_id, day, user_id) IN (
                      SELECT source, tenant, msg_id, toDate(intDiv(w_sent_at_ms, 1000), 'UTC') AS w_day, w_user_id
                      FROM (
                          SELECT source, tenant, msg_id,
                              min(sent_at_ms) AS w_sent_at_ms,
                              argMin(sender_type, (sent_at_ms, content_hash)) AS w_sender_type,
                              argMin(sender_id, (sent_at_ms, content_hash)) AS w_user_id
                          FROM ${database}.message_conflicts
                          GROUP BY source, tenant, msg_id
                      )
                      WHERE w_sender_type = 'user'
                  ))
            GROUP BY source, tenant, user_id
        )
        ARRAY JOIN arrayEnumerate(days) AS i
    )
    ARRAY JOIN range(toUInt32(least(gap, 30))) AS back
    WHERE $__dateFilter(day)
)
GROUP BY day
HAVING dau > 0 AND $__dateFilter(day)
ORDER BY day`,

	"users.json: Stickiness": `SELECT day,
       countIf(back = 0) / count() AS stickiness
FROM (
    SELECT active_day + back AS day, back
    FROM (
        SELECT days[i] AS active_day,
               if(i < length(days), toUInt32(days[i + 1]) - toUInt32(days[i]), 30) AS gap
        FROM (
            SELECT arraySort(groupUniqArray(day)) AS days
            FROM ${database}.user_days
            WHERE day >= toDate($__fromTime, 'UTC') - 30 AND day <= toDate($__toTime, 'UTC') AND source IN (${source:singlequote})
              AND ((source, tenant, msg_id) NOT IN (SELECT source, tenant, msg_id FROM ${database}.message_conflicts)
                  OR (source, tenant, msg_id, day, user_id) IN (
                      SELECT source, tenant, msg_id, toDate(intDiv(w_sent_at_ms, 1000), 'UTC') AS w_day, w_user_id
                      FROM (
                          SELECT source, tenant, msg_id,
                              min(sent_at_ms) AS w_sent_at_ms,
                              argMin(sender_type, (sent_at_ms, content_hash)) AS w_sender_type,
                              argMin(sender_id, (sent_at_ms, content_hash)) AS w_user_id
                          FROM ${database}.message_conflicts
                          GROUP BY source, tenant, msg_id
                      )
                      WHERE w_sender_type = 'user'
                  ))
            GROUP BY source, tenant, user_id
        )
        ARRAY JOIN arrayEnumerate(days) AS i
    )
    ARRAY JOIN range(toUInt32(least(gap, 30))) AS back
    WHERE $__dateFilter(day)
)
GROUP BY day
HAVING countIf(back = 0) > 0 AND $__dateFilter(day)
ORDER BY day`,

	"users.json: Retention by first day": `SELECT first_day AS cohort,
       count() AS users,
       round(100 * countIf(has(days, first_day + 1)) / users, 1) AS day_1_pct,
       round(100 * countIf(has(days, first_day + 3)) / users, 1) AS day_3_pct,
       round(100 * countIf(has(days, first_day + 7)) / users, 1) AS day_7_pct,
       round(100 * countIf(arrayExists(d -> d > first_day AND d <= first_day + 7, days)) / users, 1) AS week_1_pct
FROM (
    SELECT arraySort(groupUniqArray(day)) AS days, days[1] AS first_day
    FROM ${database}.user_days
    WHERE day <= toDate($__toTime, 'UTC') + 7 AND source IN (${source:singlequote})
      AND ((source, tenant, msg_id) NOT IN (SELECT source, tenant, msg_id FROM ${database}.message_conflicts)
          OR (source, tenant, msg_id, day, user_id) IN (
              SELECT source, tenant, msg_id, toDate(intDiv(w_sent_at_ms, 1000), 'UTC') AS w_day, w_user_id
              FROM (
                  SELECT source, tenant, msg_id,
                      min(sent_at_ms) AS w_sent_at_ms,
                      argMin(sender_type, (sent_at_ms, content_hash)) AS w_sender_type,
                      argMin(sender_id, (sent_at_ms, content_hash)) AS w_user_id
                  FROM ${database}.message_conflicts
                  GROUP BY source, tenant, msg_id
              )
              WHERE w_sender_type = 'user'
          ))
    GROUP BY source, tenant, user_id
)
WHERE $__dateFilter(first_day)
GROUP BY cohort
ORDER BY cohort`,

	"users.json: New users per day": `SELECT first_day AS day, count() AS new_users
FROM (
    SELECT min(day) AS first_day
    FROM ${database}.user_days
    WHERE day <= toDate($__toTime, 'UTC') AND source IN (${source:singlequote})
      AND ((source, tenant, msg_id) NOT IN (SELECT source, tenant, msg_id FROM ${database}.message_conflicts)
          OR (source, tenant, msg_id, day, user_id) IN (
              SELECT source, tenant, msg_id, toDate(intDiv(w_sent_at_ms, 1000), 'UTC') AS w_day, w_user_id
              FROM (
                  SELECT source, tenant, msg_id,
                      min(sent_at_ms) AS w_sent_at_ms,
                      argMin(sender_type, (sent_at_ms, content_hash)) AS w_sender_type,
                      argMin(sender_id, (sent_at_ms, content_hash)) AS w_user_id
                  FROM ${database}.message_conflicts
                  GROUP BY source, tenant, msg_id
              )
              WHERE w_sender_type = 'user'
          ))
    GROUP BY source, tenant, user_id
)
WHERE $__dateFilter(first_day)
GROUP BY day
ORDER BY day`,
}

// userConflicts are ids with conflicting copies under tenant tu whose losing copy is the only
// activity of its sender in a window, as the processor writes them (the first copy unmarked,
// a later one that ranks before it marked): ua1's first copy is ua's only message, on
// 2024-01-02, and its winner is ub's; ua2's first copy is uc's message of 2024-01-05, whose
// other message is of 2024-01-01, and its winner is a bot's; ua3's first copy is ud's on
// 2024-01-10 and its winner ud's on 2024-01-03. Counting every copy would count ua on the days
// 2024-01-02 to 2024-01-31, uc on 2024-01-05 and in the months after 2024-01-30, and ud on
// 2024-01-10.
func userConflicts() *rows.Set {
	msg := func(id, senderType, sender string, sent int64, hash uint64, marked bool) rows.Message {
		return rows.Message{Source: "chatlayer", Tenant: "tu", Platform: "web", MsgID: id, ConversationID: "cu",
			SenderType: senderType, SenderID: sender, RecipientType: "user", RecipientID: "r1", ContentType: "text",
			SentAtMs: sent, ContentHash: hash, Supersedes: marked}
	}
	return &rows.Set{Messages: []rows.Message{
		msg("ua1", "user", "ua", at(2, 10, 0, 0, 0), 50, false),
		msg("ua1", "user", "ub", at(2, 10, 0, 0, 0), 20, true),
		msg("ua0", "user", "uc", at(1, 9, 0, 0, 0), 70, false),
		msg("ua2", "user", "uc", at(5, 12, 0, 0, 0), 50, false),
		msg("ua2", "bot", "b1", at(5, 12, 0, 0, 0), 10, true),
		msg("ua3", "user", "ud", at(10, 8, 0, 0, 0), 60, false),
		msg("ua3", "user", "ud", at(3, 8, 0, 0, 0), 60, true),
	}}
}

// userPanelRanges are panelRanges and ranges around the losing copies of 2024-01-05 and 10
// and the end of ua's month; all but the widest are under 14 days.
var userPanelRanges = append(slices.Clone(panelRanges),
	[2]time.Time{time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 12, 0, 0, 0, 0, time.UTC)},
	[2]time.Time{time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 8, 0, 0, 0, 0, time.UTC)})

// userStateSets are what the active-user tests write: the fixtures, conflicting copies of
// group messages and of user messages, and a replay in another order.
func userStateSets() []*rows.Set {
	engagement, fixture := engagementSet(), fixtureSet()
	return []*rows.Set{engagement, userConflicts(), groupConflicts(), fixture, fixture, userConflicts(), engagement}
}

// TestActiveUsersFromDayStatesShowTheUserDaysCounts checks that the DAU / WAU / MAU and
// stickiness panels, which merge user_day_states for ranges under 14 days, show the rows of
// their user_days forms, before and after every part is merged.
func TestActiveUsersFromDayStatesShowTheUserDaysCounts(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	for _, set := range userStateSets() {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) { checkUserPanels(ctx, t, c) }
	t.Run("the panels show the user_days counts", check)
	t.Run("and so they do after every part is merged", func(t *testing.T) {
		for _, table := range []string{"messages", "user_days", "message_conflicts", "user_day_states", "user_message_days"} {
			if err := c.conn.Exec(ctx, "OPTIMIZE TABLE "+c.db+"."+table+" FINAL"); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})
}

// checkUserPanels runs the active-user panels of userDaysPanels for every range of
// userPanelRanges, with enable_optimize_predicate_expression off and on, and compares each
// with its user_days form.
func checkUserPanels(ctx context.Context, t *testing.T, c *Client) {
	t.Helper()
	panels := dashboardPanelSQL(t)
	for name, form := range userDaysPanels {
		panel, ok := panels[name]
		if !ok {
			t.Fatalf("no panel %s", name)
		}
		for _, r := range userPanelRanges {
			want, err := c.queryLines(ctx, expandPanel(t, form, c.db, r[0], r[1]))
			if err != nil {
				t.Fatalf("%s, user_days form: %v", name, err)
			}
			for _, on := range []int{0, 1} {
				qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"enable_optimize_predicate_expression": on}))
				got, err := c.queryLines(qctx, expandPanel(t, panel, c.db, r[0], r[1]))
				if err != nil {
					t.Fatalf("%s, enable_optimize_predicate_expression = %d: %v", name, on, err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s from %s to %s, enable_optimize_predicate_expression = %d:\ngot  %q\nwant %q",
						name, r[0].Format(time.DateOnly), r[1].Format(time.DateOnly), on, got, want)
				}
			}
		}
	}
}

// TestActiveUsersFromDayStatesOnModernClickHouse runs the same comparison on a current
// ClickHouse (ch-modern).
func TestActiveUsersFromDayStatesOnModernClickHouse(t *testing.T) {
	const db = "chatpulse"
	panels := dashboardPanelSQL(t)
	names := slices.Sorted(maps.Keys(userDaysPanels))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	stmts := Statements(db)
	for _, set := range userStateSets() {
		stmts = append(stmts, insertsSQL(db, set)...)
	}
	first := len(stmts)
	for _, r := range userPanelRanges {
		for _, name := range names {
			stmts = append(stmts, expandPanel(t, panels[name], db, r[0], r[1]), expandPanel(t, userDaysPanels[name], db, r[0], r[1]))
		}
	}
	blocks, err := testenv.RunModern(ctx, stmts)
	if err != nil {
		t.Fatal(err)
	}
	for j, b := range blocks {
		if !b.OK {
			t.Fatalf("statement %d fails on the modern server: %s\n%s", j, strings.Join(b.Lines, "\n"), stmts[j])
		}
	}
	for k := first; k+1 < len(blocks); k += 2 {
		got, want := blocks[k].Lines, blocks[k+1].Lines
		if !slices.Equal(got, want) {
			t.Errorf("on the modern server:\n%s\ngot  %q\nwant %q", stmts[k], got, want)
		}
	}
}
