package processor_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// longRunEnv sets how long the long run produces input; `make test` runs it for 45 s: a broker
// deletes segments in its first retention pass 30 s after it starts, and then every second here.
const longRunEnv = "CHATPULSE_TEST_LONGRUN"

// Each batch of the long run is longRunBatchMinutes of event time: longRunBatchSize messages to
// raw partitions 0 to 2 in turn, while partition 3 receives nothing. Users come in sets that send
// for longRunSetBatches batches and then go quiet, so their sessions can close.
const (
	longRunPartitions   = 4
	longRunBatchSize    = 30
	longRunBatchMinutes = 5
	longRunSetBatches   = 6
	longRunSetUsers     = 10
	longRunEvery        = 200 * time.Millisecond
)

// longRunSample is what the log and the views held at one moment of the long run.
type longRunSample struct {
	at                  time.Duration
	input               int64 // records in the input topic
	repStart, repEnd    int64 // the repartition log's start and end, summed over its partitions
	repBytes, inBytes   int64 // on-disk sizes, -1 where the broker does not say (kfake)
	closed, allSessions int
}

func (s longRunSample) String() string {
	size := func(b int64) string {
		if b < 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f KiB", float64(b)/1024)
	}
	return fmt.Sprintf("%5.1fs input %6d records (%s); repartition log start %6d end %6d, %6d kept (%s); sessions %d, closed %d",
		s.at.Seconds(), s.input, size(s.inBytes), s.repStart, s.repEnd, s.repEnd-s.repStart, size(s.repBytes), s.allSessions, s.closed)
}

// TestALongRunKeepsTheRepartitionLogBoundedAndClosesSessionsWhileAnInputIsIdle produces input
// for CHATPULSE_TEST_LONGRUN (45 s by default) into three of four raw partitions, the fourth
// idle throughout. The worker snapshots and purges; segments roll every second on the test
// broker, standing in for the ten minutes chatpulse gives the repartition topic. The repartition
// log's start follows its end, so what it keeps stays a fraction of what was written, and on
// Apache Kafka its size on disk stays below the input's. Without idleness the silent partition
// would hold the watermark and no session would ever close; with it, every user who went quiet
// long enough has closed sessions.
func TestALongRunKeepsTheRepartitionLogBoundedAndClosesSessionsWhileAnInputIsIdle(t *testing.T) {
	run := 45 * time.Second
	if v := os.Getenv(longRunEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("%s: want a duration of at least 10s, got %q", longRunEnv, v)
		}
		run = d
	}
	kafka := testenv.PromiseKafka(t,
		testenv.BrokerSetting("log.retention.check.interval.ms", "1000"),
		testenv.BrokerSetting("log.segment.delete.delay.ms", "0"))
	p := newPipeline(t, kafka, "longrun", longRunPartitions, "longrun")
	p.cfg.Partitions = 2
	p.cfg.SnapshotInterval = 500 * time.Millisecond
	p.cfg.PurgeInterval = time.Second
	p.cfg.SnapshotsKept = 2
	p.cfg.IdleTimeout = 2 * time.Second

	ctx := context.Background()
	if err := processor.EnsureTopics(ctx, p.cfg, p.log); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if kafka.Apache() != nil {
		alter := []kadm.AlterConfig{{Name: "segment.ms", Value: ptrTo("1000")}}
		resps, err := adm.AlterTopicConfigs(ctx, alter, p.cfg.RepartitionTopic())
		if err == nil {
			var resp kadm.AlterConfigsResponse
			if resp, err = resps.On(p.cfg.RepartitionTopic(), nil); err == nil {
				err = resp.Err
			}
		}
		if err != nil {
			t.Fatalf("roll the repartition log's segments every second: %v", err)
		}
	}

	worker := p.start("worker")
	started := time.Now()
	var samples []longRunSample
	sample := func() longRunSample {
		t.Helper()
		s := longRunSample{at: time.Since(started), repBytes: -1, inBytes: -1}
		s.input = sumOffsets(t, adm, "longrun", false)
		s.repStart = sumOffsets(t, adm, p.cfg.RepartitionTopic(), true)
		s.repEnd = sumOffsets(t, adm, p.cfg.RepartitionTopic(), false)
		if kafka.Apache() != nil {
			s.repBytes, s.inBytes = topicBytes(t, adm, p.cfg.RepartitionTopic()), topicBytes(t, adm, "longrun")
		}
		for _, line := range sessionLines(p) {
			s.allSessions++
			if strings.HasSuffix(line, " 1") {
				s.closed++
			}
		}
		samples = append(samples, s)
		t.Log(s)
		return s
	}

	batches := 0
	next := time.Now()
	nextSample := time.Now().Add(time.Second)
	for time.Since(started) < run {
		out := make([]*kgo.Record, 0, longRunBatchSize)
		for _, r := range longRunBatch(batches) {
			out = append(out, &kgo.Record{Topic: "longrun", Partition: int32(len(out) % (longRunPartitions - 1)), Value: r.Value})
		}
		if err := cl.ProduceSync(ctx, out...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		batches++
		if time.Now().After(nextSample) {
			sample()
			nextSample = nextSample.Add(time.Second)
		}
		next = next.Add(longRunEvery)
		time.Sleep(time.Until(next))
	}
	mid := samples[len(samples)/2]
	p.waitCaughtUp()

	// Purges and deletions of rolled segments run on their own cadence: give them a minute to
	// reach what the worker committed.
	final := sample()
	for deadline := time.Now().Add(time.Minute); final.repStart < mid.repEnd && time.Now().Before(deadline); {
		time.Sleep(time.Second)
		final = sample()
	}
	if final.repStart < mid.repEnd {
		t.Errorf("the repartition log still starts at %d, before %d, where it ended halfway through the run", final.repStart, mid.repEnd)
	}
	if kept := final.repEnd - final.repStart; kept*4 > final.repEnd {
		t.Errorf("the repartition log keeps %d of the %d records written: more than a quarter", kept, final.repEnd)
	}
	if kafka.Apache() != nil {
		for deadline := time.Now().Add(time.Minute); final.repBytes*2 > final.inBytes && time.Now().Before(deadline); {
			time.Sleep(time.Second)
			final = sample()
		}
		if final.repBytes*2 > final.inBytes {
			t.Errorf("the repartition log holds %d bytes on disk, the input %d: purged segments were not deleted", final.repBytes, final.inBytes)
		}
	}
	if mid.closed == 0 {
		t.Errorf("no session had closed halfway through the run (%d sessions)", mid.allSessions)
	}
	assertQuietUsersClosed(t, sessionLines(p), batches)
	if worker.proc.Stats().IdleMarks.Load() == 0 {
		t.Error("raw partition 3 was never found idle")
	}
	worker.leave(t)

	var report strings.Builder
	broker := "kfake"
	if a := kafka.Apache(); a != nil {
		broker = "Apache Kafka " + a.Version()
	}
	fmt.Fprintf(&report, "long run on %s: %d batches of %d messages in %s into 3 of 4 raw partitions (one idle), snapshots every %s, purge every %s; %d records purged by the worker\n",
		broker, batches, longRunBatchSize, run, p.cfg.SnapshotInterval, p.cfg.PurgeInterval, worker.proc.Stats().Purged.Load())
	for i, s := range samples {
		if i%5 == 0 || i == len(samples)-1 {
			fmt.Fprintf(&report, "  %s\n", s)
		}
	}
	if err := testenv.Report("longrun", strings.TrimRight(report.String(), "\n")); err != nil {
		t.Error(err)
	}
}

