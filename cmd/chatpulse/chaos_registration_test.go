package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestAWorkerWaitsForBrokersStillRegistering starts a worker against a three-node cluster of
// which one node is not up yet: its topics need three replicas, so the brokers answer
// INVALID_REPLICATION_FACTOR. The worker must wait and retry, not exit, and consume once the
// third node has registered.
func TestAWorkerWaitsForBrokersStillRegistering(t *testing.T) {
	if kind, _ := testenv.PromiseBroker(); kind != testenv.BrokerApache {
		t.Skip("broker registration is Apache Kafka's; this run uses kfake")
	}
	cluster := testenv.ApacheKafkaForTest(t, testenv.Nodes(3), testenv.Started(2))
	ch := testenv.ClickHouseForTest(t)
	dir := t.TempDir()
	bin := buildChatpulse(t, dir)
	w, err := startWorkerProc(bin, "early", dir, workerEnv(map[string]string{
		"CHATPULSE_KAFKA_BROKERS":       strings.Join(cluster.Brokers()[:2], ","),
		"CHATPULSE_INPUT_TOPICS":        "registering=auto",
		"CHATPULSE_GROUP":               "registering",
		"CHATPULSE_CLICKHOUSE_ADDR":     ch.Addr(),
		"CHATPULSE_CLICKHOUSE_DATABASE": "registering",
		"CHATPULSE_HTTP_ADDR":           "",
		"CHATPULSE_LOG_LEVEL":           "info",
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.kill() })
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(w.logPath)
		if strings.Contains(string(b), "INVALID_REPLICATION_FACTOR") {
			if !strings.Contains(string(b), "(CHATPULSE_REPLICATION_FACTOR -1, the brokers' default.replication.factor,) exceeds the brokers registered so far") {
				t.Fatalf("the worker's retry warning does not name the variable to check:\n%s", b)
			}
			break
		}
		if w.hasExited() {
			t.Fatalf("the worker exited while the brokers registered: %v\n%s", w.waitErr, b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never met INVALID_REPLICATION_FACTOR:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := cluster.Start(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if err := w.waitReady(2 * time.Minute); err != nil {
		b, _ := os.ReadFile(w.logPath)
		t.Fatalf("%v\n%s", err, b)
	}
	if err := w.stop(chaosStopTimeout); err != nil {
		t.Error(err)
	}
}
