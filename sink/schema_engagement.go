package sink

// Migration 2: sessions, group membership and handovers, and the views over them. The same
// rules as migration 1 hold: the sort key of each internal table is the row's identity, so a
// merge collapses exact replays only, and the views pick current values with argMax, max and
// uniqExact, never relying on the engine. A day is the UTC date of an epoch-ms time,
// toDate(intDiv(ms, 1000), 'UTC'), whatever the server's time zone.

const createSessions = `CREATE TABLE IF NOT EXISTS {db}.sessions (
    source String,
    tenant String,
    platform String,
    user_id String,
    session_id String,
    start_ms Int64,
    end_ms Int64,
    messages UInt32,
    user_messages UInt32,
    closed UInt8,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, platform, user_id, session_id, version)`

const createMembershipEvents = `CREATE TABLE IF NOT EXISTS {db}.membership_events (
    source String,
    tenant String,
    group_id String,
    member_id String,
    member_type String,
    action String,
    at_ms Int64
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, group_id, member_id, at_ms, action, member_type)`

const createHandoverEvents = `CREATE TABLE IF NOT EXISTS {db}.handover_events (
    source String,
    tenant String,
    platform String,
    conversation_id String,
    user_id String,
    to_role String,
    at_ms Int64
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, conversation_id, at_ms, to_role, user_id, platform)`

// createUserSessions keeps, per session, the row of the highest version, and drops the session
// when that row is a tombstone. The session id is a hash of source, tenant, platform, user and
// start, so grouping by all five is grouping by the id. The processor never writes two
// different rows with one version (the sort key would let a merge keep either).
const createUserSessions = `CREATE VIEW IF NOT EXISTS {db}.user_sessions AS
SELECT source, tenant, platform, user_id, session_id,
    s_start_ms AS start_ms,
    s_end_ms AS end_ms,
    s_messages AS messages,
    s_user_messages AS user_messages,
    s_closed AS closed
FROM (
    SELECT source, tenant, platform, user_id, session_id,
        argMax(start_ms, version) AS s_start_ms,
        argMax(end_ms, version) AS s_end_ms,
        argMax(messages, version) AS s_messages,
        argMax(user_messages, version) AS s_user_messages,
        argMax(closed, version) AS s_closed,
        argMax(deleted, version) AS s_deleted
    FROM {db}.sessions
    GROUP BY source, tenant, platform, user_id, session_id
)
WHERE s_deleted = 0`

// createGroupMembers folds each member's join, leave and remove events into the current state.
// Events are ordered by (at_ms, rank) with join 1, leave 2, remove 3, so a departure at the
// same millisecond as a join wins. argMin over (-at_ms, -rank, member_type) takes the latest
// event and, should two latest events differ only in member_type, the smaller member_type, so
// the answer never depends on the order rows are read in.
const createGroupMembers = `CREATE VIEW IF NOT EXISTS {db}.group_members AS
SELECT source, tenant, group_id, member_id,
    g_member_type AS member_type,
    g_is_member AS is_member,
    g_joined_at_ms AS joined_at_ms,
    if(g_is_member = 1, NULL, g_left_at_ms) AS left_at_ms,
    g_updated_at_ms AS updated_at_ms
FROM (
    SELECT source, tenant, group_id, member_id,
        argMin(member_type, (-at_ms, -g_rank, member_type)) AS g_member_type,
        argMax(action, (at_ms, g_rank)) = 'join' AS g_is_member,
        maxIf(at_ms, action = 'join') AS g_joined_at_ms,
        maxIf(at_ms, action != 'join') AS g_left_at_ms,
        max(at_ms) AS g_updated_at_ms
    FROM (
        SELECT source, tenant, group_id, member_id, member_type, action, at_ms,
            multiIf(action = 'join', 1, action = 'leave', 2, 3) AS g_rank
        FROM {db}.membership_events
        WHERE action IN ('join', 'leave', 'remove')
    )
    GROUP BY source, tenant, group_id, member_id
)`

