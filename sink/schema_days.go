package sink

// Migration 6: receipts, membership and group messages by day. The group panels and the receipt panels read
// receipts, which are sorted by message, and membership events, sorted by group: a query about
// a time range read all of them, and joined them to every message. receipt_days keeps every
// receipts row filed under the UTC day of its message's send time (msg_sent_at_ms, the copy it
// was joined to), so that the receipts of the messages of a time range are read with those
// messages' message_state rows, and joined to them only. membership_days keeps every
// member-level membership event (join, leave, remove) under the UTC day it happens, so that a
// range's joins and departures are read alone; who is a member at the end of a day still
// depends on each member's latest event before it, however old, which readers take from every
// day up to it.
//
// Both are ReplacingMergeTree tables whose sort key is the row's full identity, partitioned by
// month and sorted by day first, as session_days and user_days are: an exact replay collapses,
// distinct rows stay, and readers group (min, uniqExact, argMax), so the answer depends neither
// on the order rows arrive in nor on merges. Each is sharded on a cluster as the table it is
// filed from (cluster.go, shardKeys), so a materialized view on a shard's local table feeds
// the same shard's local copy.

const createReceiptDays = `CREATE TABLE IF NOT EXISTS {db}.receipt_days (
    day Date,
    source String,
    tenant String,
    msg_id String,
    member_id String,
    status String,
    at_ms Int64,
    latency_ms Int64
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, msg_id, member_id, status, at_ms, latency_ms)`

const receiptDaysColumns = `day, source, tenant, msg_id, member_id, status, at_ms, latency_ms`

const receiptDaysSelect = `SELECT toDate(intDiv(msg_sent_at_ms, 1000), 'UTC') AS day, source, tenant, msg_id, member_id, status, at_ms, latency_ms
FROM {db}.receipts`

const createReceiptDaysFromReceipts = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.receipt_days_receipts
TO {db}.receipt_days AS
` + receiptDaysSelect

// backfillReceiptDays files the receipts written before the migration. A row stored before
// migration 3 without its message's time was copied then with that time, or kept 0 when the
// message was never written (migration 4, stateBackfill); such a row belongs to no day. A row
// filed twice is an exact replay.
const backfillReceiptDays = `INSERT INTO {db}.receipt_days (` + receiptDaysColumns + `)
` + receiptDaysSelect + hasMessageTime

const createMembershipDays = `CREATE TABLE IF NOT EXISTS {db}.membership_days (
    day Date,
    source String,
    tenant String,
    group_id String,
    member_id String,
    member_type String,
    action String,
    at_ms Int64
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, group_id, member_id, at_ms, action, member_type)`

const membershipDaysColumns = `day, source, tenant, group_id, member_id, member_type, action, at_ms`

const membershipDaysSelect = `SELECT toDate(intDiv(at_ms, 1000), 'UTC') AS day, source, tenant, group_id, member_id, member_type, action, at_ms
FROM {db}.membership_events
WHERE action IN ('join', 'leave', 'remove')`

const createMembershipDaysFromEvents = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.membership_days_events
TO {db}.membership_days AS
` + membershipDaysSelect

// backfillMembershipDays files the membership events written before the migration; a row
// filed twice is an exact replay.
const backfillMembershipDays = `INSERT INTO {db}.membership_days (` + membershipDaysColumns + `)
` + membershipDaysSelect

// group_message_days keeps, per message copy addressed to a group, one narrow row (day, group,
// sender, message, send time) under the UTC day of the copy's send time, so that the group
// panels find a range's messages to groups and their senders without merging every message of
// the range.
// As in user_days, a copy of an id with conflicting copies may name another group or none: a
// reader keeps the rows of the ids that are not in message_conflicts, and takes the winning
// copy of the others, a handful, from message_state.
const createGroupMessageDays = `CREATE TABLE IF NOT EXISTS {db}.group_message_days (
    day Date,
    source String,
    tenant String,
    group_id String,
    sender_id String,
    msg_id String,
    sent_at_ms Int64
) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, source, tenant, group_id, sender_id, msg_id, sent_at_ms)`

const groupMessageDaysSelect = `SELECT toDate(intDiv(sent_at_ms, 1000), 'UTC') AS day, source, tenant, conversation_id AS group_id, sender_id, msg_id,
    sent_at_ms
FROM {db}.messages
WHERE recipient_type = 'group'`

const createGroupMessageDaysFromMessages = `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.group_message_days_messages
TO {db}.group_message_days AS
` + groupMessageDaysSelect

// backfillGroupMessageDays files the group messages written before the migration; a row filed
// twice is an exact replay.
const backfillGroupMessageDays = `INSERT INTO {db}.group_message_days (day, source, tenant, group_id, sender_id, msg_id, sent_at_ms)
` + groupMessageDaysSelect
