package sink

// Migration 5: active users by day. Daily, weekly and monthly active users, new users and
// retention need, per user, the UTC days on which they sent a message; reading them from the
// per-message state means grouping every message by id, which costs memory in proportion to
// the history. user_days keeps, per message copy with sender_type 'user', one narrow row
// (day, user, message) under the day of the copy's send time, partitioned by month and sorted
// by day, so that a query groups by user only and a time range prunes parts and granules.
//
// A message may have conflicting copies (migration 4), and only the copy of the least
// (sent_at_ms, content_hash) counts; a losing copy may name another sender or day. The
// processor marks a copy written while it held another copy of the id (supersedes = 1), and a
// view files it in message_conflicts, a handful of rows. A copy is written only when it ranks
// before the one held, so the first copy of an id is the only unmarked one and never wins once
// there is a second: the winner is the least marked copy. Readers keep a user_days row when
// its message has no conflict, or when it is the (day, user) of that copy. Every row is an
// exact replay when written twice, and readers group (groupUniqArray, min, argMin), so the
// answer depends neither on the order rows arrive in nor on merges.

const addMessagesSupersedes = `ALTER TABLE {db}.messages ADD COLUMN supersedes UInt8`

const createUserDays = `CREATE TABLE IF NOT EXISTS {db}.user_days (
    day Date,
    source String,
    tenant String,
    user_id String,
    msg_id String
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, user_id, msg_id)`

const userDaysSelect = `SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, sender_id AS user_id, msg_id
FROM {db}.messages
WHERE sender_type = 'user'`

const createUserDaysFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.user_days_messages
TO {db}.user_days AS
` + userDaysSelect

// backfillUserDays files the messages written before the migration; a row filed twice is an
// exact replay.
const backfillUserDays = `INSERT INTO {db}.user_days (day, source, tenant, user_id, msg_id)
` + userDaysSelect

const createMessageConflicts = `CREATE TABLE IF NOT EXISTS {db}.message_conflicts (
    source String,
    tenant String,
    msg_id String,
    sent_at_ms Int64,
    content_hash UInt64,
    sender_type String,
    sender_id String
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, msg_id, sent_at_ms, content_hash)`

const messageConflictsColumns = `source, tenant, msg_id, sent_at_ms, content_hash, sender_type, sender_id`

const createMessageConflictsFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_conflicts_messages
TO {db}.message_conflicts AS
SELECT ` + messageConflictsColumns + `
FROM {db}.messages
WHERE supersedes = 1`

// backfillMessageConflicts files every copy of the ids with conflicting copies among the
// messages written before the migration, which carry no mark: two copies differ in send time
// or content hash. It reads the whole table once.
const backfillMessageConflicts = `INSERT INTO {db}.message_conflicts (` + messageConflictsColumns + `)
SELECT ` + messageConflictsColumns + `
FROM {db}.messages
WHERE (source, tenant, msg_id) IN (
    SELECT source, tenant, msg_id
    FROM {db}.messages
    GROUP BY source, tenant, msg_id
    HAVING min(sent_at_ms) != max(sent_at_ms) OR min(content_hash) != max(content_hash)
)`

// activeUserDay is the condition that keeps a user_days row, for a query over user_days
// (unaliased): its message has no conflicting copies, or the row is the day and user of the
// winning copy, ranked as message_facts ranks, among the copies in message_conflicts. On a
// cluster the analysts' profile runs these subqueries as GLOBAL IN (docs/cluster.md).
const activeUserDay = `((source, tenant, msg_id) NOT IN (SELECT source, tenant, msg_id FROM {db}.message_conflicts)
    OR (source, tenant, msg_id, day, user_id) IN (
        SELECT source, tenant, msg_id, toDate(intDiv(w_sent_at_ms, 1000), 'UTC') AS w_day, w_user_id
        FROM (
            SELECT source, tenant, msg_id,
                min(sent_at_ms) AS w_sent_at_ms,
                argMin(sender_type, (sent_at_ms, content_hash)) AS w_sender_type,
                argMin(sender_id, (sent_at_ms, content_hash)) AS w_user_id
            FROM {db}.message_conflicts
            GROUP BY source, tenant, msg_id
        )
        WHERE w_sender_type = 'user'
    ))`
