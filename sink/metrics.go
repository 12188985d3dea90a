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

// metricQueries are the README's metric queries with {db} for the database; a test checks that
// the README shows each one verbatim with {db} = chatpulse. They read contract views, or the
// tables the README documents under "Time ranges" where a view would cost too much, and
// follow the views' rules: one JOIN per SELECT, aliases that differ from column names, no
// window functions (time windows and "the first later message" use arrays instead). They join
// with LEFT JOIN only: current releases keep one left row per key in an ANY INNER JOIN.
// A column that appears only inside a lambda is dropped from a joined subquery by 18.16, so
// each such column is also used outside one.
var metricQueries = map[string]string{
	// dau_wau_mau merges, for each day D, the user sets of user_day_states (migration 7) of the
	// days D-29 to D, and takes off the users those sets count only through losing copies:
	// users with a copy of an id with conflicting copies in the window (user_message_days) and no row of user_days
	// in it that activeUserDay keeps (schema_user_states.go). DAU, WAU and MAU are merged in
	// three subqueries, as each keeps a set per day until its GROUP BY ends: the right side of
	// a JOIN runs first, so only one of them holds its sets at a time.
	"dau_wau_mau": `SELECT d AS day,
       toUInt64(s_dau - x_dau) AS dau,
       toUInt64(s_wau - x_wau) AS wau,
       toUInt64(s_mau - x_mau) AS mau,
       dau / mau AS stickiness
FROM (
    SELECT d, s_dau, s_wau, s_mau
    FROM (
        SELECT day AS d, uniqExactMerge(users) AS s_dau
        FROM {db}.user_day_states
        GROUP BY d
    ) AS sd
    ANY LEFT JOIN (
        SELECT d, s_wau, s_mau
        FROM (
            SELECT day + back AS d, uniqExactMerge(users) AS s_wau
            FROM {db}.user_day_states
            ARRAY JOIN range(7) AS back
            GROUP BY d
        ) AS sw
        ANY LEFT JOIN (
            SELECT day + back AS d, uniqExactMerge(users) AS s_mau
            FROM {db}.user_day_states
            ARRAY JOIN range(30) AS back
            GROUP BY d
        ) AS sm USING (d)
    ) AS swm USING (d)
) AS s
ANY LEFT JOIN (
    SELECT l_day + back AS d,
           uniqExactIf(source, tenant, user_id, back < 1 AND NOT arrayExists(k -> k = d, k_days)) AS x_dau,
           uniqExactIf(source, tenant, user_id, back < 7 AND NOT arrayExists(k -> k <= d AND k > d - 7, k_days)) AS x_wau,
           uniqExactIf(source, tenant, user_id, NOT arrayExists(k -> k <= d AND k > d - 30, k_days)) AS x_mau
    FROM (
        SELECT source, tenant, user_id, l_day, k_days
        FROM (
            SELECT source, tenant, user_id, l_days, k_days
            FROM (
                SELECT source, tenant, user_id, groupUniqArray(day) AS l_days
                FROM {db}.user_message_days
                WHERE (source, tenant, msg_id) IN (SELECT source, tenant, msg_id FROM {db}.message_conflicts)
                GROUP BY source, tenant, user_id
            ) AS l
            ANY LEFT JOIN (
                SELECT source, tenant, user_id, groupUniqArray(day) AS k_days
                FROM {db}.user_days
                WHERE (source, tenant, user_id) IN (
                    SELECT source, tenant, user_id
                    FROM {db}.user_message_days
                    WHERE (source, tenant, msg_id) IN (SELECT source, tenant, msg_id FROM {db}.message_conflicts)
                )
                  AND ` + indentSQL(activeUserDay, "                  ") + `
                GROUP BY source, tenant, user_id
            ) AS k USING (source, tenant, user_id)
        )
        ARRAY JOIN l_days AS l_day
    )
    ARRAY JOIN range(30) AS back
    GROUP BY d
) AS x USING (d)
WHERE dau > 0
ORDER BY day`,

	// new_users reads user_days (migration 5), keeping the rows of a message's winning copy
	// (activeUserDay).
	"new_users": `SELECT first_day AS day, count() AS new_users
FROM (
    SELECT min(day) AS first_day
    FROM {db}.user_days
    WHERE ` + indentSQL(activeUserDay, "    ") + `
    GROUP BY source, tenant, user_id
)
GROUP BY day
ORDER BY day`,

	"bot_replies": `SELECT count() AS bot_messages,
       countIf(replies > 0) AS replied,
       if(bot_messages = 0, 0, replied / bot_messages) AS reply_rate
FROM {db}.message_facts
WHERE sender_type = 'bot'`,

	// bot_response reads message_state once, merging only the three states it needs, and
	// gathers each conversation's user and bot or agent send times in one GROUP BY: two reads
	// of message_facts merged every state of every message twice, over 1 GiB at 1M messages.
	"bot_response": `SELECT count() AS answered,
       quantileExact(0.5)(response_ms) AS p50_ms,
       quantileExact(0.9)(response_ms) AS p90_ms
FROM (
    SELECT arrayReduce('min', arrayFilter(t -> t > u_sent_at_ms, r_sent_at_ms)) - u_sent_at_ms AS response_ms
    FROM (
        SELECT groupArrayIf(b_sent_at_ms, b_sender_type = 'user') AS u_sent_at_ms_list,
               groupArrayIf(b_sent_at_ms, b_sender_type IN ('bot', 'agent')) AS r_sent_at_ms
        FROM (
            SELECT source, tenant, msg_id,
                   argMinIfMerge(s_ranked_conversation_id) AS b_conversation_id,
                   argMinIfMerge(s_ranked_sender_type) AS b_sender_type,
                   minIfMerge(s_sent_at_ms) AS b_sent_at_ms
            FROM {db}.message_state
            GROUP BY source, tenant, msg_id
            HAVING maxIfMerge(s_message) = 1
        )
        WHERE b_sender_type IN ('user', 'bot', 'agent')
        GROUP BY source, tenant, b_conversation_id
    )
    ARRAY JOIN u_sent_at_ms_list AS u_sent_at_ms
    WHERE arrayExists(t -> t > u_sent_at_ms, r_sent_at_ms)
)`,

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
)`,

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
)`,

	"reactions_per_message": `SELECT n_messages AS messages,
       n_reactions AS reactions,
       if(n_messages = 0, 0, n_reactions / n_messages) AS per_message
FROM (
    SELECT count() AS n_messages, sum(reactions) AS n_reactions
    FROM {db}.message_facts
)`,
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
