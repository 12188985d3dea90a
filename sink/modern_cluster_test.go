package sink

import (
	"regexp"
	"strings"
	"testing"
)

// modernCluster is the cluster name of the cluster DDL checked on the modern server.
const modernCluster = "chatpulse"

// modernClusterConfig is the modern server's config.xml: cluster modernCluster as one shard of
// one replica at the server's own address. chDB listens on no port, but it takes a replica
// whose host is loopback and whose port is its tcp_port for itself, so a Distributed table
// over the cluster reads and writes its local table, as a shard's server does.
const modernClusterConfig = `<clickhouse>
    <tcp_port>9000</tcp_port>
    <remote_servers>
        <chatpulse>
            <shard><replica><host>127.0.0.1</host><port>9000</port></replica></shard>
        </chatpulse>
    </remote_servers>
</clickhouse>
`

var (
	onCluster = regexp.MustCompile(` ON CLUSTER ` + modernCluster + `\b`)
	// replicatedEngine is a Replicated*MergeTree with its ZooKeeper path and replica name, which
	// the plain engine has not.
	replicatedEngine = regexp.MustCompile(`\bReplicated(\w*MergeTree)\('[^']*', '[^']*'(, )?`)
)

// modernClusterStatements is the cluster DDL for db (ClusterStatements) in the form chDB can
// run. chDB runs no distributed DDL worker ("Replicated DDL queries are disabled", code 392)
// and keeps no replicated table writable without ZooKeeper, so ON CLUSTER is removed and each
// Replicated*MergeTree becomes its plain engine with the same columns, ORDER BY and engine
// arguments after the path and replica. Everything else runs as the sink sends it: the
// Distributed tables and views, the shard-local views and materialized views, GLOBAL IN and
// the backfills through the Distributed tables.
func modernClusterStatements(t *testing.T, db string) []string {
	t.Helper()
	stmts, err := ClusterStatements(db, modernCluster)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(stmts)+1)
	// The cluster's users' profile (deploy/clickhouse-cluster/profile.xml) sets it: the README
	// filters one Distributed table by a subquery over another.
	out = append(out, "SET distributed_product_mode = 'global'")
	distributed := 0
	for _, s := range stmts {
		s = onCluster.ReplaceAllString(s, "")
		s = replicatedEngine.ReplaceAllString(s, "$1(")
		if strings.Contains(s, "ON CLUSTER") || strings.Contains(s, "Replicated") {
			t.Fatalf("statement keeps a form chDB cannot run:\n%s", s)
		}
		if strings.Contains(s, "ENGINE = Distributed("+modernCluster+", ") {
			distributed++
		}
		out = append(out, s)
	}
	if distributed == 0 {
		t.Fatalf("the cluster DDL for %s has no Distributed table over %s", db, modernCluster)
	}
	return out
}

// TestTheClusterSchemaRunsOnModernClickHouse builds the cluster schema (ClusterStatements, in
// the form of modernClusterStatements) on a current ClickHouse, writes the fixtures through
// its Distributed tables, and checks that the views, metric queries and README queries give
// the golden files' answers, as the one-server schema does
// (TestSchemaAndQueriesRunOnModernClickHouse). ON CLUSTER and the replicated engines are left
// to the 18.16 cluster tests.
func TestTheClusterSchemaRunsOnModernClickHouse(t *testing.T) {
	checkOnModern(t, modernClusterConfig, func(db string) []string { return modernClusterStatements(t, db) })
}
