package sink

import (
	"regexp"
	"strings"
	"testing"
)

func TestEveryMigrationHasAClusterForm(t *testing.T) {
	stmts, err := ClusterStatements("db", "c")
	if err != nil {
		t.Fatal(err)
	}
	replicatedEngine := regexp.MustCompile(`ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/(\{shard\}|all)/db/\w+', '\{replica\}'(, \w+)?\)`)
	for _, s := range stmts {
		if strings.HasPrefix(s, "INSERT INTO ") {
			continue
		}
		if !strings.Contains(s, " ON CLUSTER c") {
			t.Errorf("runs on one server only:\n%s", s)
		}
		if strings.Contains(s, "MergeTree") && !replicatedEngine.MatchString(s) {
			t.Errorf("a MergeTree table that is not replicated at a {shard} or all path:\n%s", s)
		}
		if strings.Contains(s, "{") && !strings.Contains(s, "{shard}") && !strings.Contains(s, "{replica}") {
			t.Errorf("a placeholder is left:\n%s", s)
		}
	}
}

func TestTheClusterFormOfEachKindOfStatement(t *testing.T) {
	tests := []struct {
		name, stmt string
		want       []string
	}{
		{"an internal table becomes a replicated local table, with the columns later migrations add, behind a Distributed table sharded by its entity",
			"CREATE TABLE IF NOT EXISTS {db}.replies (\n    a String\n) ENGINE = ReplacingMergeTree ORDER BY a",
			[]string{
				"CREATE TABLE IF NOT EXISTS {db}.replies_local ON CLUSTER c (\n    a String,\n    msg_sent_at_ms Int64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/replies', '{replica}') ORDER BY a",
				"CREATE TABLE IF NOT EXISTS {db}.replies ON CLUSTER c AS {db}.replies_local ENGINE = Distributed(c, {db}, replies_local, cityHash64(source, tenant, parent_msg_id))",
			}},
		{"a table's version column follows the replica in its replicated engine",
			"CREATE TABLE IF NOT EXISTS {db}.receipt_firsts (\n    a String,\n    v UInt64\n) ENGINE = ReplacingMergeTree(v) ORDER BY a",
			[]string{
				"CREATE TABLE IF NOT EXISTS {db}.receipt_firsts_local ON CLUSTER c (\n    a String,\n    v UInt64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{db}/receipt_firsts', '{replica}', v) ORDER BY a",
				"CREATE TABLE IF NOT EXISTS {db}.receipt_firsts ON CLUSTER c AS {db}.receipt_firsts_local ENGINE = Distributed(c, {db}, receipt_firsts_local, cityHash64(source, tenant, msg_id))",
			}},
		{"a per-entity view reads local tables behind a Distributed table",
			"CREATE VIEW IF NOT EXISTS {db}.handovers AS\nSELECT DISTINCT a FROM {db}.handover_events",
			[]string{
				"CREATE VIEW IF NOT EXISTS {db}.handovers_local ON CLUSTER c AS\nSELECT DISTINCT a FROM {db}.handover_events_local",
				"CREATE TABLE IF NOT EXISTS {db}.handovers ON CLUSTER c AS {db}.handovers_local ENGINE = Distributed(c, {db}, handovers_local)",
			}},
		{"a view across entities reads the Distributed tables with GLOBAL IN",
			"CREATE VIEW IF NOT EXISTS {db}.group_daily AS\nSELECT x IN ('a'), (y) IN (\n  SELECT y FROM {db}.membership_events) FROM {db}.message_facts",
			[]string{"CREATE VIEW IF NOT EXISTS {db}.group_daily ON CLUSTER c AS\nSELECT x IN ('a'), (y) GLOBAL IN (SELECT y FROM {db}.membership_events) FROM {db}.message_facts"}},
		{"a materialized view reads and feeds local tables",
			"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mv\nTO {db}.message_state AS\nSELECT a FROM {db}.receipts",
			[]string{"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mv ON CLUSTER c\nTO {db}.message_state_local AS\nSELECT a FROM {db}.receipts_local"}},
		{"dropping a per-entity view drops its local view too",
			"DROP TABLE IF EXISTS {db}.message_facts",
			[]string{"DROP TABLE IF EXISTS {db}.message_facts ON CLUSTER c", "DROP TABLE IF EXISTS {db}.message_facts_local ON CLUSTER c"}},
		{"an INSERT SELECT goes through the Distributed tables",
			"INSERT INTO {db}.messages (a) SELECT a FROM {db}.messages",
			[]string{"INSERT INTO {db}.messages (a) SELECT a FROM {db}.messages"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clusterForm(tt.stmt, "c")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ";\n") != strings.Join(tt.want, ";\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, ";\n"), strings.Join(tt.want, ";\n"))
			}
		})
	}
}

func TestATableWithoutAShardingKeyHasNoClusterForm(t *testing.T) {
	_, err := clusterForm("CREATE TABLE IF NOT EXISTS {db}.new_things (\n a String\n) ENGINE = MergeTree ORDER BY a", "c")
	if err == nil || !strings.Contains(err.Error(), "new_things has no sharding key") {
		t.Fatalf("got %v", err)
	}
}

func TestTheClusterCreatesEachLocalTableWithTheColumnsAndSortKeyOfLaterMigrations(t *testing.T) {
	stmts, err := ClusterStatements("db", "c")
	if err != nil {
		t.Fatal(err)
	}
	creates := map[string]string{}
	for _, s := range stmts {
		if strings.HasPrefix(s, "ALTER ") {
			t.Errorf("a new cluster database runs an ALTER, which can stop 18.16's DDL worker:\n%s", s)
		}
		if m := regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS db\.(\w+)_local `).FindStringSubmatch(s); m != nil {
			creates[m[1]] = s
		}
	}
	added := 0
	for _, m := range migrations {
		for _, stmt := range m.Alters {
			a, ok := parseAddColumn(stmt)
			if !ok {
				t.Fatalf("migration %d: not an added column: %s", m.Version, stmt)
			}
			added++
			if !strings.Contains(creates[a.table], "\n    "+a.column+" "+a.typ+",\n") &&
				!strings.Contains(creates[a.table], "\n    "+a.column+" "+a.typ+"\n) ENGINE = ") {
				t.Errorf("migration %d adds %s %s, which %s_local is not created with:\n%s", m.Version, a.column, a.typ, a.table, creates[a.table])
			}
		}
	}
	if added == 0 {
		t.Fatal("no migration adds a column: the test checks nothing")
	}
	if !strings.HasSuffix(creates["messages"], " ORDER BY (source, tenant, msg_id, sent_at_ms, content_hash)") {
		t.Errorf("messages_local lacks migration 4's sort key:\n%s", creates["messages"])
	}
}

func TestAMigrationAlterThatAddsNoColumnHasNoClusterForm(t *testing.T) {
	for _, stmt := range []string{
		"ALTER TABLE {db}.receipts DROP COLUMN b",
		"ALTER TABLE {db}.receipts MODIFY COLUMN b String",
		"ALTER TABLE {db}.receipts ADD COLUMN b Int64, ADD COLUMN c Int64",
	} {
		if err := clusterAlters([]migration{{Version: 9, Alters: []string{stmt}}}); err == nil {
			t.Errorf("accepted on a cluster: %s", stmt)
		}
	}
	if err := clusterAlters(migrations); err != nil {
		t.Fatal(err)
	}
}
