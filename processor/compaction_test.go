package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestApacheKafkaCompactsOldSnapshotsAwayAndARestoreReadsWhatRemains runs half a dataset through
// a member that snapshots often, on Apache Kafka with the state topic's settings as chatpulse
// creates them, except that a segment rolls every second instead of every hour and the cleaner
// looks every half second instead of every 15 s. The broker's log cleaner then removes the
// superseded snapshots: the first snapshot ever written is gone and the partition holds fewer
// records than were written. A new member restores from what compaction left, and the views after
// the rest of the data are exact.
func TestApacheKafkaCompactsOldSnapshotsAwayAndARestoreReadsWhatRemains(t *testing.T) {
	kafka := testenv.PromiseKafka(t, testenv.BrokerSetting("log.cleaner.backoff.ms", "500"))
	if kafka.Apache() == nil {
		t.Skipf("compaction needs Apache Kafka: kfake does not compact (%s=kfake)", testenv.BrokerEnv)
	}
	data := dataset(t, 1500)
	p := newPipeline(t, kafka, "raw", 2, "compaction")
	p.cfg.Partitions = 1
	p.cfg.SnapshotInterval = 50 * time.Millisecond
	p.cfg.SnapshotsKept = 2

	ctx := context.Background()
	if err := processor.EnsureTopics(ctx, p.cfg, p.log); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	state := p.cfg.StateTopic()
	resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: ptrTo("1000")}}, state)
	if err == nil {
		var resp kadm.AlterConfigsResponse
		if resp, err = resps.On(state, nil); err == nil {
			err = resp.Err
		}
	}
	if err != nil {
		t.Fatalf("roll the state topic's segments every second: %v", err)
	}

	half := len(data.Records) / 2
	first := p.start("first")
	for i := range 10 {
		p.produce(data.Records[i*half/10:(i+1)*half/10], "raw")
		p.waitCaughtUp()
		time.Sleep(300 * time.Millisecond) // a snapshot for each slice, in a segment of its own
	}

	var written int64
	var offsets []int64
	deadline := time.Now().Add(90 * time.Second)
	for {
		written = sumOffsets(t, adm, state, false)
		offsets = stateOffsets(t, p.brokers, state, written)
		if len(offsets) > 0 && offsets[0] > 0 && int64(len(offsets)) < written {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the broker did not compact the state topic within 90 s: %d records at offsets %v of %d written", len(offsets), offsets, written)
		}
		time.Sleep(time.Second)
	}
	t.Logf("after compaction the state partition holds %d of the %d snapshot records written, the first at offset %d", len(offsets), written, offsets[0])
	first.leave(t)

	second := p.start("second")
	p.produce(data.Records[half:], "raw")
	p.waitCaughtUp()
	if n := second.proc.Stats().SnapshotRestores.Load(); n != 1 {
		t.Errorf("%d partitions restored from a snapshot, want 1", n)
	}
	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
}

// stateOffsets reads partition 0 of topic from its start up to end and returns the offsets of
// the records it holds.
func stateOffsets(t *testing.T, brokers []string, topic string, end int64) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reader, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var offsets []int64
	for len(offsets) == 0 || offsets[len(offsets)-1]+1 < end {
		fs := reader.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("state partition 0 not read to its end %d", end)
		}
		fs.EachRecord(func(r *kgo.Record) { offsets = append(offsets, r.Offset) })
	}
	return offsets
}
