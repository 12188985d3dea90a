package sink

// Migration 3: per-message state filed under the message's day. Every row the processor writes
// about a message (the message itself, its receipts, replies and reactions) carries the
// message's send time, and a materialized view per table folds it into message_state: one
// AggregatingMergeTree row per (day, message) and part, partitioned by month and sorted by day
// first, so a query that names a time range reads only that range's parts and granules.
//
// Every state is of an idempotent aggregate (min, max, argMin, uniqExact, groupUniqArray), so a
// replayed or re-inserted row changes nothing, and the order rows arrive in does not matter.
// Readers merge with GROUP BY and the -Merge functions, never FINAL or a background merge.
// Every column is an -If state so that each view can feed the columns of its own table and give
// the others an empty state (18.16 has no default for an AggregateFunction column a view leaves
// out). State columns are named s_*, apart from the base columns, because 18.16 substitutes an
// alias for a column of the same name inside the aggregate that defines it.

const addReceiptsMsgSentAt = `ALTER TABLE {db}.receipts ADD COLUMN msg_sent_at_ms Int64`
const addRepliesMsgSentAt = `ALTER TABLE {db}.replies ADD COLUMN msg_sent_at_ms Int64`
const addReactionsMsgSentAt = `ALTER TABLE {db}.reactions ADD COLUMN msg_sent_at_ms Int64`

const createMessageState = `CREATE TABLE IF NOT EXISTS {db}.message_state (
    day Date,
    source String,
    tenant String,
    msg_id String,
    s_message AggregateFunction(maxIf, UInt8, UInt8),
    s_sent_at_ms AggregateFunction(minIf, Int64, UInt8),
    s_platform AggregateFunction(argMinIf, String, Int64, UInt8),
    s_conversation_id AggregateFunction(argMinIf, String, Int64, UInt8),
    s_sender_type AggregateFunction(argMinIf, String, Int64, UInt8),
    s_sender_id AggregateFunction(argMinIf, String, Int64, UInt8),
    s_recipient_type AggregateFunction(argMinIf, String, Int64, UInt8),
    s_recipient_id AggregateFunction(argMinIf, String, Int64, UInt8),
    s_parent_msg_id AggregateFunction(argMinIf, String, Int64, UInt8),
    s_content_type AggregateFunction(argMinIf, String, Int64, UInt8),
    s_delivered AggregateFunction(maxIf, UInt8, UInt8),
    s_delivered_latency_ms AggregateFunction(minIf, Int64, UInt8),
    s_read AggregateFunction(maxIf, UInt8, UInt8),
    s_read_latency_ms AggregateFunction(minIf, Int64, UInt8),
    s_failed AggregateFunction(maxIf, UInt8, UInt8),
    s_deleted AggregateFunction(maxIf, UInt8, UInt8),
    s_replies AggregateFunction(uniqExactIf, String, UInt8),
    s_first_reply_latency_ms AggregateFunction(minIf, Int64, UInt8),
    s_reactions AggregateFunction(groupUniqArrayIf, Tuple(String, String, Int64, UInt8), UInt8)
) ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, msg_id)`

// The empty states a view gives the columns that its table does not feed.
const (
	noMessage    = "maxIfState(toUInt8(0), toUInt8(0)) AS s_message, minIfState(toInt64(0), toUInt8(0)) AS s_sent_at_ms"
	noAttributes = `argMinIfState('', toInt64(0), toUInt8(0)) AS s_platform,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_conversation_id,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_sender_type,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_sender_id,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_recipient_type,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_recipient_id,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_parent_msg_id,
    argMinIfState('', toInt64(0), toUInt8(0)) AS s_content_type`
	noReceipts = `maxIfState(toUInt8(0), toUInt8(0)) AS s_delivered,
    minIfState(toInt64(0), toUInt8(0)) AS s_delivered_latency_ms,
    maxIfState(toUInt8(0), toUInt8(0)) AS s_read,
    minIfState(toInt64(0), toUInt8(0)) AS s_read_latency_ms,
    maxIfState(toUInt8(0), toUInt8(0)) AS s_failed,
    maxIfState(toUInt8(0), toUInt8(0)) AS s_deleted`
	noReplies   = "uniqExactIfState('', toUInt8(0)) AS s_replies, minIfState(toInt64(0), toUInt8(0)) AS s_first_reply_latency_ms"
	noReactions = "groupUniqArrayIfState(('', '', toInt64(0), toUInt8(0)), toUInt8(0)) AS s_reactions"
)

// A message row files itself under the day of its own send time; the attributes of the
// earliest copy win, as argMin over the send time.
const createMessageStateFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_state_messages
TO {db}.message_state AS
SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id,
    maxIfState(toUInt8(1), toUInt8(1)) AS s_message,
    minIfState(sent_at_ms, toUInt8(1)) AS s_sent_at_ms,
    argMinIfState(platform, sent_at_ms, toUInt8(1)) AS s_platform,
    argMinIfState(conversation_id, sent_at_ms, toUInt8(1)) AS s_conversation_id,
    argMinIfState(sender_type, sent_at_ms, toUInt8(1)) AS s_sender_type,
    argMinIfState(sender_id, sent_at_ms, toUInt8(1)) AS s_sender_id,
    argMinIfState(recipient_type, sent_at_ms, toUInt8(1)) AS s_recipient_type,
    argMinIfState(recipient_id, sent_at_ms, toUInt8(1)) AS s_recipient_id,
    argMinIfState(parent_msg_id, sent_at_ms, toUInt8(1)) AS s_parent_msg_id,
    argMinIfState(content_type, sent_at_ms, toUInt8(1)) AS s_content_type,
    ` + noReceipts + `,
    ` + noReplies + `,
    ` + noReactions + `
