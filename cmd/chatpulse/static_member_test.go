package main

import (
	"context"
	"slices"
	"testing"
	"time"

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
	g := newGroupRun(t, bin, brokers, ch, topic, group, database, map[string]string{
		"CHATPULSE_KAFKA_INSTANCE_ID":     "static-worker-1",
		"CHATPULSE_KAFKA_SESSION_TIMEOUT": staticSessionTimeout.String(),
	})
	f, pcfg := g.f, g.pcfg
	// owned waits until one member other than those in before owns every partition.
	owned := func(before []string, timeout time.Duration) []string {
		t.Helper()
		return g.waitGroup(t, false, timeout, "one new member owning every partition", func(s testenv.GroupState) bool {
			return s.Stable && len(s.Members) == 1 && !slices.Contains(before, s.Members[0]) && s.Assigned == 2*chaosPartitions
		}).Members
	}

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
