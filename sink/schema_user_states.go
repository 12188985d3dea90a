package sink

// Migration 7: active users by day, pre-aggregated. A day's MAU needs the users of the 30
// days up to it, so reading user_days for it costs 30 days of rows. user_day_states keeps, per
// UTC day, source and tenant, the exact set of users (source, tenant, sender id) who sent a
// message that day, as a uniqExact state; a query for the days D of a range merges the states
// of the days D-29 to D, a few rows per day. A state is a set, so a replayed row, unmerged
// parts and the order rows arrive in change nothing.
//
// The states hold every copy of a message, but a user-day counts only through the winning copy
// of an id with conflicting copies (activeUserDay), and a set cannot take a user out. So a
// reader counts, for each day and window, the users whose copies in the window are all copies
// of ids with conflicting copies and none of them kept, and takes them off. Those users are
// among the senders of the copies of such ids, a handful: messages, sorted by id and holding
// every copy (migration 4), gives the copies of the ids in message_conflicts by key (the
// unmarked first copy among them, which message_conflicts lacks), and the kept days of their
// senders are the user_days rows of those users that activeUserDay keeps. A user with a kept
// row in the window is counted once by the states, as by the user_days query; one without is
// counted by the states only through copies of conflicting ids, and taken off.

const createUserDayStates = `CREATE TABLE IF NOT EXISTS {db}.user_day_states (
    day Date,
    source String,
    tenant String,
    users AggregateFunction(uniqExact, String, String, String)
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant)`

const createUserDayStatesFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.user_day_states_messages
TO {db}.user_day_states AS
SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant,
       uniqExactState(source, tenant, sender_id) AS users
FROM {db}.messages
WHERE sender_type = 'user'
GROUP BY day, source, tenant`

// backfillUserDayStates files the user days written before the migration; a user filed
// twice is in the set once.
const backfillUserDayStates = `INSERT INTO {db}.user_day_states (day, source, tenant, users)
SELECT day, source, tenant, uniqExactState(source, tenant, user_id) AS users
FROM {db}.user_days
GROUP BY day, source, tenant`
