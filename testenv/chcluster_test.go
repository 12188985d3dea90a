package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

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
	resp, err := http.DefaultClient.Do(req)
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
}
