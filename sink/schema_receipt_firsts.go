package sink

// Migration 9: each receipt's first row, with its message's send time. Receipts by status
// counts the receipts of the messages sent in a range with their latency; read from
// receipt_days, it grouped every receipt of the range by (message, member, status) to take
// the earliest and joined the range's messages from message_state, about 0.8 GiB for a week at
// 10M messages and over the server's limit for 60 days. receipt_firsts keeps every receipts
// row under the UTC day of its message's send time, with that time (msg_sent_at_ms, of the copy
// it was joined to), in a ReplacingMergeTree whose sort key is the receipt's identity and whose
// version is first_rank, greatest for the earliest at_ms: a reader with FINAL gets one row per
// receipt, its earliest, whether or not ClickHouse has merged the parts, streaming the
// range's parts in key order instead of holding a hash table of every receipt.
//
// A message without conflicting copies has one send time, the one its receipts carry, so its
// receipts need no join. A receipt of an id in message_conflicts may carry a losing copy's
// time: readers take those ids' receipts grouped (min at_ms) and the winning send time from
// message_conflicts, the least marked copy's (schema_users.go). Every row written twice is a
// replay of the same receipt, and FINAL keeps one of equal rank; rows of one receipt under
// two days (two copies' times) are two rows, which only ids in message_conflicts have. The
// table is sharded on a cluster as receipts are (cluster.go, shardKeys), so FINAL on each
// shard sees every row of a receipt.

const createReceiptFirsts = `CREATE TABLE IF NOT EXISTS {db}.receipt_firsts (
    day Date,
    source String,
    tenant String,
    msg_id String,
    member_id String,
    status String,
    at_ms Int64,
    msg_sent_at_ms Int64,
    first_rank UInt64
) ENGINE = ReplacingMergeTree(first_rank) PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, msg_id, member_id, status)`

const receiptFirstsColumns = `day, source, tenant, msg_id, member_id, status, at_ms, msg_sent_at_ms, first_rank`

// first_rank orders at_ms the other way round over the whole Int64 range: the sign bit flipped
// makes the order unsigned, the complement reverses it.
const receiptFirstsSelect = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id, member_id, status, at_ms,
    msg_sent_at_ms, bitNot(bitXor(toUInt64(at_ms), toUInt64(9223372036854775808))) AS first_rank
FROM {db}.receipts`

const createReceiptFirstsFromReceipts = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.receipt_firsts_receipts
TO {db}.receipt_firsts AS
` + receiptFirstsSelect

// backfillReceiptFirsts files the receipts written before the migration; a receipt whose
// message time is unknown (0, a message never written) belongs to no day, as in receipt_days.
// A row filed twice is a replay.
const backfillReceiptFirsts = `INSERT INTO {db}.receipt_firsts (` + receiptFirstsColumns + `)
` + receiptFirstsSelect + hasMessageTime
