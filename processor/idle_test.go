package processor_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/testenv"
)

// produceTo writes records to one partition of topic.
func produceTo(t *testing.T, brokers []string, topic string, partition int32, recs []gen.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = &kgo.Record{Topic: topic, Partition: partition, Key: r.Key, Value: r.Value}
	}
	if err := cl.ProduceSync(context.Background(), out...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// sessionLines are user_sessions rows as "user start end messages user_messages closed".
func sessionLines(p *pipeline) []string {
	var got []string
	for _, line := range p.viewLines("user_sessions") {
		f := strings.Split(line, "\t")
		got = append(got, strings.Join([]string{f[3], f[5], f[6], f[7], f[8], f[9]}, " "))
	}
	return got
}

// TestSessionsCloseWhileAnInputPartitionIsIdle feeds one of two input partitions only. The
// silent partition holds the watermark until it is found idle; then u1's 10:00-10:10 session
// closes by the 14:00 message of u2. A replay of the repartition log into a new database, by a
// member that never finds anything idle itself, moves the watermark as the first run did and
// writes the same rows, since the idle decisions are in the log.
func TestSessionsCloseWhileAnInputPartitionIsIdle(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "idle", 2, "idle")
	p.cfg.Partitions = 1
	p.cfg.IdleTimeout = time.Second
	produceTo(t, p.brokers, "idle", 0, []gen.Record{
		cfMessage("m1", "u1", 10*60),
		cfMessage("m2", "u1", 10*60+10),
		cfMessage("m3", "u2", 14*60),
	})
	ms := func(minute int) string {
		return fmt.Sprint(time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(minute) * time.Minute).UnixMilli())
	}
	want := []string{
		"u1 " + ms(600) + " " + ms(610) + " 2 2 1",
		"u2 " + ms(840) + " " + ms(840) + " 1 1 0",
	}
	first := p.start("first")
	deadline := time.Now().Add(time.Minute)
	for !slices.Equal(sessionLines(p), want) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	assertLines(t, "user_sessions", sessionLines(p), want)
	if first.proc.Stats().IdleMarks.Load() == 0 {
		t.Error("no raw partition was found idle")
	}
	p.waitCaughtUp()
	first.leave(t)

	// Forget where the group got in the repartition log, so that the next member rebuilds
	// the partition from its start and writes every row again, into a new database.
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).DeleteOffsets(context.Background(), "idle", kadm.TopicsSet{p.cfg.RepartitionTopic(): {0: {}}})
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	replay := newPipeline(t, kafka, "idle", 2, "idle")
	replay.cfg = p.cfg
	replay.cfg.IdleTimeout = 0
	replay.cfg.SnapshotInterval, replay.cfg.PurgeInterval = 0, 0
	replay.start("replay")
	replay.waitCaughtUp()
	assertLines(t, "after a replay, user_sessions", sessionLines(replay), want)
}
