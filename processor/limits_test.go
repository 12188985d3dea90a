package processor_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// kfake, like Apache Kafka, refuses a produced batch larger than the topic's max.message.bytes
// (1 MiB by default) with MESSAGE_TOO_LARGE, so these tests run against the real limit.

// TestTwoLargeDeadLettersInOneFetchAreBothWritten routes two undecodable records of 900 KiB,
// fetched together, to the dead-letter topic, whose records may take 1 MiB: each must go in a
// batch of its own instead of one batch the broker refuses for ever.
func TestTwoLargeDeadLettersInOneFetchAreBothWritten(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "big", 1, "big")
	p.cfg.Partitions = 1
	garbage := bytes.Repeat([]byte("x"), 900<<10)
	produceTo(t, p.brokers, "big", 0, []gen.Record{{Value: garbage}, {Value: garbage}})
	p.start("solo")
	deadline := time.Now().Add(time.Minute)
	for countRecords(t, p.brokers, p.cfg.DLQTopic) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two dead letters were not written within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.waitCaughtUp()
}

// TestRoutedEventsOfOneFetchAreWrittenInBatchesTheBrokerAccepts routes one fetch of 8,000
// messages, several MiB of bundles for the one repartition partition.
func TestRoutedEventsOfOneFetchAreWrittenInBatchesTheBrokerAccepts(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "many", 1, "many")
	p.cfg.Partitions = 1
	const n = 8000
	recs := make([]gen.Record, n)
	for i := range recs {
		recs[i] = cfMessage(strings.Repeat("m", 200)+strconv.Itoa(i), "u"+strconv.Itoa(i%50), i%1000)
	}
	produceTo(t, p.brokers, "many", 0, recs)
	m := p.start("solo")
	deadline := time.Now().Add(time.Minute)
	for m.proc.Stats().Messages.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages applied within a minute", m.proc.Stats().Messages.Load(), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestATopicThatAcceptsTooLittleStopsTheMemberNamingIt starts a member whose dead-letter topic
// takes records of at most 200 KiB: a dead letter could fail for ever, so it refuses to start.
func TestATopicThatAcceptsTooLittleStopsTheMemberNamingIt(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	cfg := processor.DefaultConfig()
	cfg.Brokers = kafka.Brokers()
	cfg.InputTopics = processor.TopicFormats{"raw": decode.FormatAuto}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	small := "204800"
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), cfg.Partitions, 1, map[string]*string{"max.message.bytes": &small}, cfg.DLQTopic); err != nil {
		t.Fatal(err)
	}
	proc, err := processor.New(cfg, partition.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = proc.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), cfg.DLQTopic) || !strings.Contains(err.Error(), "max.message.bytes 204800") {
		t.Fatalf("Run returned %v, want an error naming %s and its max.message.bytes", err, cfg.DLQTopic)
	}
}

// countRecords is the number of records in topic, from its partitions' offsets.
func countRecords(t *testing.T, brokers []string, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return 0
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		if s, ok := starts.Lookup(o.Topic, o.Partition); ok && o.Err == nil {
			n += o.Offset - s.Offset
		}
	})
	return n
}

// TestProduceKeepsBatchesWithinTheTopicsLimit writes 4 MiB of records bound for one partition
// in one call: the batches must stay within the topic's 1 MiB max.message.bytes.
func TestProduceKeepsBatchesWithinTheTopicsLimit(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	dial := processor.DefaultConfig().Dial
	dial.Brokers = kafka.Brokers()
	ctx := context.Background()
	if err := processor.CreateTopic(ctx, dial, "in", 1); err != nil {
		t.Fatal(err)
	}
	// Random bytes, which compression cannot shrink below the limit.
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]processor.RawRecord, 40)
	for i := range recs {
		v := make([]byte, 100<<10)
		for j := range v {
			v[j] = byte(r.Uint32())
		}
		recs[i] = processor.RawRecord{Key: []byte("k"), Value: v}
	}
	if err := processor.Produce(ctx, dial, "in", recs); err != nil {
		t.Fatal(err)
	}
	if n := countRecords(t, dial.Brokers, "in"); n != int64(len(recs)) {
		t.Fatalf("%d records in the topic, want %d", n, len(recs))
	}
}
