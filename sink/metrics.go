package sink

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// metricNames are the documented metrics in the README's order.
var metricNames = []string{
	"dau_wau_mau", "new_users", "bot_replies", "bot_response", "first_human_response",
	"containment", "reactions_per_message",
}

// spillLargeGroupBy ends every metric query, as it ends every README query and dashboard
// panel of one SELECT (grafana.SpillSetting): a GROUP BY beyond 400 MB goes to disk, so that a
// metric over the whole history stays within about 1 GiB of memory.
const spillLargeGroupBy = "\nSETTINGS max_bytes_before_external_group_by = 400000000"

// metricQueries are the README's metric queries with {db} for the database; a test checks that
// the README shows each one verbatim with {db} = chatpulse. They read contract views, or the
// tables the README documents under "Time ranges" where a view would cost too much, and
// follow the views' rules: one JOIN per SELECT, aliases that differ from column names, no
// window functions (time windows and "the first later message" use arrays instead). They join
// with LEFT JOIN only: current releases keep one left row per key in an ANY INNER JOIN.
// A column that appears only inside a lambda is dropped from a joined subquery by 18.16, so
// each such column is also used outside one.
var metricQueries = map[string]string{
	// Both read user_days (migration 5), the active days of each user, keeping the rows of a
	// message's winning copy (activeUserDay).
	// Each (user, active day) counts for the days from it up to the user's next active day, at
	// most 30: on each day D it stands for the user's latest activity up to D, so every user
	// counts once per day, with back = D minus that activity's day, without a uniqExact over
	// 30 copies of every activity.
	"dau_wau_mau": `SELECT day,
       countIf(back = 0) AS dau,
       countIf(back < 7) AS wau,
       count() AS mau,
       dau / mau AS stickiness
FROM (
    SELECT active_day + back AS day, back
    FROM (
        SELECT days[i] AS active_day,
               if(i < length(days), toUInt32(days[i + 1]) - toUInt32(days[i]), 30) AS gap
        FROM (
            SELECT arraySort(groupUniqArray(day)) AS days
            FROM {db}.user_days
            WHERE ` + indentSQL(activeUserDay, "            ") + `
            GROUP BY source, tenant, user_id
        )
        ARRAY JOIN arrayEnumerate(days) AS i
    )
    ARRAY JOIN range(toUInt32(least(gap, 30))) AS back
)
GROUP BY day
HAVING dau > 0
ORDER BY day` + spillLargeGroupBy,

	"new_users": `SELECT first_day AS day, count() AS new_users
FROM (
    SELECT min(day) AS first_day
    FROM {db}.user_days
    WHERE ` + indentSQL(activeUserDay, "    ") + `
    GROUP BY source, tenant, user_id
)
GROUP BY day
ORDER BY day` + spillLargeGroupBy,

	"bot_replies": `SELECT count() AS bot_messages,
       countIf(replies > 0) AS replied,
       if(bot_messages = 0, 0, replied / bot_messages) AS reply_rate
FROM {db}.message_facts
WHERE sender_type = 'bot'` + spillLargeGroupBy,

	// bot_response reads conversation_days (migration 8), one narrow row per message copy of a
	// user, bot or agent, keeping the rows of a message's winning copy
	// (winningConversationCopy), and gathers each conversation's messages in one GROUP BY:
	// merging every message's states in message_state took about 0.8 GiB for a week at 10M
	// messages. Of the distinct (msg_id, sent_at_ms) of a conversation, sorted, the first of
	// each id is its earliest send time, as in message_facts, whatever replays wrote.
	"bot_response": `SELECT count() AS answered,
       quantileExact(0.5)(response_ms) AS p50_ms,
       quantileExact(0.9)(response_ms) AS p90_ms
FROM (
    SELECT arrayReduce('min', arrayFilter(t -> t > u_sent_at_ms, r_sent_at_ms)) - u_sent_at_ms AS response_ms
    FROM (
        SELECT arrayMap(c -> c.2, arrayFilter((c, i) -> i = 1 OR u_copies[i - 1].1 != c.1, u_copies, arrayEnumerate(u_copies))) AS u_sent_at_ms_list,
               arrayMap(c -> c.2, arrayFilter((c, i) -> i = 1 OR r_copies[i - 1].1 != c.1, r_copies, arrayEnumerate(r_copies))) AS r_sent_at_ms
        FROM (
            SELECT arraySort(groupUniqArrayIf((msg_id, sent_at_ms), sender_type = 'user')) AS u_copies,
                   arraySort(groupUniqArrayIf((msg_id, sent_at_ms), sender_type IN ('bot', 'agent'))) AS r_copies
            FROM {db}.conversation_days
            WHERE ` + indentSQL(winningConversationCopy, "            ") + `
            GROUP BY source, tenant, conversation_id
        )
    )
    ARRAY JOIN u_sent_at_ms_list AS u_sent_at_ms
    WHERE arrayExists(t -> t > u_sent_at_ms, r_sent_at_ms)
)` + spillLargeGroupBy,

	"first_human_response": `SELECT count() AS handovers_to_agent,
       countIf(has_response = 1) AS answered,
       quantileExactIf(0.5)(response_ms, has_response = 1) AS p50_ms,
       quantileExactIf(0.9)(response_ms, has_response = 1) AS p90_ms
FROM (
    SELECT arrayFilter(t -> t >= h_at_ms, a_sent_at_ms) AS later,
           notEmpty(later) AS has_response,
           arrayReduce('min', later) - h_at_ms AS response_ms
    FROM (
        SELECT source, tenant, conversation_id, at_ms AS h_at_ms
        FROM {db}.handovers
        WHERE to_role = 'agent'
    ) AS h
    ANY LEFT JOIN (
        SELECT source, tenant, conversation_id, groupArray(sent_at_ms) AS a_sent_at_ms
        FROM {db}.message_facts
        WHERE sender_type IN ('agent', 'supervisor')
        GROUP BY source, tenant, conversation_id
    ) AS a USING (source, tenant, conversation_id)
)` + spillLargeGroupBy,

	"containment": `SELECT count() AS sessions,
       countIf(handed = 1) AS handed_over,
       if(sessions = 0, 0, handed_over / sessions) AS handover_rate,
       1 - handover_rate AS containment
FROM (
    SELECT max(h_at_ms >= start_ms AND h_at_ms <= end_ms) AS handed
    FROM (
        SELECT source, tenant, platform, user_id, session_id, start_ms, end_ms
        FROM {db}.user_sessions
    ) AS s
    ALL LEFT JOIN (
        SELECT source, tenant, user_id, at_ms AS h_at_ms
        FROM {db}.handovers
        WHERE to_role = 'agent'
    ) AS h USING (source, tenant, user_id)
    GROUP BY source, tenant, platform, user_id, session_id
)` + spillLargeGroupBy,

	"reactions_per_message": `SELECT n_messages AS messages,
       n_reactions AS reactions,
       if(n_messages = 0, 0, n_reactions / n_messages) AS per_message
FROM (
    SELECT count() AS n_messages, sum(reactions) AS n_reactions
    FROM {db}.message_facts
)` + spillLargeGroupBy,
}

// indentSQL indents every line of sql but the first by prefix, to embed it in a query.
func indentSQL(sql, prefix string) string {
	return strings.ReplaceAll(sql, "\n", "\n"+prefix)
}

// MetricNames returns the names Metric accepts, in the README's order: dau_wau_mau, new_users,
// bot_replies, bot_response, first_human_response, containment, reactions_per_message.
func MetricNames() []string { return slices.Clone(metricNames) }

// Metric runs the README query of the named metric against the client's database and returns
// its rows, each rendered as Snapshot renders a view's row. The rows come in the query's order:
// by day for dau_wau_mau and new_users, which is also their sort.Strings order; the other
// metrics have exactly one row.
func (c *Client) Metric(ctx context.Context, name string) ([]string, error) {
	q, ok := metricQueries[name]
	if !ok {
		return nil, fmt.Errorf("metric %q: unknown, want one of %s", name, strings.Join(metricNames, ", "))
	}
	lines, err := c.queryLines(ctx, strings.ReplaceAll(q, "{db}", c.db))
	if err != nil {
		return nil, fmt.Errorf("metric %s: %w", name, err)
	}
	return lines, nil
}
