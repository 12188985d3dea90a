package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// staticSessionTimeout is long enough that a member who waited for the killed one's session to
// expire could not pass for one that took the partitions back at once.
const staticSessionTimeout = 90 * time.Second

// TestAStaticMemberKilledAndRestartedTakesItsPartitionsBackAtOnce runs one worker with
// CHATPULSE_KAFKA_INSTANCE_ID on Apache Kafka, kills it with SIGKILL halfway through the input
// and restarts it with the same id: it owns every partition again long before its 90 s session
// timeout could have expired, which a dynamic member has to wait for. The views then equal the
// generator's.
func TestAStaticMemberKilledAndRestartedTakesItsPartitionsBackAtOnce(t *testing.T) {
	if kind, _ := testenv.PromiseBroker(); kind != testenv.BrokerApache {
		t.Skip("static membership is tested on Apache Kafka; this run uses kfake")
	}
	dir := t.TempDir()
	bin := buildChatpulse(t, dir)
	data, recs := engagementInput(t, 3, 30, 5, 800)
	ch := testenv.ClickHouseForTest(t)
	kafka := testenv.ApacheKafkaForTest(t)
	brokers := kafka.Brokers()
	ctx := context.Background()
	const topic, group, database = "static", "static", "static_member"
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: brokers}, topic, chaosPartitions); err != nil {
		t.Fatal(err)
	}
	admin, err := testenv.NewAdmin(brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	f := &fleet{t: t, bin: bin, dir: t.TempDir(), env: workerEnv(map[string]string{
		"CHATPULSE_KAFKA_BROKERS":         strings.Join(brokers, ","),
		"CHATPULSE_KAFKA_INSTANCE_ID":     "static-worker-1",
		"CHATPULSE_KAFKA_SESSION_TIMEOUT": staticSessionTimeout.String(),
		"CHATPULSE_INPUT_TOPICS":          topic + "=auto",
		"CHATPULSE_GROUP":                 group,
		"CHATPULSE_CLICKHOUSE_ADDR":       ch.Addr(),
		"CHATPULSE_CLICKHOUSE_DATABASE":   database,
		"CHATPULSE_COMMIT_INTERVAL":       "200ms",
		"CHATPULSE_FLUSH_INTERVAL":        "200ms",
		"CHATPULSE_HTTP_ADDR":             "",
		"CHATPULSE_LOG_LEVEL":             "info",
	})}
	t.Cleanup(f.killAll)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", f.logs())
		}
	})
	// owned waits until one member other than those in before owns every partition.
	owned := func(before []string, timeout time.Duration) []string {
		t.Helper()
		var last testenv.GroupState
		var lastErr error
		for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			last, lastErr = admin.Group(ctx, group, false)
			cancel()
			if lastErr == nil && last.Stable && len(last.Members) == 1 && !slices.Contains(before, last.Members[0]) &&
				last.Assigned == 2*chaosPartitions {
				return last.Members
			}
		}
		t.Fatalf("no new member owned every partition within %s: last %+v, %v", timeout, last, lastErr)
		return nil
	}
	pcfg := processor.DefaultConfig()
	pcfg.Brokers = brokers
	pcfg.InputTopics = processor.TopicFormats{topic: decode.FormatAuto}
	pcfg.Group = group

	half := len(recs) / 2
	if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, topic, recs[:half]); err != nil {
		t.Fatal(err)
	}
	f.add()
	first := owned(nil, time.Minute)
	waitNoLag(t, f, pcfg, 2*time.Minute)
	if err := f.remove(0).kill(); err != nil {
		t.Fatal(err)
	}
	if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, topic, recs[half:]); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	f.add()
	// Half the session timeout: a member that waited for the old one's session would be late.
	owned(first, staticSessionTimeout/2)
	took := time.Since(restarted)
	waitNoLag(t, f, pcfg, 2*time.Minute)
	t.Logf("the restarted static member owned every partition %s after its start (session timeout %s)",
		took.Round(100*time.Millisecond), staticSessionTimeout)
	if err := f.remove(0).stop(chaosStopTimeout); err != nil {
		t.Error(err)
	}
	compareDatabase(t, ch.Addr(), database, data.Expected)
}
