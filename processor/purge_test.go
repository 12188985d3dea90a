package processor_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestTheRepartitionLogIsPurgedAndARestoreFallsBackOnAnOlderSnapshot runs half a dataset
// through a member that snapshots and purges: the repartition log's start moves beyond 0 in
// every partition. Then the newest snapshot of every partition is overwritten with garbage, and
// a new member takes over: it restores each partition from the older snapshot it falls back
// on, which needs no purged record, and the views after the rest of the data are exact.
func TestTheRepartitionLogIsPurgedAndARestoreFallsBackOnAnOlderSnapshot(t *testing.T) {
	data := dataset(t, 1500)
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "raw", 2, "purge")
	p.cfg.Partitions = 2
	p.cfg.SnapshotInterval = time.Millisecond
	p.cfg.PurgeInterval = time.Second
	p.cfg.SnapshotsKept = 2

	half := len(data.Records) / 2
	first := p.start("first")
	for i := range 4 {
		p.produce(data.Records[i*half/4:(i+1)*half/4], "raw")
		p.waitCaughtUp()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		starts, err := adm.ListStartOffsets(ctx, p.cfg.RepartitionTopic())
		if err != nil {
			t.Fatal(err)
		}
		purged := 0
		starts.Each(func(o kadm.ListedOffset) {
			if o.Offset > 0 {
				purged++
			}
		})
		if purged == int(p.cfg.Partitions) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the repartition log was purged in %d of %d partitions within a minute", purged, p.cfg.Partitions)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if first.proc.Stats().Purged.Load() == 0 {
		t.Error("no purged record was counted")
	}
	first.leave(t)

	for part := range p.cfg.Partitions {
		corruptNewestSnapshot(t, cl, p.cfg.StateTopic(), part)
	}
	second := p.start("second")
	p.produce(data.Records[half:], "raw")
	p.waitCaughtUp()
	s := second.proc.Stats()
	if n := s.SnapshotRestores.Load(); n != uint64(p.cfg.Partitions) {
		t.Errorf("%d partitions restored from a snapshot, want %d", n, p.cfg.Partitions)
	}
	if n := s.IncompleteRestores.Load(); n != 0 {
		t.Errorf("%d partitions rebuilt from a purged log without a snapshot", n)
	}
	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
}

// corruptNewestSnapshot writes, under the key of a partition's newest snapshot, a record that
// claims the same offset and holds garbage, as storage damage might leave it.
func corruptNewestSnapshot(t *testing.T, cl *kgo.Client, topic string, partition int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reader, err := kgo.NewClient(kgo.SeedBrokers(cl.OptValue(kgo.SeedBrokers).([]string)...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, partition)
	var newest *kgo.Record
	for newest == nil || newest.Offset+1 < end.Offset {
		fs := reader.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("state partition %d not read to its end %d", partition, end.Offset)
		}
		fs.EachRecord(func(r *kgo.Record) { newest = r })
	}
	value := binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(newest.Value))
	value = append(value, "not a snapshot"...)
	rec := &kgo.Record{Topic: topic, Partition: partition, Key: newest.Key, Value: value}
	w, err := kgo.NewClient(kgo.SeedBrokers(cl.OptValue(kgo.SeedBrokers).([]string)...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
