package sink

// Migration 4: conflicting copies of a message. The processor writes a copy of a message id
// with other content when it ranks before the one held (rows.Message), so messages may hold
// several copies of one id; the copy of the least (sent_at_ms, content_hash) is the message,
// whatever order the copies came in. content_hash joins the sort key, so a merge keeps every
// copy. Receipts and replies carry the send time of the copy they were joined to, which may be
// a copy that lost later; their latency is therefore taken against the winning copy's send time
// at read time: greatest(0, earliest time - winning send time), which equals the least of the
// per-row latencies when every row was joined to the winner.
//
// message_state gains states that follow this order (the attributes of the least (sent_at_ms,
// content_hash), the earliest receipt and reply times); its older columns stay, fed as before,
// for the queries that read them.

const addMessagesContentHash = `ALTER TABLE {db}.messages ADD COLUMN content_hash UInt64,
    MODIFY ORDER BY (source, tenant, msg_id, sent_at_ms, content_hash)`

// rankKeyWith defines r_key, which orders the copies of a message as (sent_at_ms,
// content_hash) does, as a string of 32 hex digits: argMin over a tuple works on 18.16 but
// keeps generic values and merges several times slower than over a string. hex drops leading
// zero bytes, so each half is padded to 16 digits; the sign bit of the time is flipped so that
// negative times sort first.
const rankKeyWith = `WITH hex(bitXor(toUInt64(sent_at_ms), toUInt64(9223372036854775808))) AS r_time,
    hex(content_hash) AS r_hash,
    concat(substring('0000000000000000', 1, 16 - length(r_time)), r_time,
        substring('0000000000000000', 1, 16 - length(r_hash)), r_hash) AS r_key
`

// rankedAttributes are the message attributes kept as argMin over r_key, in s_ranked_<name>.
var rankedAttributes = []string{"platform", "conversation_id", "sender_type", "sender_id",
	"recipient_type", "recipient_id", "parent_msg_id", "content_type"}

// addRankedAttributes adds a state per ranked attribute.
func addRankedAttributes() []string {
	out := make([]string, len(rankedAttributes))
	for i, a := range rankedAttributes {
		out[i] = "ALTER TABLE {db}.message_state ADD COLUMN s_ranked_" + a + " AggregateFunction(argMinIf, String, String, UInt8)"
	}
	return out
}

const (
	addStateDeliveredAt  = `ALTER TABLE {db}.message_state ADD COLUMN s_delivered_at_ms AggregateFunction(minIf, Int64, UInt8)`
	addStateReadAt       = `ALTER TABLE {db}.message_state ADD COLUMN s_read_at_ms AggregateFunction(minIf, Int64, UInt8)`
	addStateFirstReplyAt = `ALTER TABLE {db}.message_state ADD COLUMN s_first_reply_at_ms AggregateFunction(minIf, Int64, UInt8)`
)

// The empty states of the columns added by migration 4.
const (
	noRankedAttributes = `argMinIfState('', '', toUInt8(0)) AS s_ranked_platform,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_conversation_id,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_sender_type,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_sender_id,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_recipient_type,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_recipient_id,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_parent_msg_id,
    argMinIfState('', '', toUInt8(0)) AS s_ranked_content_type`
	noReceiptTimes = "minIfState(toInt64(0), toUInt8(0)) AS s_delivered_at_ms, minIfState(toInt64(0), toUInt8(0)) AS s_read_at_ms"
	noReplyTimes   = "minIfState(toInt64(0), toUInt8(0)) AS s_first_reply_at_ms"
)

