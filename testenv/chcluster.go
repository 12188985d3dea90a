package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A DDL worker waits for ZooKeeper, which a test may restart at the same time.
const clusterDDLReadyTimeout = 90 * time.Second

// ClusterName is the cluster's name in every node's remote_servers, as ON CLUSTER and
// Distributed name it.
const ClusterName = "chatpulse"

// ClickHouseCluster is a ZooKeeper server and shards x replicas ClickHouse servers on one
// machine, each a child process with its own ports and data directory. Every node's
// configuration names the cluster (internal_replication on, so a Distributed insert writes one
// replica and replication copies it), the ZooKeeper server, distributed DDL and its own {shard}
// and {replica} macros.
type ClickHouseCluster struct {
	ZooKeeper *ZooKeeper
	// Nodes are in shard order, then replica order: Nodes[(shard-1)*replicas+replica-1].
	Nodes []*ClusterNode
}

// ClusterNode is one ClickHouse server of a cluster; its Kill and Restart keep its ports and
// data directory.
type ClusterNode struct {
	*ClickHouse
	// Shard and Replica count from 1; Shard is shard_num in system.clusters.
	Shard, Replica int
	// Name is the node's {replica} macro, unique in the cluster: "s1r2" is shard 1, replica 2.
	Name string
	// interserverPort serves replica-to-replica part fetches.
	interserverPort int
}

// StartClickHouseCluster starts ZooKeeper and shards x replicas ClickHouse servers and waits
// until all of them answer.
func StartClickHouseCluster(ctx context.Context, log *slog.Logger, shards, replicas int) (*ClickHouseCluster, error) {
	if shards < 1 || replicas < 1 {
		return nil, fmt.Errorf("clickhouse cluster: %d shards x %d replicas", shards, replicas)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bin, err := clickHouseBinary()
	if err != nil {
		return nil, err
	}
	zk, err := StartZooKeeper(ctx, log.With("server", "zookeeper"))
	if err != nil {
		return nil, err
	}
	c := &ClickHouseCluster{ZooKeeper: zk}
	err = retryBusyPorts(func() error {
		err := c.setUpNodes(log, bin, shards, replicas)
		if err == nil {
			err = c.startNodes(ctx)
		}
		if err != nil {
			return errors.Join(err, c.closeNodes())
		}
		return nil
	})
	if err != nil {
		return nil, errors.Join(err, c.ZooKeeper.Close())
	}
	return c, nil
}

// ClickHouseClusterForTest starts a cluster for one test and closes it when the test ends. A
// cluster that cannot start fails the test, except that without the zookeeper package it skips
// the test outside CI (CI=true fails it).
func ClickHouseClusterForTest(t T, shards, replicas int) *ClickHouseCluster {
	t.Helper()
	if !zooKeeperForTest(t) {
		return nil
	}
	c, err := StartClickHouseCluster(context.Background(), nil, shards, replicas)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s", c.logTails())
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// logTails is the end of every server's log, for a failed test.
func (c *ClickHouseCluster) logTails() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zookeeper log tail:\n%s\n", fileTail(c.ZooKeeper.logPath(), zooKeeperLogTail))
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "clickhouse %s log tail:\n%s\n", n.Name, n.logTail())
	}
	return b.String()
}

// Node is the node of shard, replica (both from 1).
func (c *ClickHouseCluster) Node(shard, replica int) *ClusterNode {
	for _, n := range c.Nodes {
		if n.Shard == shard && n.Replica == replica {
			return n
		}
	}
	return nil
}

// KillZooKeeper ends ZooKeeper with SIGKILL; replicated tables turn read-only until it is back.
func (c *ClickHouseCluster) KillZooKeeper() error { return c.ZooKeeper.Kill() }

// RestartZooKeeper starts ZooKeeper again on the same port with the same data.
func (c *ClickHouseCluster) RestartZooKeeper(ctx context.Context) error {
	return c.ZooKeeper.Restart(ctx)
}

