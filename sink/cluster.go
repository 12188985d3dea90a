package sink

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The cluster form of the schema (docs/cluster.md) is derived from the one-server statements,
// one statement at a time, so that every migration, present or future, has both forms:
//
//   - an internal table X becomes X_local, a Replicated*MergeTree shared by the replicas of a
//     shard, and X, a Distributed table over X_local whose sharding key puts every row of one
//     entity on one shard;
//   - schema_migrations becomes one ReplicatedMergeTree of which every server is a replica;
//   - a per-entity view X becomes a view X_local over the shard's local tables behind a
//     Distributed table X, so each shard answers for its own entities;
//   - a view across entities stays a view over the Distributed names, with GLOBAL IN;
//   - a materialized view reads and feeds local tables, so it runs on the replica that
//     receives the rows, and replication copies what it wrote;
//   - ALTER, DROP and CREATE run ON CLUSTER; an INSERT ... SELECT goes through Distributed.

// shardKeys is the sharding key of each internal table: a hash of the entity's identity with
// the same expression and column types in each of its tables. A message's receipts, replies
// (by parent) and reactions (by target) and its per-message state live on the message's shard,
// a user's sessions and handovers on the user's, a group's membership on the group's.
var shardKeys = map[string]string{
	"messages":          "cityHash64(source, tenant, msg_id)",
	"receipts":          "cityHash64(source, tenant, msg_id)",
	"receipt_days":      "cityHash64(source, tenant, msg_id)",
	"receipt_firsts":    "cityHash64(source, tenant, msg_id)",
	"replies":           "cityHash64(source, tenant, parent_msg_id)",
	"reactions":         "cityHash64(source, tenant, target_msg_id)",
	"message_state":     "cityHash64(source, tenant, msg_id)",
	"user_days":         "cityHash64(source, tenant, msg_id)",
	"message_conflicts": "cityHash64(source, tenant, msg_id)",
	"user_message_days": "cityHash64(source, tenant, msg_id)",
	// A day's user set may be split over shards: the initiator merges the states of all.
	"user_day_states": "cityHash64(source, tenant, day)",
	// A user's first-day states may be split over shards: readers group by user, merging them.
	"user_first_days":   "cityHash64(source, tenant, user_id)",
	"sessions":          "cityHash64(source, tenant, user_id)",
	"session_days":      "cityHash64(source, tenant, user_id)",
	"handover_events":   "cityHash64(source, tenant, user_id)",
	"membership_events": "cityHash64(source, tenant, group_id)",
	"membership_days":   "cityHash64(source, tenant, group_id)",

	// The messages to a group live on each message's shard, as the messages that feed them.
	"group_message_days": "cityHash64(source, tenant, msg_id)",
	// A conversation's messages by day live on each message's shard too; a reader's GROUP BY
	// conversation merges the shards' groups.
	"conversation_days": "cityHash64(source, tenant, msg_id)",
}

// perEntityViews group, join or deduplicate only rows of one entity, all on one shard, so the
// union of the shards' answers is the one-server answer.
var perEntityViews = map[string]bool{
	"message_receipts": true,
	"message_facts":    true,
	"user_sessions":    true,
	"group_members":    true,
	"handovers":        true,
}

