package processor_test

import (
	"context"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

const goodRecord = `{"ts":"2024-02-13 15:09:20Z","type":"receipt","props":{"type":"read","msg_id":"m1","member_id":"u1"}}`

// TestBadRecordsAreDeadLetteredWithTheirReason feeds bad records between good ones and checks
// that each lands in the dead-letter topic unchanged, with its reason and origin in headers,
// while the partition goes on and is committed to its end.
func TestBadRecordsAreDeadLetteredWithTheirReason(t *testing.T) {
	bad := []struct {
		value, reason string
	}{
		{`{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"whats`, "malformed_json"},
		{`{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"web","msg_id":7}}`, "wrong_type"},
		{`{"ts":"2024-02-13 15:09:20Z","type":"typing","props":{}}`, "unknown_kind"},
		{`{"ts":"2024-02-13 15:09:20Z","type":"receipt","props":{"type":"read"}}`, "missing_field"},
		{`{"ts":"1969-12-31 23:59:59Z","type":"receipt","props":{"type":"read","msg_id":"m1"}}`, "bad_timestamp"},
		{`{"ts":"2024-02-13 15:09:20Z","type":"receipt","props":{"type":"seen","msg_id":"m1"}}`, "unknown_enum"},
	}
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "mixed", 1, "dlq")
	var recs []*kgo.Record
	// A poison record too large for a dead letter keeps its start and its size.
	huge := `{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"body":"` + strings.Repeat("A", 3<<20)
	bad = append(bad, struct{ value, reason string }{huge, "malformed_json"})
	for i, b := range bad {
		recs = append(recs,
			&kgo.Record{Topic: "mixed", Value: []byte(goodRecord)},
			&kgo.Record{Topic: "mixed", Key: []byte("k" + strconv.Itoa(i)), Value: []byte(b.value),
				Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t" + strconv.Itoa(i))}}})
	}
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...), kgo.ProducerBatchMaxBytes(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	m := p.start("solo")
	p.waitCaughtUp()

	s := m.proc.Stats()
	if s.DeadLettered.Load() != uint64(len(bad)) || s.Records.Load() != uint64(len(recs)) {
		t.Fatalf("dead-lettered %d of %d records, want %d", s.DeadLettered.Load(), s.Records.Load(), len(bad))
	}
	wantReasons := map[string]uint64{}
	for _, b := range bad {
		wantReasons[b.reason]++
	}
	if got := s.DeadLetteredBy(); !reflect.DeepEqual(got, wantReasons) {
		t.Errorf("dead letters by reason %v, want %v", got, wantReasons)
	}

	got := consumeAll(t, p.brokers, p.cfg.DLQTopic, len(bad))
	for i, rec := range got {
		h := headers(rec)
		want := bad[i]
		if len(want.value) > 1<<20 {
			if h[processor.HeaderTruncated] != strconv.Itoa(len(want.value)) || !strings.HasPrefix(want.value, string(rec.Value)) || len(rec.Value) >= 1<<20 {
				t.Errorf("dead letter %d of %d bytes: %d bytes kept, truncated header %q", i, len(want.value), len(rec.Value), h[processor.HeaderTruncated])
			}
			want.value = want.value[:len(rec.Value)]
		}
		if string(rec.Value) != want.value || string(rec.Key) != "k"+strconv.Itoa(i) {
			t.Errorf("dead letter %d: key %q value %q, want the original record", i, rec.Key, rec.Value)
		}
		checks := map[string]string{
			"trace":                   "t" + strconv.Itoa(i),
			processor.HeaderReason:    want.reason,
			processor.HeaderTopic:     "mixed",
			processor.HeaderPartition: "0",
			processor.HeaderOffset:    strconv.Itoa(2*i + 1),
			processor.HeaderFormat:    "causalfoundry",
		}
		for k, v := range checks {
			if h[k] != v {
				t.Errorf("dead letter %d: header %s = %q, want %q", i, k, h[k], v)
			}
		}
		if h[processor.HeaderError] == "" {
			t.Errorf("dead letter %d has no error header", i)
		}
	}

	// A client that is not franz-go reads the same dead letters and their headers.
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat is not installed (scripts/deps.sh installs it): ", err)
	}
	out, err := exec.Command(kcat, "-b", p.brokers[0], "-C", "-t", p.cfg.DLQTopic, "-o", "beginning", "-e", "-q",
		"-f", "%k|%h\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	for i, b := range bad {
		if !strings.Contains(string(out), "k"+strconv.Itoa(i)+"|") || !strings.Contains(string(out), processor.HeaderReason+"="+b.reason) {
			t.Errorf("kcat did not see dead letter %d with reason %s:\n%s", i, b.reason, out)
		}
	}
}

func consumeAll(t *testing.T, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records from %s: %v", len(out), n, topic, err)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func headers(rec *kgo.Record) map[string]string {
	m := map[string]string{}
	for _, h := range rec.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}

// TestACorruptRepartitionRecordIsDeadLetteredOnce writes garbage into the repartition topic
// between good records: the partition goes on, the garbage lands in the dead-letter topic, and
// a new member that replays the partition to rebuild its state does not dead-letter it again.
func TestACorruptRepartitionRecordIsDeadLetteredOnce(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "raw", 1, "corrupt")
	p.produce([]gen.Record{{Value: []byte(goodRecord)}}, "raw")
	first := p.start("first")
	p.waitCaughtUp()

	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	garbage := &kgo.Record{Topic: p.cfg.RepartitionTopic(), Partition: 0, Value: []byte("not a bundle")}
	if err := cl.ProduceSync(context.Background(), garbage).FirstErr(); err != nil {
		t.Fatal(err)
	}
	p.produce([]gen.Record{{Value: []byte(goodRecord)}}, "raw")
	p.waitCaughtUp()
	if got := first.proc.Stats().DeadLetteredBy(); got[processor.ReasonInternalCorrupt] != 1 {
		t.Fatalf("dead letters by reason %v, want one %s", got, processor.ReasonInternalCorrupt)
	}
	first.leave(t)

	second := p.start("second")
	p.produce([]gen.Record{{Value: []byte(goodRecord)}}, "raw")
	p.waitCaughtUp()
	if got := second.proc.Stats().DeadLetteredBy(); len(got) != 0 {
		t.Fatalf("the replay dead-lettered again: %v", got)
	}
	var dead int64
	for _, end := range endOffsets(t, p.brokers, p.cfg.DLQTopic) {
		dead += end
	}
	if dead != 1 {
		t.Fatalf("the dead-letter topic holds %d records, want 1", dead)
	}
	if got := p.viewLines("message_receipts"); len(got) != 0 {
		t.Fatalf("receipts of a message that never came were written: %q", got)
	}
}