// Close stops every server and removes their directories. Closing twice is a no-op.
func (c *ClickHouseCluster) Close() error {
	err := c.closeNodes()
	// ZooKeeper last: a server that loses it while it stops waits for it.
	return errors.Join(err, c.ZooKeeper.Close())
}

// closeNodes stops and removes every ClickHouse node, leaving none in the cluster.
func (c *ClickHouseCluster) closeNodes() error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Go(func() { errs[i] = n.Close() })
	}
	wg.Wait()
	c.Nodes = nil
	return errors.Join(errs...)
}

// setUpNodes gives every node its ports, directories and configuration before any starts,
// since each node's remote_servers names every other node's port.
func (c *ClickHouseCluster) setUpNodes(log *slog.Logger, bin string, shards, replicas int) error {
	for s := 1; s <= shards; s++ {
		for r := 1; r <= replicas; r++ {
			name := fmt.Sprintf("s%dr%d", s, r)
			dir, err := os.MkdirTemp("", "chatpulse-clickhouse-"+name+"-")
			if err != nil {
				return fmt.Errorf("clickhouse temp dir: %w", err)
			}
			n := &ClusterNode{ClickHouse: newClickHouse(log.With("server", name), bin, dir), Shard: s, Replica: r, Name: name}
			c.Nodes = append(c.Nodes, n)
			if err := n.setUp(); err != nil {
				return err
			}
			ports, err := freePorts(1)
			if err != nil {
				return err
			}
			n.interserverPort = ports[0]
		}
	}
	remote := c.remoteServers()
	for _, n := range c.Nodes {
		if err := os.MkdirAll(filepath.Join(n.dir, "config.d"), 0o755); err != nil {
			return fmt.Errorf("clickhouse config.d: %w", err)
		}
		cfg := fmt.Sprintf(clusterNodeConfig, remote, c.ZooKeeper.Port(), n.interserverPort, n.Shard, n.Name, ClusterName)
		if err := os.WriteFile(filepath.Join(n.dir, "config.d", "cluster.xml"), []byte(cfg), 0o644); err != nil {
			return fmt.Errorf("write clickhouse cluster config: %w", err)
		}
		if err := os.MkdirAll(filepath.Join(n.dir, "users.d"), 0o755); err != nil {
			return fmt.Errorf("clickhouse users.d: %w", err)
		}
		if err := os.WriteFile(filepath.Join(n.dir, "users.d", "cluster.xml"), []byte(clusterProfile), 0o644); err != nil {
			return fmt.Errorf("write clickhouse cluster profile: %w", err)
		}
	}
	return nil
}

