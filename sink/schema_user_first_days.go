package sink

// Migration 10: each user's first day. New users per day and retention by first day need the
// users whose first active day is in the range, and a first day depends on every day before it: read from
// user_days, it grouped every user day of the history up to the range, 6.7M rows and 6 s for a
// week at 10M messages. user_first_days keeps, per user (source, tenant, sender id), the least
// UTC day of a message copy the user sent, as a min state in an AggregatingMergeTree sorted by
// user: a reader merges one row per user and part, whatever was replayed or merged.
//
// The state holds every copy, but a user day counts only through the winning copy of an id
// with conflicting copies (activeUserDay). A user who sent no copy of such an id has all
// their days counted, so the state is their first day. The others are among the senders of
// the copies of those ids, a handful, which user_message_days gives by key; a reader takes their first day from the user_days rows that
// activeUserDay keeps. On a cluster the materialized view feeds the local table of the
// replica that got the messages, so a user's states may be spread over the shards; readers
// group by user, which merges them.

const createUserFirstDays = `CREATE TABLE IF NOT EXISTS {db}.user_first_days (
    source String,
    tenant String,
    user_id String,
    first_day AggregateFunction(min, Date)
) ENGINE = AggregatingMergeTree ORDER BY (source, tenant, user_id)`

const createUserFirstDaysFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.user_first_days_messages
TO {db}.user_first_days AS
SELECT source, tenant, sender_id AS user_id, minState(toDate(intDiv(sent_at_ms, 1000), 'UTC')) AS first_day
FROM {db}.messages
WHERE sender_type = 'user'
GROUP BY source, tenant, user_id`

// backfillUserFirstDays files the user days written before the migration; a day filed twice
// changes no minimum.
const backfillUserFirstDays = `INSERT INTO {db}.user_first_days (source, tenant, user_id, first_day)
SELECT source, tenant, user_id, minState(day) AS first_day
FROM {db}.user_days
GROUP BY source, tenant, user_id`
