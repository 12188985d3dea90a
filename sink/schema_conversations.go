package sink

// Migration 8: messages by conversation and day. Bot response time pairs each user message
// with the first later bot or agent message of its conversation; read from message_state, it
// merged the states of every message of the range by id, about 0.8 GiB for a week at 10M
// messages. conversation_days keeps, per message copy sent by a user, a bot or an agent, one
// narrow row (day, conversation, sender type, message, send time, content hash) under the UTC
// day of the copy's send time, partitioned by month and sorted by day first, so that a reader
// groups a range's rows by conversation only.
//
// A copy of an id with conflicting copies may name another conversation or sender type: a
// reader keeps the rows of ids that are not in message_conflicts, and of the others the row of
// the winning copy, the least (sent_at_ms, content_hash) among the marked copies, which the
// row carries (winningConversationCopy). The rows of one id that remain are replays of one
// copy, so readers collect user messages with groupUniqArray of (msg_id, sent_at_ms) and bot
// or agent send times with groupArray, whose duplicates change no minimum: the answer depends
// neither on the order rows arrive in nor on merges. The table is sharded on a cluster as
// messages are (cluster.go, shardKeys).

const createConversationDays = `CREATE TABLE IF NOT EXISTS {db}.conversation_days (
    day Date,
    source String,
    tenant String,
    conversation_id String,
    sender_type String,
    msg_id String,
    sent_at_ms Int64,
    content_hash UInt64
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, conversation_id, sender_type, msg_id, sent_at_ms, content_hash)`

const conversationDaysSelect = `SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, conversation_id, sender_type, msg_id,
    sent_at_ms, content_hash
FROM {db}.messages
WHERE sender_type IN ('user', 'bot', 'agent')`

const createConversationDaysFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.conversation_days_messages
TO {db}.conversation_days AS
` + conversationDaysSelect

// backfillConversationDays files the messages written before the migration; a row filed twice
// is an exact replay.
const backfillConversationDays = `INSERT INTO {db}.conversation_days (day, source, tenant, conversation_id, sender_type, msg_id, sent_at_ms, content_hash)
` + conversationDaysSelect

// winningConversationCopy is the condition that keeps a conversation_days row, for a query
// over conversation_days (unaliased): its message has no conflicting copies, or the row is of
// the winning copy, ranked as message_facts ranks, among the copies in message_conflicts. On a
// cluster the analysts' profile runs these subqueries as GLOBAL IN (docs/cluster.md).
const winningConversationCopy = `((source, tenant, msg_id) NOT IN (SELECT source, tenant, msg_id FROM {db}.message_conflicts)
    OR (source, tenant, msg_id, sent_at_ms, content_hash) IN (
        SELECT source, tenant, msg_id, min(sent_at_ms) AS w_sent_at_ms,
            argMin(content_hash, (sent_at_ms, content_hash)) AS w_content_hash
        FROM {db}.message_conflicts
        GROUP BY source, tenant, msg_id
    ))`