func (c *ClickHouseCluster) startNodes(ctx context.Context) error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Go(func() {
			err := n.start(ctx)
			if err == nil {
				err = n.waitDDLWorker(ctx, 0)
			}
			if err != nil {
				errs[i] = fmt.Errorf("clickhouse %s: %w", n.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Restart stops the node if it runs and starts it again on the same ports with the same data,
// then waits until it can take distributed DDL, which needs ZooKeeper up.
func (n *ClusterNode) Restart(ctx context.Context) error {
	var from int64
	if fi, err := os.Stat(n.logPath()); err == nil {
		from = fi.Size()
	}
	if err := n.ClickHouse.Restart(ctx); err != nil {
		return fmt.Errorf("clickhouse %s: %w", n.Name, err)
	}
	if err := n.waitDDLWorker(ctx, from); err != nil {
		return fmt.Errorf("clickhouse %s: %w", n.Name, err)
	}
	return nil
}

// RestartRestoringParts starts the node again after its operator's repair for a killed 18.16
// replica: the force_restore_data flag. A replica killed between writing a part (its own
// insert's or one it fetched from a peer) and recording it in ZooKeeper finds the part
// unexpected on start; when such parts hold more than half of a table's rows, as in a small
// table, 18.16 refuses to load the table and the server exits. With the flag it sets the
// unexpected parts aside (detached) and fetches what ZooKeeper lists from the other replicas.
func (n *ClusterNode) RestartRestoringParts(ctx context.Context) error {
	flags := filepath.Join(n.dir, "data", "flags")
	if err := os.MkdirAll(flags, 0o755); err != nil {
		return fmt.Errorf("clickhouse %s flags: %w", n.Name, err)
	}
	if err := os.WriteFile(filepath.Join(flags, "force_restore_data"), nil, 0o644); err != nil {
		return fmt.Errorf("clickhouse %s flags: %w", n.Name, err)
	}
	return n.Restart(ctx)
}

// ddlWorkerReady is what 18.16's distributed DDL worker logs once it holds its ZooKeeper
// session. An ON CLUSTER query that reaches the server before that crashes it (the query
// thread uses the worker's session while it is still null), so a node is started only after
// this line.
const ddlWorkerReady = "<Debug> DDLWorker: Processing tasks"

// waitDDLWorker waits until the server's log holds ddlWorkerReady after byte offset from.
func (n *ClusterNode) waitDDLWorker(ctx context.Context, from int64) error {
	ctx, cancel := context.WithTimeout(ctx, clusterDDLReadyTimeout)
	defer cancel()
	exited := n.exited()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if logHoldsAfter(n.logPath(), from, ddlWorkerReady) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before its DDL worker started\nserver log tail:\n%s", n.logTail())
		case <-ctx.Done():
			return fmt.Errorf("its DDL worker did not start (is ZooKeeper up?): %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// logHoldsAfter tells whether the file holds line after byte offset from.
func logHoldsAfter(path string, from int64, line string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return false
	}
	b, err := io.ReadAll(f)
	return err == nil && strings.Contains(string(b), line)
}

// remoteServers is the remote_servers section every node shares.
func (c *ClickHouseCluster) remoteServers() string {
	var b strings.Builder
	fmt.Fprintf(&b, "    <remote_servers>\n        <%s>\n", ClusterName)
	for i, n := range c.Nodes {
		if n.Replica == 1 {
			b.WriteString("            <shard>\n                <internal_replication>true</internal_replication>\n")
		}
		fmt.Fprintf(&b, "                <replica><host>127.0.0.1</host><port>%d</port></replica>\n", n.tcpPort)
		if i == len(c.Nodes)-1 || c.Nodes[i+1].Replica == 1 {
			b.WriteString("            </shard>\n")
		}
	}
	fmt.Fprintf(&b, "        </%s>\n    </remote_servers>\n", ClusterName)
	return b.String()
}

// clusterProfile is users.d/cluster.xml: distributed_product_mode = global, as
// deploy/clickhouse-cluster/profile.xml gives the default profile. The documented analyst
// queries filter one Distributed table by a subquery over another, which it allows, with the
// one-server answer. insert_distributed_sync stays at its default 0 here, unlike the deployed
// profile, so that the tests show the sink sets it itself.
const clusterProfile = `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <distributed_product_mode>global</distributed_product_mode>
        </default>
    </profiles>
</yandex>
`

// clusterNodeConfig is config.d/cluster.xml, which the server merges into config.xml. Debug
// logging shows when the DDL worker is ready (ddlWorkerReady). The interserver host is loopback so that a replica fetches parts from the address its peer
// listens on, not from the machine's host name.
const clusterNodeConfig = `<?xml version="1.0"?>
<yandex>
    <logger>
        <level>debug</level>
    </logger>
%s    <zookeeper>
        <node><host>127.0.0.1</host><port>%d</port></node>
        <session_timeout_ms>10000</session_timeout_ms>
    </zookeeper>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>%d</interserver_http_port>
    <macros>
        <shard>%d</shard>
        <replica>%s</replica>
        <cluster>%s</cluster>
    </macros>
</yandex>
`
