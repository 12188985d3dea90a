package sink

// Migrations 11 and 12: message_state keeps only the states that its readers merge. Since
// migration 4, message_facts and the dashboards read the ranked attributes and the earliest
// receipt and reply times; the attributes by send time and the per-row latencies of migration 3
// were still folded for every row, and written and merged with every part. Dropping them cut
// ClickHouse's bytes written to message_state by about a quarter (BENCHMARKS.md, "ClickHouse's
// CPU by table"). A view that feeds a dropped column would fail every insert into its table,
// so migration 11 drops the views first and the columns after them, and migration 12 makes
// the views again without those states and folds every stored row once more: rows written
// while no view was in place are folded then, and the others fold to the same states.

// unreadStates are the message_state columns that no reader merges.
var unreadStates = []string{"s_platform", "s_conversation_id", "s_sender_type", "s_sender_id",
	"s_recipient_type", "s_recipient_id", "s_parent_msg_id", "s_content_type",
	"s_delivered_latency_ms", "s_read_latency_ms", "s_first_reply_latency_ms"}

// dropUnreadStates drops each unread state of message_state.
func dropUnreadStates() []string {
	out := make([]string, len(unreadStates))
	for i, s := range unreadStates {
		out[i] = "ALTER TABLE {db}.message_state DROP COLUMN " + s
	}
	return out
}

// The empty receipt flags of the rows of other tables.
const noReceiptFlags = `maxIfState(toUInt8(0), toUInt8(0)) AS s_delivered,
    maxIfState(toUInt8(0), toUInt8(0)) AS s_read,
    maxIfState(toUInt8(0), toUInt8(0)) AS s_failed,
    maxIfState(toUInt8(0), toUInt8(0)) AS s_deleted`

const noReplyCount = "uniqExactIfState('', toUInt8(0)) AS s_replies"

// The states of each table as in migration 4, without the unread ones.
const (
	leanStateFromMessages = rankKeyWith + `SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id,
    maxIfState(toUInt8(1), toUInt8(1)) AS s_message,
    minIfState(sent_at_ms, toUInt8(1)) AS s_sent_at_ms,
    ` + noReceiptFlags + `,
    ` + noReplyCount + `,
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

	leanStateFromReceipts = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id,
    ` + noMessage + `,
    maxIfState(toUInt8(status IN ('delivered', 'read')), toUInt8(1)) AS s_delivered,
    maxIfState(toUInt8(status = 'read'), toUInt8(1)) AS s_read,
    maxIfState(toUInt8(status = 'failed'), toUInt8(1)) AS s_failed,
    maxIfState(toUInt8(status = 'deleted'), toUInt8(1)) AS s_deleted,
    ` + noReplyCount + `,
    ` + noReactions + `,
    ` + noRankedAttributes + `,
    minIfState(at_ms, toUInt8(status IN ('delivered', 'read'))) AS s_delivered_at_ms,
    minIfState(at_ms, toUInt8(status = 'read')) AS s_read_at_ms,
    ` + noReplyTimes + `
`

	leanStateFromReplies = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, parent_msg_id AS msg_id,
    ` + noMessage + `,
    ` + noReceiptFlags + `,
    uniqExactIfState(reply_msg_id, toUInt8(1)) AS s_replies,
    ` + noReactions + `,
    ` + noRankedAttributes + `,
    ` + noReceiptTimes + `,
    minIfState(reply_at_ms, toUInt8(1)) AS s_first_reply_at_ms
`

	leanStateFromReactions = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, target_msg_id AS msg_id,
    ` + noMessage + `,
    ` + noReceiptFlags + `,
    ` + noReplyCount + `,
    groupUniqArrayIfState((actor_id, emoji, at_ms, present), toUInt8(1)) AS s_reactions,
    ` + noRankedAttributes + `,
    ` + noReceiptTimes + `,
    ` + noReplyTimes + `
`
)

const leanStateColumns = `day, source, tenant, msg_id, s_message, s_sent_at_ms,
    s_delivered, s_read, s_failed, s_deleted, s_replies, s_reactions,
    s_ranked_platform, s_ranked_conversation_id, s_ranked_sender_type, s_ranked_sender_id,
    s_ranked_recipient_type, s_ranked_recipient_id, s_ranked_parent_msg_id, s_ranked_content_type,
    s_delivered_at_ms, s_read_at_ms, s_first_reply_at_ms`

// leanStateBackfill folds what table holds into message_state's remaining states, as
// stateBackfill did for migration 4.
func leanStateBackfill(sel, table, where string) string {
	return "INSERT INTO {db}.message_state (" + leanStateColumns + ")\n" +
		sel + "FROM {db}." + table + where + groupByMessageDay
}
