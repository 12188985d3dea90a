package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestBothGroupProtocolsCarryThePipelineOnApacheKafka runs three workers with each consumer
// group protocol (CHATPULSE_KAFKA_GROUP_PROTOCOL) on Apache Kafka, through a member joining, one
// leaving with SIGTERM and one killed with SIGKILL, and checks the views against the generator.
// It prints how long each change took until every partition was owned by exactly the running
// workers (BENCHMARKS.md).
func TestBothGroupProtocolsCarryThePipelineOnApacheKafka(t *testing.T) {
	if kind, _ := testenv.PromiseBroker(); kind != testenv.BrokerApache {
		t.Skip("KIP-848 is tested on Apache Kafka; this run uses kfake")
	}
	dir := t.TempDir()
	bin := buildChatpulse(t, dir)
	data, recs := engagementInput(t, 3, 30, 5, 800)
	ch := testenv.ClickHouseForTest(t)
	for _, protocol := range []string{processor.GroupClassic, processor.GroupConsumer} {
		t.Run(protocol, func(t *testing.T) {
			kafka := testenv.ApacheKafkaForTest(t)
			brokers := kafka.Brokers()
			ctx := context.Background()
			topic, group, database := "proto."+protocol, "proto-"+protocol, "proto_"+protocol
			g := newGroupRun(t, bin, brokers, ch, topic, group, database, map[string]string{
				"CHATPULSE_KAFKA_GROUP_PROTOCOL":  protocol,
				"CHATPULSE_KAFKA_SESSION_TIMEOUT": "6s", // the brokers' group.consumer.session.timeout.ms too
				"CHATPULSE_HANDOFF_TIMEOUT":       "2s",
			})
			if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, topic, recs); err != nil {
				t.Fatal(err)
			}
			f := g.f
			// owned waits until members workers own every partition and says how long that took
			// since start.
			owned := func(members int, start time.Time) time.Duration {
				t.Helper()
				g.waitGroup(t, protocol == processor.GroupConsumer, 2*time.Minute, fmt.Sprintf("%d members owning every partition", members),
					func(s testenv.GroupState) bool {
						return s.Stable && len(s.Members) == members && s.Assigned == 2*chaosPartitions
					})
				return time.Since(start)
			}
			start := time.Now()
			for range 3 {
				f.add()
			}
			first := owned(3, start)
			start = time.Now()
			f.add()
			join := owned(4, start)
			start = time.Now()
			w := f.remove(0)
			if err := w.stop(chaosStopTimeout); err != nil {
				t.Fatal(err)
			}
			leave := owned(3, start)
			w = f.remove(0)
			start = time.Now()
			if err := w.kill(); err != nil {
				t.Fatal(err)
			}
			crash := owned(2, start)
			waitNoLag(t, f, g.pcfg, 2*time.Minute)
			// Only an idempotent (or transactional) producer leaves producer state on the leaders.
			if n, err := g.admin.Producers(ctx, g.pcfg.RepartitionTopic()); err != nil || n == 0 {
				t.Errorf("the repartition topic's leaders know %d producer ids (%v): the producer is not idempotent", n, err)
			}
			for len(f.running) > 0 {
				if err := f.remove(0).stop(chaosStopTimeout); err != nil {
					t.Error(err)
				}
			}
			compareDatabase(t, ch.Addr(), database, data.Expected)
			figures := fmt.Sprintf("group protocol %s on Apache Kafka %s: every partition owned by the running workers %s after 3 workers were started, "+
				"%s after a 4th was started, %s after a SIGTERM, %s after a SIGKILL (session timeout 6 s)",
				protocol, kafka.Version(), first.Round(100*time.Millisecond), join.Round(100*time.Millisecond),
				leave.Round(100*time.Millisecond), crash.Round(100*time.Millisecond))
			t.Log(figures)
			if !t.Failed() {
				if err := testenv.Report("group-protocols", figures); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