// createGroupDaily has a row per group and day with a member-level event or a message to the
// group. The inner part d counts the day's events and its active members (senders who joined
// the group at some time); 18.16 takes a UNION ALL column's kind from its first branch, so
// constants there are materialized. Each day row is then joined to every member-level event of its
// group; argMaxIf keeps, per member, the latest event up to the end of that day (m_day <= day,
// the same as at_ms before the next midnight) by the group_members order, and the members are
// those whose latest event is a join. A group without member events gets one joined row of
// defaults, whose empty action counts as no member.
const createGroupDaily = `CREATE VIEW IF NOT EXISTS {db}.group_daily AS
SELECT day, source, tenant, group_id,
    any(d_joins) AS joins,
    any(d_leaves) AS leaves,
    any(d_removes) AS removes,
    toInt64(joins) - toInt64(leaves) - toInt64(removes) AS net_change,
    countIf(m_last = 'join') AS members_end_of_day,
    any(d_active) AS active_members
FROM (
    SELECT day, source, tenant, group_id, member_id,
        any(d_joins) AS d_joins,
        any(d_leaves) AS d_leaves,
        any(d_removes) AS d_removes,
        any(d_active) AS d_active,
        argMaxIf(action, (at_ms, m_rank), m_day <= day) AS m_last
    FROM (
        SELECT day, source, tenant, group_id,
            uniqExactIf((u_member_id, u_at_ms), u_action = 'join') AS d_joins,
            uniqExactIf((u_member_id, u_at_ms), u_action = 'leave') AS d_leaves,
            uniqExactIf((u_member_id, u_at_ms), u_action = 'remove') AS d_removes,
            uniqExactIf(u_member_id, u_action = 'message' AND u_joined = 1) AS d_active
        FROM (
            SELECT toDate(intDiv(at_ms, 1000), 'UTC') AS day, source, tenant, group_id,
                member_id AS u_member_id, action AS u_action, at_ms AS u_at_ms, materialize(toUInt8(0)) AS u_joined
            FROM {db}.membership_events
            WHERE action IN ('join', 'leave', 'remove')
            UNION ALL
            SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, conversation_id AS group_id,
                sender_id AS u_member_id, materialize('message') AS u_action, sent_at_ms AS u_at_ms,
                toUInt8((source, tenant, conversation_id, sender_id) IN (
                    SELECT source, tenant, group_id, member_id
                    FROM {db}.membership_events
                    WHERE action = 'join'
                )) AS u_joined
            FROM {db}.message_facts
            WHERE recipient_type = 'group'
        )
        GROUP BY day, source, tenant, group_id
    ) AS d
    ALL LEFT JOIN (
        SELECT source, tenant, group_id, member_id, action, at_ms,
            toDate(intDiv(at_ms, 1000), 'UTC') AS m_day,
            multiIf(action = 'join', 1, action = 'leave', 2, 3) AS m_rank
        FROM {db}.membership_events
        WHERE action IN ('join', 'leave', 'remove')
    ) AS m USING (source, tenant, group_id)
    GROUP BY day, source, tenant, group_id, member_id
)
GROUP BY day, source, tenant, group_id`

// createHandovers shows each distinct handover once.
const createHandovers = `CREATE VIEW IF NOT EXISTS {db}.handovers AS
SELECT DISTINCT source, tenant, platform, conversation_id, user_id, to_role, at_ms
FROM {db}.handover_events`

// createEngagementDaily counts message_facts per day and platform, then adds the sessions that
// start and the handovers that happen on that day; a day without messages has no row, so the
// LEFT JOINs never add one, and a day without sessions or handovers gets the default 0.
// quantileExact skips NULL latencies and is NULL when all are.
const createEngagementDaily = `CREATE VIEW IF NOT EXISTS {db}.engagement_daily AS
SELECT day, source, tenant, platform,
    f_messages AS messages,
    f_delivered AS delivered,
    f_read AS read,
    f_failed AS failed,
    f_replied AS replied,
    f_active_users AS active_users,
    f_delivery_p50_ms AS delivery_p50_ms,
    f_delivery_p90_ms AS delivery_p90_ms,
    f_delivery_p99_ms AS delivery_p99_ms,
    f_read_p50_ms AS read_p50_ms,
    f_read_p90_ms AS read_p90_ms,
    f_read_p99_ms AS read_p99_ms,
    s_sessions AS sessions,
    h_handovers AS handovers
FROM (
    SELECT * FROM (
        SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, platform,
            count() AS f_messages,
            countIf(delivered_latency_ms IS NOT NULL) AS f_delivered,
            countIf(read_latency_ms IS NOT NULL) AS f_read,
            countIf(failed = 1) AS f_failed,
            countIf(replies > 0) AS f_replied,
            uniqExactIf(sender_id, sender_type = 'user') AS f_active_users,
            quantileExact(0.5)(delivered_latency_ms) AS f_delivery_p50_ms,
            quantileExact(0.9)(delivered_latency_ms) AS f_delivery_p90_ms,
            quantileExact(0.99)(delivered_latency_ms) AS f_delivery_p99_ms,
            quantileExact(0.5)(read_latency_ms) AS f_read_p50_ms,
            quantileExact(0.9)(read_latency_ms) AS f_read_p90_ms,
            quantileExact(0.99)(read_latency_ms) AS f_read_p99_ms
        FROM {db}.message_facts
        GROUP BY day, source, tenant, platform
    ) AS f
    ANY LEFT JOIN (
        SELECT toDate(intDiv(start_ms, 1000), 'UTC') AS day, source, tenant, platform,
            count() AS s_sessions
        FROM {db}.user_sessions
        GROUP BY day, source, tenant, platform
    ) AS s USING (day, source, tenant, platform)
) AS fs
ANY LEFT JOIN (
    SELECT toDate(intDiv(at_ms, 1000), 'UTC') AS day, source, tenant, platform,
        count() AS h_handovers
    FROM {db}.handovers
    GROUP BY day, source, tenant, platform
) AS h USING (day, source, tenant, platform)`