FROM {db}.messages
GROUP BY day, source, tenant, msg_id`

// A read implies delivery, so delivered state takes delivered and read receipts.
const createMessageStateFromReceipts = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_state_receipts
TO {db}.message_state AS
SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id,
    ` + noMessage + `,
    ` + noAttributes + `,
    maxIfState(toUInt8(status IN ('delivered', 'read')), toUInt8(1)) AS s_delivered,
    minIfState(latency_ms, toUInt8(status IN ('delivered', 'read'))) AS s_delivered_latency_ms,
    maxIfState(toUInt8(status = 'read'), toUInt8(1)) AS s_read,
    minIfState(latency_ms, toUInt8(status = 'read')) AS s_read_latency_ms,
    maxIfState(toUInt8(status = 'failed'), toUInt8(1)) AS s_failed,
    maxIfState(toUInt8(status = 'deleted'), toUInt8(1)) AS s_deleted,
    ` + noReplies + `,
    ` + noReactions + `
FROM {db}.receipts
GROUP BY day, source, tenant, msg_id`

const createMessageStateFromReplies = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_state_replies
TO {db}.message_state AS
SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, parent_msg_id AS msg_id,
    ` + noMessage + `,
    ` + noAttributes + `,
    ` + noReceipts + `,
    uniqExactIfState(reply_msg_id, toUInt8(1)) AS s_replies,
    minIfState(latency_ms, toUInt8(1)) AS s_first_reply_latency_ms,
    ` + noReactions + `
FROM {db}.replies
GROUP BY day, source, tenant, msg_id`

// Reactions keep every distinct (actor, emoji, time, present) event of the message; a message
// carries a handful, and the latest event of each (actor, emoji) can only be told once all are
// known.
const createMessageStateFromReactions = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_state_reactions
TO {db}.message_state AS
SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, target_msg_id AS msg_id,
    ` + noMessage + `,
    ` + noAttributes + `,
    ` + noReceipts + `,
    ` + noReplies + `,
    groupUniqArrayIfState((actor_id, emoji, at_ms, present), toUInt8(1)) AS s_reactions
FROM {db}.reactions
GROUP BY day, source, tenant, msg_id`

// The backfill sends the rows written before this migration through the views again: messages
// as they are, and the other tables with the send time their message has (0, filed under
// 1970-01-01, when the message is unknown; the contract views read every day, so they still
// count it). The copies are exact replays, which every view collapses, so running the backfill
// twice, or while workers write, changes no answer.
const backfillMessages = `INSERT INTO {db}.messages (source, tenant, platform, msg_id, conversation_id, sender_type,
    sender_id, recipient_type, recipient_id, parent_msg_id, content_type, sent_at_ms)
SELECT source, tenant, platform, msg_id, conversation_id, sender_type,
    sender_id, recipient_type, recipient_id, parent_msg_id, content_type, sent_at_ms
FROM {db}.messages`

const backfillReceipts = `INSERT INTO {db}.receipts (source, tenant, msg_id, member_id, status, at_ms, latency_ms, msg_sent_at_ms)
SELECT source, tenant, msg_id, member_id, status, at_ms, latency_ms, b_sent_at_ms
FROM (
    SELECT source, tenant, msg_id, member_id, status, at_ms, latency_ms
    FROM {db}.receipts
    WHERE msg_sent_at_ms = 0
) AS r
ANY LEFT JOIN (
    SELECT source, tenant, msg_id, min(sent_at_ms) AS b_sent_at_ms
    FROM {db}.messages
    GROUP BY source, tenant, msg_id
) AS m USING (source, tenant, msg_id)`

const backfillReplies = `INSERT INTO {db}.replies (source, tenant, parent_msg_id, reply_msg_id, reply_at_ms, latency_ms, msg_sent_at_ms)
SELECT source, tenant, parent_msg_id, reply_msg_id, reply_at_ms, latency_ms, b_sent_at_ms
FROM (
    SELECT source, tenant, parent_msg_id, reply_msg_id, reply_at_ms, latency_ms
    FROM {db}.replies
    WHERE msg_sent_at_ms = 0
) AS r
ANY LEFT JOIN (
    SELECT source, tenant, msg_id AS parent_msg_id, min(sent_at_ms) AS b_sent_at_ms
    FROM {db}.messages
    GROUP BY source, tenant, msg_id
) AS m USING (source, tenant, parent_msg_id)`