var (
	createDatabaseStmt = regexp.MustCompile(`^CREATE DATABASE IF NOT EXISTS \{db\}$`)
	createTableStmt    = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS \{db\}\.(\w+) \(`)
	createViewStmt     = regexp.MustCompile(`^CREATE VIEW IF NOT EXISTS \{db\}\.(\w+) AS\b`)
	createMatViewStmt  = regexp.MustCompile(`^CREATE MATERIALIZED VIEW IF NOT EXISTS \{db\}\.(\w+)\b`)
	alterStmt          = regexp.MustCompile(`^ALTER TABLE \{db\}\.(\w+) `)
	addColumnStmt      = regexp.MustCompile(`(?s)^ALTER TABLE \{db\}\.(\w+) ADD COLUMN (\w+) (\w+(?:\(.*?\))?)(?:,\s+MODIFY ORDER BY (\(.*\)))?$`)
	dropStmt           = regexp.MustCompile(`^DROP TABLE IF EXISTS \{db\}\.(\w+)$`)
	insertStmt         = regexp.MustCompile(`^INSERT INTO \{db\}\.(\w+) `)
	mergeTreeEngine    = regexp.MustCompile(`ENGINE = (\w*)MergeTree\b(?:\((\w+)\))?`)
	tableRef           = regexp.MustCompile(`\{db\}\.(\w+)\b`)
	inSubquery         = regexp.MustCompile(`\bIN \(\s*SELECT\b`)
	tableEnd           = regexp.MustCompile(`\n\) ENGINE = `)
	orderBy            = regexp.MustCompile(`ORDER BY \(.*\)$`)
)

// addedColumn is a migration's ALTER: one column added to an internal table and, for a key
// change, the sort key that takes it.
type addedColumn struct{ table, column, typ, key string }

// parseAddColumn reads a migration's ALTER; ok is false for any other statement.
func parseAddColumn(stmt string) (a addedColumn, ok bool) {
	m := addColumnStmt.FindStringSubmatch(stmt)
	if m == nil {
		return addedColumn{}, false
	}
	return addedColumn{table: m[1], column: m[2], typ: m[3], key: m[4]}, true
}

// laterColumns are the column definitions that the migrations' ALTERs add to table, in order,
// and the last sort key they give it ("" for none). A cluster creates the local table with
// them, so a new cluster database runs no ALTER of a replicated table: 18.16 runs no MODIFY
// ORDER BY ON CLUSTER (code 48), and an ALTER ON CLUSTER of a replicated table can stop its
// DDL worker for good (docs/cluster.md). Rows written before a later migration hold the
// column's default, as ADD COLUMN gives them on one server.
func laterColumns(table string) (columns []string, key string) {
	for _, m := range migrations {
		for _, stmt := range m.Alters {
			if a, ok := parseAddColumn(stmt); ok && a.table == table {
				columns = append(columns, a.column+" "+a.typ)
				if a.key != "" {
					key = a.key
				}
			}
		}
	}
	return columns, key
}

// distributedTable is the Distributed table name over name_local on cluster, sharded by key
// ("" for a view, whose Distributed table is never inserted into).
func distributedTable(name, key, cluster string) string {
	engine := fmt.Sprintf("Distributed(%s, {db}, %s_local)", cluster, name)
	if key != "" {
		engine = fmt.Sprintf("Distributed(%s, {db}, %s_local, %s)", cluster, name, key)
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS {db}.%s ON CLUSTER %s AS {db}.%s_local ENGINE = %s", name, cluster, name, engine)
}

// clusterForm returns the statements that do on cluster what stmt does on one server. stmt
// still holds the {db} placeholder; {shard} and {replica} are left for the servers' macros.
// cluster must be a plain identifier (Config.Validate checks it).
func clusterForm(stmt, cluster string) ([]string, error) {
	on := " ON CLUSTER " + cluster
	switch {
	case createDatabaseStmt.MatchString(stmt):
		return []string{stmt + on}, nil

	case createTableStmt.MatchString(stmt):
		name := createTableStmt.FindStringSubmatch(stmt)[1]
		rest := stmt[len(createTableStmt.FindString(stmt))-1:]
		if name == "schema_migrations" {
			return []string{"CREATE TABLE IF NOT EXISTS {db}.schema_migrations" + on + " " +
				replicated(rest, "/clickhouse/tables/all/{db}/schema_migrations")}, nil
		}
		key, ok := shardKeys[name]
		if !ok {
			return nil, fmt.Errorf("cluster schema: table %s has no sharding key", name)
		}
		columns, sortKey := laterColumns(name)
		if len(columns) > 0 {
			rest = tableEnd.ReplaceAllLiteralString(rest, ",\n    "+strings.Join(columns, ",\n    ")+"\n) ENGINE = ")
		}
		if sortKey != "" {
			rest = orderBy.ReplaceAllLiteralString(rest, "ORDER BY "+sortKey)
		}
		local := "CREATE TABLE IF NOT EXISTS {db}." + name + "_local" + on + " " +
			replicated(rest, "/clickhouse/tables/{shard}/{db}/"+name)
		return []string{local, distributedTable(name, key, cluster)}, nil

	case createViewStmt.MatchString(stmt):
		name := createViewStmt.FindStringSubmatch(stmt)[1]
		body := stmt[len(createViewStmt.FindString(stmt)):]
		if perEntityViews[name] {
			local := "CREATE VIEW IF NOT EXISTS {db}." + name + "_local" + on + " AS" + localRefs(body)
			return []string{local, distributedTable(name, "", cluster)}, nil
		}
		// A subquery over a Distributed table inside a query over another is refused with a
		// plain IN; GLOBAL IN runs it once and sends its result to every shard.
		return []string{"CREATE VIEW IF NOT EXISTS {db}." + name + on + " AS" +
			inSubquery.ReplaceAllString(body, "GLOBAL IN (SELECT")}, nil

	case createMatViewStmt.MatchString(stmt):
		head := createMatViewStmt.FindString(stmt)
		return []string{head + on + localRefs(stmt[len(head):])}, nil

	case alterStmt.MatchString(stmt):
		// Run by Client.clusterAlter, one shard at a time.
		return nil, fmt.Errorf("cluster schema: ALTER has no ON CLUSTER form: %.60q", stmt)

	case dropStmt.MatchString(stmt):
		name := dropStmt.FindStringSubmatch(stmt)[1]
		out := []string{stmt + on}
		if perEntityViews[name] || shardKeys[name] != "" {
			out = append(out, "DROP TABLE IF EXISTS {db}."+name+"_local"+on)
		}
		return out, nil

	case insertStmt.MatchString(stmt):
		// Through the Distributed table, which shards the rows as the writer's inserts.
		return []string{stmt}, nil
	}
	return nil, fmt.Errorf("cluster schema: no cluster form for %.60q", stmt)
}

// replicated turns the MergeTree engine of a table definition into its replicated form at
// ZooKeeper path; an engine parameter (a ReplacingMergeTree's version column) follows the
// replica's name.
func replicated(def, path string) string {
	m := mergeTreeEngine.FindStringSubmatchIndex(def)
	if m == nil {
		return def
	}
	params := "'" + path + "', '{replica}'"
	if m[4] >= 0 {
		params += ", " + def[m[4]:m[5]]
	}
	return def[:m[0]] + "ENGINE = Replicated" + def[m[2]:m[3]] + "MergeTree(" + params + ")" + def[m[1]:]
}

// localRefs points every reference to an internal table at its local table.
func localRefs(sql string) string {
	return tableRef.ReplaceAllStringFunc(sql, func(ref string) string {
		name := ref[len("{db}."):]
		if _, ok := shardKeys[name]; ok {
			return ref + "_local"
		}
		return ref
	})
}

// clusterForms rewrites each statement with clusterForm.
func clusterForms(stmts []string, cluster string) ([]string, error) {
	var out []string
	for _, s := range stmts {
		forms, err := clusterForm(s, cluster)
		if err != nil {
			return nil, err
		}
		out = append(out, forms...)
	}
	return out, nil
}

// ClusterStatements returns the DDL statements with which Migrate makes database db on cluster,
// in order. The migrations' ALTERs are not among them: a new database's local tables are
// created with their columns (laterColumns), and Client.clusterAlter adds them to an older one.
// Nor are their column drops: Client.clusterDropColumn runs each on one replica of each shard,
// on a new database as on an older one.
func ClusterStatements(db, cluster string) ([]string, error) {
	out, err := clusterForms(bootstrap, cluster)
	if err != nil {
		return nil, err
	}
	if err := clusterAlters(migrations); err != nil {
		return nil, err
	}
	for _, m := range migrations {
		forms, err := clusterForms(m.Statements, cluster)
		if err != nil {
			return nil, err
		}
		out = append(out, forms...)
	}
	return expand(db, out), nil
}

// clusterAlters checks that every ALTER of ms has a cluster form: it adds one column, or drops
// one from a sharded table.
func clusterAlters(ms []migration) error {
	for _, m := range ms {
		for _, stmt := range m.Alters {
			if _, ok := parseAddColumn(stmt); !ok {
				return fmt.Errorf("cluster schema: migration %d: no cluster form for %.60q", m.Version, stmt)
			}
		}
		for _, stmt := range m.DropColumns {
			d := dropColumnStmt.FindStringSubmatch(stmt)
			if d == nil || shardKeys[d[1]] == "" {
				return fmt.Errorf("cluster schema: migration %d: no cluster form for %.60q", m.Version, stmt)
			}
		}
	}
	return nil
}

// clusterSettings are the session settings of a client of a cluster, nil for one server.
//   - insert_distributed_sync = 1: an INSERT into a Distributed table returns only once every
//     shard has written its rows on a replica, so offsets are committed after durability, as
//     on one server.
//   - insert_deduplicate = 0: a retried batch is written again in full. 18.16 skips the
//     materialized views of a block it drops as a duplicate, so a shard replica killed after
//     its table took a block and before its views did would leave message_state and
//     session_days without those rows for good once the retry's block was dropped. Rows are
//     idempotent, so the second copy changes no answer (docs/cluster.md).
//
// The metric queries, like the analysts' queries, need distributed_product_mode = global from
// the users' profile (deploy/clickhouse-cluster/profile.xml): the driver cannot send a string
// setting to 18.16.
func clusterSettings(cluster string) clickhouse.Settings {
	if cluster == "" {
		return nil
	}
	return clickhouse.Settings{"insert_distributed_sync": 1, "insert_deduplicate": 0}
}

// SyncReplicas waits until the server's replica of every replicated table holds what its
// shard's replication log lists, so that a read through it sees every acknowledged insert. It
// does nothing on one server.
func (c *Client) SyncReplicas(ctx context.Context) error {
	if c.cluster == "" {
		return nil
	}
	for _, table := range replicatedTables() {
		if err := c.syncReplica(ctx, table); err != nil {
			return err
		}
	}
	return nil
}

// onCluster is the ON CLUSTER clause of the client's DDL, empty for one server.
func (c *Client) onCluster() string {
	if c.cluster == "" {
		return ""
	}
	return " ON CLUSTER " + c.cluster
}

// syncReplica waits until the server's replica of table has every entry its replication log
// held when called.
func (c *Client) syncReplica(ctx context.Context, table string) error {
	if err := c.waitReplicationStarted(ctx, table); err != nil {
		return err
	}
	if err := c.conn.Exec(ctx, "SYSTEM SYNC REPLICA "+c.db+"."+table); err != nil {
		return fmt.Errorf("sync replica %s: %w", table, err)
	}
	return nil
}

// waitReplicationStarted waits until the server's replica of table has started replication. On
// 18.16 a replica restarted before its old ZooKeeper session expired does not start at once
// ("appears to be already active"), and until it does, SYSTEM SYNC REPLICA returns without the
// entries queued before the restart. Such a replica reports a delay of the whole Unix time.
func (c *Client) waitReplicationStarted(ctx context.Context, table string) error {
	const q = "SELECT count() FROM system.replicas WHERE database = ? AND table = ?" +
		" AND is_readonly = 0 AND absolute_delay < toUInt32(now()) - 86400"
	for {
		var n uint64
		err := c.conn.QueryRow(ctx, q, c.db, table).Scan(&n)
		if err == nil && n == 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replication of %s not started: %w", table, errors.Join(ctx.Err(), err))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// replicatedTables are the replicated tables of the cluster schema, sorted.
func replicatedTables() []string {
	out := []string{"schema_migrations"}
	for name := range shardKeys {
		out = append(out, name+"_local")
	}
	slices.Sort(out)
	return out
}