// longRunBatch is batch b: each message of a user of the current set, minutes apart in event
// time, every id new.
func longRunBatch(b int) []gen.Record {
	set := b / longRunSetBatches
	recs := make([]gen.Record, longRunBatchSize)
	for i := range recs {
		minute := b*longRunBatchMinutes + i%longRunBatchMinutes
		recs[i] = cfMessage(fmt.Sprintf("b%d-m%d", b, i), fmt.Sprintf("s%d-u%d", set, i%longRunSetUsers), minute)
	}
	return recs
}

// assertQuietUsersClosed checks that every user quiet for three hours of event time before the
// last message has only closed sessions: two hours more than the gap and lateness need, so the
// check holds whatever the watermark's position within the last batches.
func assertQuietUsersClosed(t *testing.T, sessions []string, batches int) {
	t.Helper()
	lastMinute := batches * longRunBatchMinutes
	quiet, checked := 0, 0
	for set := 0; (set+1)*longRunSetBatches*longRunBatchMinutes+180 < lastMinute; set++ {
		quiet++
		prefix := fmt.Sprintf("s%d-u", set)
		for _, line := range sessions {
			if !strings.HasPrefix(line, prefix) {
				continue
			}
			checked++
			if !strings.HasSuffix(line, " 1") {
				t.Errorf("user set %d went quiet 3 hours before the last message, but a session is open: %s", set, line)
			}
		}
	}
	if quiet == 0 || checked < quiet*longRunSetUsers {
		t.Errorf("%d quiet user sets with %d sessions checked: the run was too short or sessions are missing", quiet, checked)
	}
}

// sumOffsets is the sum of topic's start (or end) offsets over its partitions.
func sumOffsets(t *testing.T, adm *kadm.Client, topic string, start bool) int64 {
	t.Helper()
	list := adm.ListEndOffsets
	if start {
		list = adm.ListStartOffsets
	}
	offsets, err := list(context.Background(), topic)
	if err == nil {
		err = offsets.Error()
	}
	if err != nil {
		t.Fatalf("list offsets of %s: %v", topic, err)
	}
	var sum int64
	offsets.Each(func(o kadm.ListedOffset) { sum += o.Offset })
	return sum
}

// topicBytes is the size on disk of topic's logs on every broker.
func topicBytes(t *testing.T, adm *kadm.Client, topic string) int64 {
	t.Helper()
	dirs, err := adm.DescribeAllLogDirs(context.Background(), nil)
	if err != nil {
		t.Fatalf("describe log dirs of %s: %v", topic, err)
	}
	var size int64
	dirs.Each(func(d kadm.DescribedLogDir) {
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if p.Topic == topic {
				size += p.Size
			}
		})
	})
	return size
}

func ptrTo(s string) *string { return &s }
