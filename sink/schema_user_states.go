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
// among the senders of the copies of such ids, a handful: user_message_days files the day and
// sender of every user copy under its message id, so the copies of the ids in
// message_conflicts (the unmarked first copy among them, which message_conflicts lacks) are
// read by key, and the kept days of their senders are the user_days rows of those users that
// activeUserDay keeps. A user with a kept row in the window is counted once by the states, as
// by the user_days query; one without is counted by the states only through copies of
// conflicting ids, and taken off. user_message_days is user_days sorted by message, so that
// analysts read it by key as they may not read messages.

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

const createUserMessageDays = `CREATE TABLE IF NOT EXISTS {db}.user_message_days (
    source String,
    tenant String,
    msg_id String,
    day Date,
    user_id String
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, msg_id, day, user_id)`

const createUserMessageDaysFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.user_message_days_messages
TO {db}.user_message_days AS
SELECT source, tenant, msg_id, toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, sender_id AS user_id
FROM {db}.messages
WHERE sender_type = 'user'`

const backfillUserMessageDays = `INSERT INTO {db}.user_message_days (source, tenant, msg_id, day, user_id)
SELECT source, tenant, msg_id, day, user_id
FROM {db}.user_days`
