package sink

// The internal tables keep every distinct row: the sort key is the row's full identity including
// its time, so an exact replay collapses on merge while distinct values stay. The engine never
// decides which row counts; the views do, with min/argMin, so the answer does not depend on
// whether or how parts were merged.
//
// Rules both ClickHouse 18.16 and current releases accept: one JOIN per SELECT (so joins nest),
// an alias on every joined subquery, and internal aliases that differ from column names.

const createDatabase = `CREATE DATABASE IF NOT EXISTS {db}`

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime
) ENGINE = MergeTree ORDER BY version`

const createMessages = `CREATE TABLE IF NOT EXISTS {db}.messages (
    source String,
    tenant String,
    platform String,
    msg_id String,
    conversation_id String,
    sender_type String,
    sender_id String,
    recipient_type String,
    recipient_id String,
    parent_msg_id String,
    content_type String,
    sent_at_ms Int64
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, msg_id, sent_at_ms)`

const createReceipts = `CREATE TABLE IF NOT EXISTS {db}.receipts (
    source String,
    tenant String,
    msg_id String,
    member_id String,
    status String,
    at_ms Int64,
    latency_ms Int64
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, msg_id, member_id, status, at_ms)`

const createReplies = `CREATE TABLE IF NOT EXISTS {db}.replies (
    source String,
    tenant String,
    parent_msg_id String,
    reply_msg_id String,
    reply_at_ms Int64,
    latency_ms Int64
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, parent_msg_id, reply_msg_id, reply_at_ms)`

const createReactions = `CREATE TABLE IF NOT EXISTS {db}.reactions (
    source String,
    tenant String,
    target_msg_id String,
    actor_id String,
    emoji String,
    at_ms Int64,
    present UInt8
) ENGINE = ReplacingMergeTree ORDER BY (source, tenant, target_msg_id, actor_id, emoji, at_ms, present)`

// createMessageReceipts keeps the first occurrence of each (message, member, status).
const createMessageReceipts = `CREATE VIEW IF NOT EXISTS {db}.message_receipts AS
SELECT source, tenant, msg_id, member_id, status, r_at_ms AS at_ms, r_latency_ms AS latency_ms
FROM (
    SELECT source, tenant, msg_id, member_id, status,
        min(at_ms) AS r_at_ms,
        min(latency_ms) AS r_latency_ms
    FROM {db}.receipts
    GROUP BY source, tenant, msg_id, member_id, status
)`

// createMessageFacts builds one row per (source, tenant, msg_id):
//   - the earliest send time wins, and every attribute is taken from the row with that time;
//   - delivered_latency_ms is the smallest latency of a delivered or read receipt (a read implies
//     delivery), read_latency_ms that of a read receipt, NULL when there is none;
//   - failed and deleted say whether any receipt with that status exists;
//   - replies counts distinct reply ids, first_reply_latency_ms is the smallest reply latency;
//   - reactions counts the (actor, emoji) pairs whose latest row by at_ms is present; when an
//     add and a removal share one at_ms the removal wins (argMax over (at_ms, 1 - present)),
//     so a tie never counts a reaction that may have been taken back.
//
// A message without receipts, replies or reactions gets the right side's defaults (0) from
// the LEFT JOIN whatever join_use_nulls says; the counts turn those into NULL latencies.
const createMessageFacts = `CREATE VIEW IF NOT EXISTS {db}.message_facts AS
SELECT
    source,
    tenant,
    m_platform AS platform,
    msg_id,
    m_conversation_id AS conversation_id,
    m_sender_type AS sender_type,
    m_sender_id AS sender_id,
    m_recipient_type AS recipient_type,
    m_recipient_id AS recipient_id,
    m_parent_msg_id AS parent_msg_id,
    m_content_type AS content_type,
    toDateTime(intDiv(m_sent_at_ms, 1000)) AS sent_at,
    m_sent_at_ms AS sent_at_ms,
    if(r_delivered_n > 0, r_delivered_latency_ms, NULL) AS delivered_latency_ms,
    if(r_read_n > 0, r_read_latency_ms, NULL) AS read_latency_ms,
    r_failed AS failed,
    r_deleted AS deleted,
    toUInt32(p_replies) AS replies,
    if(p_replies > 0, p_first_reply_latency_ms, NULL) AS first_reply_latency_ms,
    toUInt32(x_reactions) AS reactions
FROM (
    SELECT * FROM (
        SELECT * FROM (
            SELECT source, tenant, msg_id,
                min(sent_at_ms) AS m_sent_at_ms,
                argMin(platform, sent_at_ms) AS m_platform,
                argMin(conversation_id, sent_at_ms) AS m_conversation_id,
                argMin(sender_type, sent_at_ms) AS m_sender_type,
                argMin(sender_id, sent_at_ms) AS m_sender_id,
                argMin(recipient_type, sent_at_ms) AS m_recipient_type,
                argMin(recipient_id, sent_at_ms) AS m_recipient_id,
                argMin(parent_msg_id, sent_at_ms) AS m_parent_msg_id,
                argMin(content_type, sent_at_ms) AS m_content_type
            FROM {db}.messages
            GROUP BY source, tenant, msg_id
        ) AS m
        ANY LEFT JOIN (
            SELECT source, tenant, msg_id,
                countIf(status IN ('delivered', 'read')) AS r_delivered_n,
                minIf(latency_ms, status IN ('delivered', 'read')) AS r_delivered_latency_ms,
                countIf(status = 'read') AS r_read_n,
                minIf(latency_ms, status = 'read') AS r_read_latency_ms,
                max(status = 'failed') AS r_failed,
                max(status = 'deleted') AS r_deleted
            FROM {db}.receipts
            GROUP BY source, tenant, msg_id
        ) AS r USING (source, tenant, msg_id)
    ) AS mr
    ANY LEFT JOIN (
        SELECT source, tenant, parent_msg_id AS msg_id,
            uniqExact(reply_msg_id) AS p_replies,
            min(latency_ms) AS p_first_reply_latency_ms
        FROM {db}.replies
        GROUP BY source, tenant, parent_msg_id
    ) AS p USING (source, tenant, msg_id)
) AS mrp
ANY LEFT JOIN (
    SELECT source, tenant, target_msg_id AS msg_id, sum(x_present) AS x_reactions
    FROM (
        SELECT source, tenant, target_msg_id,
            argMax(present, (at_ms, 1 - present)) AS x_present
        FROM {db}.reactions
        GROUP BY source, tenant, target_msg_id, actor_id, emoji
    )
    GROUP BY source, tenant, target_msg_id
) AS x USING (source, tenant, msg_id)`