const backfillReactions = `INSERT INTO {db}.reactions (source, tenant, target_msg_id, actor_id, emoji, at_ms, present, msg_sent_at_ms)
SELECT source, tenant, target_msg_id, actor_id, emoji, at_ms, present, b_sent_at_ms
FROM (
    SELECT source, tenant, target_msg_id, actor_id, emoji, at_ms, present
    FROM {db}.reactions
    WHERE msg_sent_at_ms = 0
) AS r
ANY LEFT JOIN (
    SELECT source, tenant, msg_id AS target_msg_id, min(sent_at_ms) AS b_sent_at_ms
    FROM {db}.messages
    GROUP BY source, tenant, msg_id
) AS m USING (source, tenant, target_msg_id)`

const dropMessageFacts = `DROP TABLE IF EXISTS {db}.message_facts`

// createMessageFactsFromState is message_facts with the same columns and rules as migration 1's
// view, read from message_state: one GROUP BY, no join. Only messages that were written as a
// message have a row. The reactions of a message are its distinct (actor, emoji, at_ms,
// present) events; sorted by (actor, emoji, at_ms, 1 - present), the last event of each (actor,
// emoji) is its latest, a removal after an add of the same millisecond, and the count is of
// those last events that are present.
const createMessageFactsFromState = `CREATE VIEW IF NOT EXISTS {db}.message_facts AS
SELECT
    source,
    tenant,
    f_platform AS platform,
    msg_id,
    f_conversation_id AS conversation_id,
    f_sender_type AS sender_type,
    f_sender_id AS sender_id,
    f_recipient_type AS recipient_type,
    f_recipient_id AS recipient_id,
    f_parent_msg_id AS parent_msg_id,
    f_content_type AS content_type,
    toDateTime(intDiv(f_sent_at_ms, 1000)) AS sent_at,
    f_sent_at_ms AS sent_at_ms,
    if(f_delivered = 1, f_delivered_latency_ms, NULL) AS delivered_latency_ms,
    if(f_read = 1, f_read_latency_ms, NULL) AS read_latency_ms,
    f_failed AS failed,
    f_deleted AS deleted,
    toUInt32(f_replies) AS replies,
    if(f_replies > 0, f_first_reply_latency_ms, NULL) AS first_reply_latency_ms,
    toUInt32(arrayCount((e, i) -> e.4 = 1 AND (i = length(f_events) OR (f_events[i + 1].1, f_events[i + 1].2) != (e.1, e.2)),
        f_events, arrayEnumerate(f_events))) AS reactions
FROM (
    SELECT source, tenant, msg_id,
        maxIfMerge(s_message) AS f_message,
        minIfMerge(s_sent_at_ms) AS f_sent_at_ms,
        argMinIfMerge(s_platform) AS f_platform,
        argMinIfMerge(s_conversation_id) AS f_conversation_id,
        argMinIfMerge(s_sender_type) AS f_sender_type,
        argMinIfMerge(s_sender_id) AS f_sender_id,
        argMinIfMerge(s_recipient_type) AS f_recipient_type,
        argMinIfMerge(s_recipient_id) AS f_recipient_id,
        argMinIfMerge(s_parent_msg_id) AS f_parent_msg_id,
        argMinIfMerge(s_content_type) AS f_content_type,
        maxIfMerge(s_delivered) AS f_delivered,
        minIfMerge(s_delivered_latency_ms) AS f_delivered_latency_ms,
        maxIfMerge(s_read) AS f_read,
        minIfMerge(s_read_latency_ms) AS f_read_latency_ms,
        maxIfMerge(s_failed) AS f_failed,
        maxIfMerge(s_deleted) AS f_deleted,
        uniqExactIfMerge(s_replies) AS f_replies,
        minIfMerge(s_first_reply_latency_ms) AS f_first_reply_latency_ms,
        arraySort(e -> (e.1, e.2, e.3, 1 - e.4), groupUniqArrayIfMerge(s_reactions)) AS f_events
    FROM {db}.message_state
    GROUP BY source, tenant, msg_id
)
WHERE f_message = 1`

// session_days is every row of sessions filed under the UTC day its session starts, so that a
// query about sessions that start in a time range reads that range only. Every row of one
// session id has the same start: the id is a hash of it, and a tombstone keeps the start of
// the id it retires. Readers keep the row of the highest version per session, as
// user_sessions does.
const createSessionDays = `CREATE TABLE IF NOT EXISTS {db}.session_days (
    day Date,
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
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, platform, user_id, session_id, version)`

const sessionDaysColumns = `day, source, tenant, platform, user_id, session_id, start_ms, end_ms, messages, user_messages, closed, version, deleted`

const sessionDaysSelect = `SELECT toDate(intDiv(start_ms, 1000), 'UTC') AS day, source, tenant, platform, user_id, session_id,
    start_ms, end_ms, messages, user_messages, closed, version, deleted
FROM {db}.sessions`

const createSessionDaysFromSessions = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.session_days_sessions
TO {db}.session_days AS
` + sessionDaysSelect

// backfillSessionDays copies the sessions written before the migration; a row copied twice
// is an exact replay.
const backfillSessionDays = `INSERT INTO {db}.session_days (` + sessionDaysColumns + `)
` + sessionDaysSelect
