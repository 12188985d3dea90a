-- The cluster form of part of the chatpulse schema (docs/cluster.md): database chatpulse on
-- cluster chatpulse, whose servers define the {shard} and {replica} macros ({replica} unique in
-- the whole cluster). Each internal table is a replicated local table, X_local, behind a
-- Distributed table with the old name X and a sharding key that puts every row of one entity on
-- one shard; each per-entity contract view is a view over the local tables, X_local, behind a
-- Distributed table with the view's name. testenv's TestTheClusterSchemaOfTheDesignNote runs
-- this file on a ClickHouse 18.16 cluster.

CREATE DATABASE IF NOT EXISTS chatpulse ON CLUSTER chatpulse;

-- Every server is a replica of one schema_migrations (no {shard} in its path), so each sees
-- which migrations ran.
CREATE TABLE IF NOT EXISTS chatpulse.schema_migrations ON CLUSTER chatpulse (
    version UInt32,
    name String,
    applied_at DateTime
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/chatpulse/schema_migrations', '{replica}') ORDER BY version;

CREATE TABLE IF NOT EXISTS chatpulse.messages_local ON CLUSTER chatpulse (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/chatpulse/messages', '{replica}')
ORDER BY (source, tenant, msg_id, sent_at_ms);

CREATE TABLE IF NOT EXISTS chatpulse.messages ON CLUSTER chatpulse AS chatpulse.messages_local
ENGINE = Distributed(chatpulse, chatpulse, messages_local, cityHash64(source, tenant, msg_id));

CREATE TABLE IF NOT EXISTS chatpulse.receipts_local ON CLUSTER chatpulse (
    source String,
    tenant String,
    msg_id String,
    member_id String,
    status String,
    at_ms Int64,
    latency_ms Int64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/chatpulse/receipts', '{replica}')
ORDER BY (source, tenant, msg_id, member_id, status, at_ms);

-- The same key as messages: a message's receipts live on its shard.
CREATE TABLE IF NOT EXISTS chatpulse.receipts ON CLUSTER chatpulse AS chatpulse.receipts_local
ENGINE = Distributed(chatpulse, chatpulse, receipts_local, cityHash64(source, tenant, msg_id));

-- A per-entity view reads its shard's local table only ...
CREATE VIEW IF NOT EXISTS chatpulse.message_receipts_local ON CLUSTER chatpulse AS
SELECT source, tenant, msg_id, member_id, status, r_at_ms AS at_ms, r_latency_ms AS latency_ms
FROM (
    SELECT source, tenant, msg_id, member_id, status,
        min(at_ms) AS r_at_ms,
        min(latency_ms) AS r_latency_ms
    FROM chatpulse.receipts_local
    GROUP BY source, tenant, msg_id, member_id, status
);

-- ... and the contract name reads that view on one replica of every shard. Reading needs no
-- sharding key.
CREATE TABLE IF NOT EXISTS chatpulse.message_receipts ON CLUSTER chatpulse (
    source String,
    tenant String,
    msg_id String,
    member_id String,
    status String,
    at_ms Int64,
    latency_ms Int64
) ENGINE = Distributed(chatpulse, chatpulse, message_receipts_local);