// The states of each table, without FROM and GROUP BY. They replace the views of migration 3,
// feeding the new columns too, and also backfill them: every state is idempotent, so the rows
// folded into the older columns once more change nothing there.
const (
	stateFromMessages = rankKeyWith + `SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id,
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
    ` + noReactions + `,
    argMinIfState(platform, r_key, toUInt8(1)) AS s_ranked_platform,
    argMinIfState(conversation_id, r_key, toUInt8(1)) AS s_ranked_conversation_id,
    argMinIfState(sender_type, r_key, toUInt8(1)) AS s_ranked_sender_type,
    argMinIfState(sender_id, r_key, toUInt8(1)) AS s_ranked_sender_id,
    argMinIfState(recipient_type, r_key, toUInt8(1)) AS s_ranked_recipient_type,
    argMinIfState(recipient_id, r_key, toUInt8(1)) AS s_ranked_recipient_id,
    argMinIfState(parent_msg_id, r_key, toUInt8(1)) AS s_ranked_parent_msg_id,
    argMinIfState(content_type, r_key, toUInt8(1)) AS s_ranked_content_type,
    ` + noReceiptTimes + `,
    ` + noReplyTimes + `
`

	stateFromReceipts = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id,
    ` + noMessage + `,
    ` + noAttributes + `,
    maxIfState(toUInt8(status IN ('delivered', 'read')), toUInt8(1)) AS s_delivered,
    minIfState(latency_ms, toUInt8(status IN ('delivered', 'read'))) AS s_delivered_latency_ms,
    maxIfState(toUInt8(status = 'read'), toUInt8(1)) AS s_read,
    minIfState(latency_ms, toUInt8(status = 'read')) AS s_read_latency_ms,
    maxIfState(toUInt8(status = 'failed'), toUInt8(1)) AS s_failed,
    maxIfState(toUInt8(status = 'deleted'), toUInt8(1)) AS s_deleted,
    ` + noReplies + `,
    ` + noReactions + `,
    ` + noRankedAttributes + `,
    minIfState(at_ms, toUInt8(status IN ('delivered', 'read'))) AS s_delivered_at_ms,
    minIfState(at_ms, toUInt8(status = 'read')) AS s_read_at_ms,
    ` + noReplyTimes + `
`

	stateFromReplies = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, parent_msg_id AS msg_id,
    ` + noMessage + `,
    ` + noAttributes + `,
    ` + noReceipts + `,
    uniqExactIfState(reply_msg_id, toUInt8(1)) AS s_replies,
    minIfState(latency_ms, toUInt8(1)) AS s_first_reply_latency_ms,
    ` + noReactions + `,
    ` + noRankedAttributes + `,
    ` + noReceiptTimes + `,
    minIfState(reply_at_ms, toUInt8(1)) AS s_first_reply_at_ms
`

	stateFromReactions = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, target_msg_id AS msg_id,
    ` + noMessage + `,
    ` + noAttributes + `,
    ` + noReceipts + `,
    ` + noReplies + `,
    groupUniqArrayIfState((actor_id, emoji, at_ms, present), toUInt8(1)) AS s_reactions,
    ` + noRankedAttributes + `,
    ` + noReceiptTimes + `,
    ` + noReplyTimes + `
`
)

const messageStateColumns = `day, source, tenant, msg_id, s_message, s_sent_at_ms,
    s_platform, s_conversation_id, s_sender_type, s_sender_id, s_recipient_type, s_recipient_id, s_parent_msg_id, s_content_type,
    s_delivered, s_delivered_latency_ms, s_read, s_read_latency_ms, s_failed, s_deleted,
    s_replies, s_first_reply_latency_ms, s_reactions,
    s_ranked_platform, s_ranked_conversation_id, s_ranked_sender_type, s_ranked_sender_id,
    s_ranked_recipient_type, s_ranked_recipient_id, s_ranked_parent_msg_id, s_ranked_content_type,
    s_delivered_at_ms, s_read_at_ms, s_first_reply_at_ms`

const (
	dropStateFromMessages  = `DROP TABLE IF EXISTS {db}.message_state_messages`
	dropStateFromReceipts  = `DROP TABLE IF EXISTS {db}.message_state_receipts`
	dropStateFromReplies   = `DROP TABLE IF EXISTS {db}.message_state_replies`
	dropStateFromReactions = `DROP TABLE IF EXISTS {db}.message_state_reactions`
	dropMessageReceipts    = `DROP TABLE IF EXISTS {db}.message_receipts`
)

const groupByMessageDay = "\nGROUP BY day, source, tenant, msg_id"

// stateView feeds message_state from table with the states sel computes.
func stateView(name, sel, table string) string {
	return "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}." + name + "\nTO {db}.message_state AS\n" +
		sel + "FROM {db}." + table + groupByMessageDay
}

// stateBackfill folds what table holds into message_state again. It runs after the view is in
// place, so a row written while the views were being replaced is folded by one or the other.
// where leaves out rows written before migration 3 without their message's time: migration 3
// copied each of them with that time, or left it at 0 when the message was never written, and
// such a message has no row in message_facts.
func stateBackfill(sel, table, where string) string {
	return "INSERT INTO {db}.message_state (" + messageStateColumns + ")\n" +
		sel + "FROM {db}." + table + where + groupByMessageDay
}

const hasMessageTime = "\nWHERE msg_sent_at_ms != 0"

// createMessageFactsRanked is message_facts with the columns and rules of migration 3, but the
// attributes are those of the least (sent_at_ms, content_hash) and every latency is counted
// from the earliest send time, the winning copy's.
const createMessageFactsRanked = `CREATE VIEW IF NOT EXISTS {db}.message_facts AS
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
    if(f_delivered = 1, greatest(toInt64(0), f_delivered_at_ms - f_sent_at_ms), NULL) AS delivered_latency_ms,
    if(f_read = 1, greatest(toInt64(0), f_read_at_ms - f_sent_at_ms), NULL) AS read_latency_ms,
    f_failed AS failed,
    f_deleted AS deleted,
    toUInt32(f_replies) AS replies,
    if(f_replies > 0, greatest(toInt64(0), f_first_reply_at_ms - f_sent_at_ms), NULL) AS first_reply_latency_ms,
    toUInt32(arrayCount((e, i) -> e.4 = 1 AND (i = length(f_events) OR (f_events[i + 1].1, f_events[i + 1].2) != (e.1, e.2)),
        f_events, arrayEnumerate(f_events))) AS reactions
FROM (
    SELECT source, tenant, msg_id,
        maxIfMerge(s_message) AS f_message,
        minIfMerge(s_sent_at_ms) AS f_sent_at_ms,
        argMinIfMerge(s_ranked_platform) AS f_platform,
        argMinIfMerge(s_ranked_conversation_id) AS f_conversation_id,
        argMinIfMerge(s_ranked_sender_type) AS f_sender_type,
        argMinIfMerge(s_ranked_sender_id) AS f_sender_id,
        argMinIfMerge(s_ranked_recipient_type) AS f_recipient_type,
        argMinIfMerge(s_ranked_recipient_id) AS f_recipient_id,
        argMinIfMerge(s_ranked_parent_msg_id) AS f_parent_msg_id,
        argMinIfMerge(s_ranked_content_type) AS f_content_type,
        maxIfMerge(s_delivered) AS f_delivered,
        minIfMerge(s_delivered_at_ms) AS f_delivered_at_ms,
        maxIfMerge(s_read) AS f_read,
        minIfMerge(s_read_at_ms) AS f_read_at_ms,
        maxIfMerge(s_failed) AS f_failed,
        maxIfMerge(s_deleted) AS f_deleted,
        uniqExactIfMerge(s_replies) AS f_replies,
        minIfMerge(s_first_reply_at_ms) AS f_first_reply_at_ms,
        arraySort(e -> (e.1, e.2, e.3, 1 - e.4), groupUniqArrayIfMerge(s_reactions)) AS f_events
    FROM {db}.message_state
    GROUP BY source, tenant, msg_id
)
WHERE f_message = 1`

// createMessageReceiptsRanked keeps the first occurrence of each (message, member, status), its
// latency counted from the winning copy's send time; a receipt of a message never written as a
// message keeps the latency it was written with.
const createMessageReceiptsRanked = `CREATE VIEW IF NOT EXISTS {db}.message_receipts AS
SELECT source, tenant, msg_id, member_id, status, r_at_ms AS at_ms,
    if(m_known = 1, greatest(toInt64(0), r_at_ms - m_sent_at_ms), r_latency_ms) AS latency_ms
FROM (
    SELECT source, tenant, msg_id, member_id, status,
        min(at_ms) AS r_at_ms,
        min(latency_ms) AS r_latency_ms
    FROM {db}.receipts
    GROUP BY source, tenant, msg_id, member_id, status
) AS r
ANY LEFT JOIN (
    SELECT source, tenant, msg_id, min(sent_at_ms) AS m_sent_at_ms, toUInt8(1) AS m_known
    FROM {db}.messages
    GROUP BY source, tenant, msg_id
) AS m USING (source, tenant, msg_id)`
