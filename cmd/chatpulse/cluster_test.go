package main

import (
	"context"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

const (
	clusterTopic    = "cluster.events"
	clusterGroup    = "clustered"
	clusterDatabase = "clustered"
)

// TestTwoWorkersOnAClusterYieldTheRowsOfOneServer sends the generator's engagement data through
// two worker processes into a ClickHouse cluster of 2 shards x 2 replicas, SIGKILLs and restarts
// one replica of each shard and then ZooKeeper while they write, and compares every contract view
// and documented metric, read through every server, with the generator's expected rows, which a
// one-server run gives (TestChaosYieldsTheRowsOfACleanRun).
func TestTwoWorkersOnAClusterYieldTheRowsOfOneServer(t *testing.T) {
	cluster := testenv.ClickHouseClusterForTest(t, 2, 2)
	started := time.Now()
	logf := func(format string, args ...any) {
		t.Helper()
		t.Logf("+%5.1fs "+format, append([]any{time.Since(started).Seconds()}, args...)...)
	}
	dir := t.TempDir()
	bin := buildChatpulse(t, dir)
	ctx := context.Background()

	data, recs := engagementInput(t, 4, 40, 6, 2000)

	broker, err := testenv.StartKafkaProcess(ctx, bin, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := broker.Close(); err != nil {
			t.Error(err)
		}
	})
	brokers := broker.Brokers()
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: brokers}, clusterTopic, 12); err != nil {
		t.Fatal(err)
	}
	produce := func(recs []processor.RawRecord) {
		t.Helper()
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := processor.Produce(pctx, processor.Dial{Brokers: brokers}, clusterTopic, recs); err != nil {
			t.Fatal(err)
		}
		logf("produced %d records", len(recs))
	}

	env := workerEnv(map[string]string{
		"CHATPULSE_KAFKA_BROKERS":         strings.Join(brokers, ","),
		"CHATPULSE_INPUT_TOPICS":          clusterTopic + "=auto",
		"CHATPULSE_GROUP":                 clusterGroup,
		"CHATPULSE_CLICKHOUSE_ADDR":       cluster.Node(1, 1).Addr(),
		"CHATPULSE_CLICKHOUSE_DATABASE":   clusterDatabase,
		"CHATPULSE_CLICKHOUSE_CLUSTER":    testenv.ClusterName,
		"CHATPULSE_KAFKA_SESSION_TIMEOUT": "6s", // kfake's minimum
		"CHATPULSE_COMMIT_INTERVAL":       "200ms",
		"CHATPULSE_FLUSH_INTERVAL":        "200ms",
		"CHATPULSE_HTTP_ADDR":             "",
		"CHATPULSE_LOG_LEVEL":             "info",
	})
	// The schema first, once, as a deployment runs `chatpulse migrate`.
	migrate := exec.Command(bin, "migrate")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("chatpulse migrate: %v\n%s", err, out)
	}
	logf("migrated")

	chunks := chunkRecords(recs, 0.4, 3)
	produce(chunks[0])
	f := &fleet{t: t, bin: bin, dir: dir, env: env}
	t.Cleanup(f.killAll)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", f.logs())
		}
	})
	for range 2 {
		logf("started worker %s", f.add().name)
	}

	// One replica of each shard dies while rows arrive: shard 1's beside the server the workers
	// talk to, shard 2's first replica.
	lost := []*testenv.ClusterNode{cluster.Node(1, 2), cluster.Node(2, 1)}
	for _, n := range lost {
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
		logf("killed %s", n.Name)
	}
	produce(chunks[1])
	time.Sleep(3 * time.Second)
	for _, n := range lost {
		if err := n.RestartRestoringParts(ctx); err != nil {
			t.Fatal(err)
		}
		logf("restarted %s", n.Name)
	}
	f.checkAlive()

	// Without ZooKeeper the replicated tables are read-only; the workers hold and retry.
	if err := cluster.KillZooKeeper(); err != nil {
		t.Fatal(err)
	}
	logf("killed ZooKeeper")
	produce(chunks[2])
	time.Sleep(5 * time.Second)
	if err := cluster.RestartZooKeeper(ctx); err != nil {
		t.Fatal(err)
	}
	logf("restarted ZooKeeper")
	f.checkAlive()
	produce(chunks[3])

	pcfg := processor.DefaultConfig()
	pcfg.Brokers = brokers
	pcfg.InputTopics = processor.TopicFormats{clusterTopic: decode.FormatAuto}
	pcfg.Group = clusterGroup
	waitNoLag(t, f, pcfg, 3*time.Minute)
	logf("the group has committed every record")
	for len(f.running) > 0 {
		w := f.remove(0)
		if err := w.stop(chaosStopTimeout); err != nil {
			t.Error(err)
		}
	}

	clients := make([]*sink.Client, len(cluster.Nodes))
	for i, n := range cluster.Nodes {
		scfg := sink.DefaultConfig()
		scfg.Addr, scfg.Database, scfg.Cluster = n.Addr(), clusterDatabase, testenv.ClusterName
		client, err := sink.Open(ctx, scfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		clients[i] = client
	}
	// A read picks any replica of a shard: every replica first catches up with its shard's log.
	for i, client := range clients {
		if err := client.SyncReplicas(ctx); err != nil {
			t.Fatalf("%s: %v", cluster.Nodes[i].Name, err)
		}
	}
	for i, client := range clients {
		t.Run("through "+cluster.Nodes[i].Name+" every contract view and metric is the one-server answer", func(t *testing.T) {
			compareWithExpected(t, client, data.Expected)
		})
	}
	t.Run("both replicas of each shard hold the same distinct rows", func(t *testing.T) {
		// message_state's AggregateFunction columns are compared through message_facts_local.
		objects := []string{"messages_local", "receipts_local", "replies_local", "reactions_local", "sessions_local",
			"session_days_local", "membership_events_local", "handover_events_local", "schema_migrations", "message_facts_local",
			"receipt_days_local", "membership_days_local", "conversation_days_local"}
		for shard := 1; shard <= 2; shard++ {
			first, second := clients[(shard-1)*2], clients[(shard-1)*2+1]
			for _, object := range objects {
				a, err := first.Snapshot(ctx, object)
				if err != nil {
					t.Fatal(err)
				}
				b, err := second.Snapshot(ctx, object)
				if err != nil {
					t.Fatal(err)
				}
				// A merge collapses exact replays; one replica may have run it and the other not yet.
				a, b = slices.Compact(a), slices.Compact(b)
				if len(a) == 0 {
					t.Errorf("shard %d: %s is empty", shard, object)
				}
				if !slices.Equal(a, b) {
					t.Errorf("shard %d: %s differs between replicas:\n%s", shard, object, rowDiff(a, b))
				}
			}
		}
	})
}
