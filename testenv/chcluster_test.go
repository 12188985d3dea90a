package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterClient opens a connection per query: the servers close idle connections after a
// second, and a POST on a connection closed under it is not retried.
var clusterClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// clusterQuery runs query on node over HTTP with settings as URL parameters and returns the
// TSV result. It returns errors instead of failing so that a writer can retry through kills.
func clusterQuery(ctx context.Context, node *ClusterNode, query string, settings url.Values) (string, error) {
	q := url.Values{"query": {query}}
	for k, v := range settings {
		q[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+node.HTTPAddr()+"/?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := clusterClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", node.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", node.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s: %s", node.Name, resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

func mustClusterQuery(t *testing.T, node *ClusterNode, query string, settings url.Values) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := clusterQuery(ctx, node, query, settings)
	if err != nil {
		t.Fatalf("%s\n%v", query, err)
	}
	return out
}

// syncInserts makes a Distributed insert return only after every shard has written its part.
var syncInserts = url.Values{"insert_distributed_sync": {"1"}}

func TestAClusterNodeKnowsTheClusterItsShardAndItsReplica(t *testing.T) {
	c := ClickHouseClusterForTest(t, 2, 2)
	for _, n := range c.Nodes {
		clusters := mustClusterQuery(t, n, "SELECT shard_num, replica_num, port FROM system.clusters WHERE cluster = '"+ClusterName+"' ORDER BY shard_num, replica_num", nil)
		var want strings.Builder
		for _, m := range c.Nodes {
			fmt.Fprintf(&want, "%d\t%d\t%d\n", m.Shard, m.Replica, m.tcpPort)
		}
		if clusters != want.String() {
			t.Errorf("%s: system.clusters holds\n%s, want\n%s", n.Name, clusters, want.String())
		}
		macros := mustClusterQuery(t, n, "SELECT macro, substitution FROM system.macros ORDER BY macro", nil)
		if want := fmt.Sprintf("cluster\t%s\nreplica\t%s\nshard\t%d\n", ClusterName, n.Name, n.Shard); macros != want {
			t.Errorf("%s: system.macros holds\n%s, want\n%s", n.Name, macros, want)
		}
	}
	if got := mustClusterQuery(t, c.Nodes[0], "SELECT count() FROM system.zookeeper WHERE path = '/'", nil); got == "0\n" {
		t.Error("ZooKeeper's root lists no node")
	}
	if got := mustClusterQuery(t, c.Nodes[0], "SELECT value FROM system.settings WHERE name = 'insert_distributed_sync'", nil); got != "0\n" {
		t.Errorf("insert_distributed_sync is %q, want the setting to exist with default 0", got)
	}
	if got := mustClusterQuery(t, c.Nodes[0], "SELECT value FROM system.settings WHERE name = 'distributed_product_mode'", nil); got != "global\n" {
		t.Errorf("distributed_product_mode is %q, want global, as the deployed profile", got)
	}
}

// syncReplicas waits until every node has fetched all parts its shard's replicas wrote. A
// replica that has just come back may first answer that the table is read-only; that is
// retried until ctx ends.
func syncReplicas(ctx context.Context, t *testing.T, c *ClickHouseCluster, table string) {
	t.Helper()
	for _, n := range c.Nodes {
		for {
			err := replicationStarted(ctx, n, table)
			if err == nil {
				_, err = clusterQuery(ctx, n, "SYSTEM SYNC REPLICA "+table, nil)
			}
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("sync %s: %v", table, err)
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}

// replicationStarted tells whether the node's replica of table has started replication. A
// replica killed and started again before ZooKeeper expired its old session finds its is_active
// node still there and retries its start only a minute later. Until then 18.16 has not loaded
// the replica's queue from ZooKeeper, yet SYSTEM SYNC REPLICA answers at once: it pulls the new
// log entries and waits for them alone, not for the parts the replica had queued before it was
// killed. Such a replica's queue has never been updated, which 18.16 shows as an
// absolute_delay of the whole Unix time.
func replicationStarted(ctx context.Context, n *ClusterNode, table string) error {
	got, err := clusterQuery(ctx, n, "SELECT count() FROM system.replicas WHERE concat(database, '.', table) = '"+table+
		"' AND is_readonly = 0 AND absolute_delay < toUInt32(now()) - 86400", nil)
	if err != nil {
		return err
	}
	if got != "1\n" {
		return fmt.Errorf("%s: replication of %s not started", n.Name, table)
	}
	return nil
}

// latestRows is one line per table replica: how many keys it holds and a checksum of each key
// with its newest value, so that two replicas holding the same rows print the same line.
const latestRows = "SELECT count(), sum(cityHash64(key, v)) FROM (SELECT key, argMax(v, version) AS v FROM %s GROUP BY key)"

func createKeyValueTables(t *testing.T, c *ClickHouseCluster, name string) {
	t.Helper()
	n := c.Nodes[0]
	mustClusterQuery(t, n, "CREATE DATABASE IF NOT EXISTS db ON CLUSTER "+ClusterName, nil)
	mustClusterQuery(t, n, "CREATE TABLE db."+name+"_local ON CLUSTER "+ClusterName+
		" (key String, v UInt64, version UInt64)"+
		" ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/"+name+"', '{replica}', version) ORDER BY key", nil)
	mustClusterQuery(t, n, "CREATE TABLE db."+name+" ON CLUSTER "+ClusterName+
		" (key String, v UInt64, version UInt64)"+
		" ENGINE = Distributed("+ClusterName+", db, "+name+"_local, cityHash64(key))", nil)
}

func TestShardedReplicatedTablesOnTheCluster(t *testing.T) {
	c := ClickHouseClusterForTest(t, 2, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	createKeyValueTables(t, c, "kv")
	first := c.Nodes[0]

	t.Run("DDL on cluster creates the local and the Distributed table on every node", func(t *testing.T) {
		for _, n := range c.Nodes {
			got := mustClusterQuery(t, n, "SELECT name, engine FROM system.tables WHERE database = 'db' AND name IN ('kv', 'kv_local') ORDER BY name", nil)
			if want := "kv\tDistributed\nkv_local\tReplicatedReplacingMergeTree\n"; got != want {
				t.Errorf("%s holds tables\n%s, want\n%s", n.Name, got, want)
			}
		}
	})

	t.Run("a Distributed insert puts each row on the shard its key picks and on both its replicas", func(t *testing.T) {
		mustClusterQuery(t, first, "INSERT INTO db.kv (key, v, version) SELECT concat('k-', toString(number)), number, 1 FROM system.numbers LIMIT 1000", syncInserts)
		syncReplicas(ctx, t, c, "db.kv_local")
		total := 0
		for _, n := range c.Nodes {
			var rows, misplaced int
			got := mustClusterQuery(t, n, fmt.Sprintf("SELECT count(), countIf(cityHash64(key) %% 2 != %d) FROM db.kv_local", n.Shard-1), nil)
			if _, err := fmt.Sscanf(got, "%d\t%d", &rows, &misplaced); err != nil {
				t.Fatalf("%s: %q: %v", n.Name, got, err)
			}
			if rows == 0 || misplaced != 0 {
				t.Errorf("%s holds %d rows, %d of them of the other shard's keys", n.Name, rows, misplaced)
			}
			if n.Replica == 1 {
				total += rows
			} else if first := mustClusterQuery(t, c.Node(n.Shard, 1), "SELECT count() FROM db.kv_local", nil); first != fmt.Sprintf("%d\n", rows) {
				t.Errorf("shard %d: replica 1 holds %s rows, replica %d %d", n.Shard, strings.TrimSpace(first), n.Replica, rows)
			}
		}
		if total != 1000 {
			t.Errorf("the shards hold %d rows together, want 1000", total)
		}
	})

	t.Run("a row written to its shard's local table is read through Distributed from any node", func(t *testing.T) {
		// 100 keys that cityHash64 gives to shard 2, written to its second replica.
		mustClusterQuery(t, c.Node(2, 2), "INSERT INTO db.kv_local (key, v, version) SELECT key, 7, 1 FROM (SELECT concat('direct-', toString(number)) AS key FROM system.numbers LIMIT 1000) WHERE cityHash64(key) % 2 = 1 LIMIT 100", nil)
		syncReplicas(ctx, t, c, "db.kv_local")
		for _, n := range c.Nodes {
			if got := mustClusterQuery(t, n, "SELECT count(), countIf(startsWith(key, 'direct-')) FROM db.kv", nil); got != "1100\t100\n" {
				t.Errorf("through Distributed on %s: %q rows (all, direct), want 1100 and 100", n.Name, got)
			}
		}
	})

	t.Run("a newer version of a key replaces the older one on every replica", func(t *testing.T) {
		mustClusterQuery(t, c.Node(2, 1), "INSERT INTO db.kv (key, v, version) SELECT concat('k-', toString(number)), number + 1, 2 FROM system.numbers LIMIT 1000", syncInserts)
		syncReplicas(ctx, t, c, "db.kv_local")
		for _, n := range c.Nodes {
			keys := mustClusterQuery(t, n, "SELECT uniqExact(key) FROM db.kv_local WHERE startsWith(key, 'k-')", nil)
			got := mustClusterQuery(t, n, "SELECT countIf(version = 1), countIf(version = 2) FROM db.kv_local FINAL WHERE startsWith(key, 'k-')", nil)
			if want := "0\t" + keys; keys == "0\n" || got != want {
				t.Errorf("%s: FINAL gives %q rows of version 1 and 2, want %q", n.Name, got, want)
			}
		}
		// Keys k-0..k-999 now hold v = number + 1, the 100 direct keys 7.
		if got := mustClusterQuery(t, first, "SELECT count(), sum(v) FROM (SELECT key, argMax(v, version) AS v FROM db.kv GROUP BY key)", nil); got != "1100\t501200\n" {
			t.Errorf("through Distributed the newest rows are %q (count, sum of v), want 1100 and 501200", got)
		}
	})
}

// chaosWriter inserts batches of distinct keys through a Distributed table, retrying each batch
// until it is acknowledged. A retried batch may already be partly written; the rows are
// idempotent, so that does not change what the table holds.
type chaosWriter struct {
	node           *ClusterNode
	batches, size  int
	mu             sync.Mutex
	done, failures int
	lastFailure    error
}

func (w *chaosWriter) run(ctx context.Context) error {
	for b := range w.batches {
		q := fmt.Sprintf("INSERT INTO db.chaos (key, v, version) SELECT concat('c-', toString(number)), number, 1 FROM system.numbers WHERE number >= %d LIMIT %d", b*w.size, w.size)
		for {
			_, err := clusterQuery(ctx, w.node, q, syncInserts)
			if err == nil {
				break
			}
			w.mu.Lock()
			w.failures, w.lastFailure = w.failures+1, err
			w.mu.Unlock()
			select {
			case <-ctx.Done():
				return fmt.Errorf("batch %d: %w (last failure: %v)", b, ctx.Err(), err)
			case <-time.After(200 * time.Millisecond):
			}
		}
		w.mu.Lock()
		w.done++
		w.mu.Unlock()
	}
	return nil
}

// waitBatches waits until at least n batches are acknowledged.
func (w *chaosWriter) waitBatches(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	for {
		w.mu.Lock()
		done, failures, last := w.done, w.failures, w.lastFailure
		w.mu.Unlock()
		if done >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d batches written, %d failures, the last: %v", done, n, failures, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestAClusterConvergesAfterReplicasAndZooKeeperAreKilledMidInsert(t *testing.T) {
	c := ClickHouseClusterForTest(t, 2, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	createKeyValueTables(t, c, "chaos")

	// The writer goes through a node that stays up; the second replica of each shard is killed.
	w := &chaosWriter{node: c.Node(1, 1), batches: 60, size: 500}
	writeErr := make(chan error, 1)
	go func() { writeErr <- w.run(ctx) }()
	victims := []*ClusterNode{c.Node(1, 2), c.Node(2, 2)}

	w.waitBatches(ctx, t, 10)
	for _, n := range victims {
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	w.waitBatches(ctx, t, 25)
	if err := c.KillZooKeeper(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := c.RestartZooKeeper(ctx); err != nil {
		t.Fatal(err)
	}
	w.waitBatches(ctx, t, 35)
	for _, n := range victims {
		if err := n.Restart(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d batches written, %d inserts failed and were retried; the last failure: %v", w.done, w.failures, w.lastFailure)
	if w.failures == 0 {
		t.Fatal("no insert failed while ZooKeeper was down: the kills did not reach the writer")
	}
	syncReplicas(ctx, t, c, "db.chaos_local")

	rows := w.batches * w.size
	want := fmt.Sprintf("%d\t%d\n", rows, rows*(rows-1)/2)
	for _, n := range c.Nodes {
		if got := mustClusterQuery(t, n, "SELECT count(), sum(v) FROM (SELECT key, argMax(v, version) AS v FROM db.chaos GROUP BY key)", nil); got != want {
			t.Errorf("through Distributed on %s: %q keys and sum of values, want %q", n.Name, got, want)
		}
	}
	for s := 1; s <= 2; s++ {
		r1 := mustClusterQuery(t, c.Node(s, 1), fmt.Sprintf(latestRows, "db.chaos_local"), nil)
		r2 := mustClusterQuery(t, c.Node(s, 2), fmt.Sprintf(latestRows, "db.chaos_local"), nil)
		if r1 != r2 || strings.HasPrefix(r1, "0\t") {
			t.Errorf("shard %d: replica 1 holds %q (keys, checksum), replica 2 %q", s, r1, r2)
		}
	}
}

func TestClosingAClusterStopsAndRemovesEveryServer(t *testing.T) {
	if !zooKeeperForTest(t) {
		return
	}
	c, err := StartClickHouseCluster(context.Background(), nil, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{c.ZooKeeper.Dir()}
	for _, n := range c.Nodes {
		dirs = append(dirs, n.Dir())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after Close: %v", d, err)
		}
	}
	if zooKeeperServing(context.Background(), c.ZooKeeper.Addr()) {
		t.Error("ZooKeeper still serves after Close")
	}
	for _, n := range c.Nodes {
		if _, err := http.Get("http://" + n.HTTPAddr() + "/ping"); err == nil {
			t.Errorf("%s still answers after Close", n.Name)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
