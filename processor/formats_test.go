package processor_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestMixedFormatsAreDecodedAndAccountedFor streams all four formats, interleaved on one
// randomly keyed topic read with format detection, through two workers. Per raw partition,
// every record consumed is either decoded or dead-lettered; the dead letters are exactly the
// generator's bad records; and the contract views equal the generator's rows.
func TestMixedFormatsAreDecodedAndAccountedFor(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Messages = 2000
	cfg.BadRate = 0.05
	data, err := gen.Mixed(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "mixed", 12, "mixed")
	p.cfg.InputTopics = processor.TopicFormats{"mixed": decode.FormatAuto}
	a, b := p.start("a"), p.start("b")
	p.produce(data.Records, "mixed")
	p.waitCaughtUp()

	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())

	ends := endOffsets(t, p.brokers, "mixed")
	counts := map[int32]processor.RawCounts{}
	for _, m := range []*member{a, b} {
		for tp, c := range m.proc.Stats().RawPartitions() {
			sum := counts[tp.Partition]
			sum.Records += c.Records
			sum.Decoded += c.Decoded
			sum.DeadLettered += c.DeadLettered
			counts[tp.Partition] = sum
		}
	}
	var dead uint64
	for part, end := range ends {
		c := counts[part]
		if c.Records != uint64(end) || c.Decoded+c.DeadLettered != c.Records {
			t.Errorf("partition %d: %d records in the log, %d consumed = %d decoded + %d dead-lettered",
				part, end, c.Records, c.Decoded, c.DeadLettered)
		}
		dead += c.DeadLettered
	}
	if dead != uint64(data.Poison) {
		t.Errorf("dead-lettered %d records, the generator made %d bad ones", dead, data.Poison)
	}
	checkDeadLetterOrigins(t, p, data.Poison)
}

// checkDeadLetterOrigins checks that the dead-letter topic holds exactly want distinct raw
// records. A dead letter is written before its raw offset commits, so a partition that changes
// owner mid-batch may write one twice; the copies must then be identical.
func checkDeadLetterOrigins(t *testing.T, p *pipeline, want int) {
	t.Helper()
	var inDLQ int64
	for _, end := range endOffsets(t, p.brokers, p.cfg.DLQTopic) {
		inDLQ += end
	}
	seen := map[string]string{}
	for _, rec := range consumeAll(t, p.brokers, p.cfg.DLQTopic, int(inDLQ)) {
		h := headers(rec)
		origin := h[processor.HeaderTopic] + "/" + h[processor.HeaderPartition] + "@" + h[processor.HeaderOffset]
		if prev, ok := seen[origin]; ok && prev != string(rec.Value) {
			t.Errorf("two different dead letters for raw record %s", origin)
		}
		seen[origin] = string(rec.Value)
	}
	if len(seen) != want {
		t.Errorf("the dead-letter topic holds %d distinct raw records (%d in all), want %d", len(seen), inDLQ, want)
	}
}

func endOffsets(t *testing.T, brokers []string, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// TestAFormatHeaderOverridesTheTopicsFormat reads a Causal Foundry topic that also carries a
// VoIPbin record marked by the chatpulse-format header, and a record whose header names no
// format, which is dead-lettered.
func TestAFormatHeaderOverridesTheTopicsFormat(t *testing.T) {
	const voipbin = `{"id":"vb-1","customer_id":"c1","owner_type":"agent","owner_id":"a1","chat_id":"chat-1","type":"normal","text":"hi","tm_create":"2024-01-17 10:32:00.000000"}`
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "cf", 1, "header")
	header := func(v string) []kgo.RecordHeader {
		return []kgo.RecordHeader{{Key: processor.FormatHeader, Value: []byte(v)}}
	}
	recs := []*kgo.Record{
		{Topic: "cf", Value: []byte(goodRecord)},
		{Topic: "cf", Value: []byte(voipbin), Headers: header("voipbin")},
		{Topic: "cf", Value: []byte(goodRecord), Headers: header("whatsapp")},
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	m := p.start("solo")
	p.waitCaughtUp()

	facts := p.views()["message_facts"]
	if len(facts) != 1 || !strings.HasPrefix(facts[0], "voipbin\tc1\tother\tvb-1\t") {
		t.Errorf("message_facts = %q, want the VoIPbin message", facts)
	}
	if got := m.proc.Stats().DeadLetteredBy(); got["unknown_format"] != 1 || len(got) != 1 {
		t.Errorf("dead letters by reason = %v, want one unknown_format", got)
	}
	// The header's format labels its record; an unknown one leaves the format undetermined.
	wantFormats := map[processor.TopicFormat]uint64{{"cf", "causalfoundry"}: 1, {"cf", "voipbin"}: 1, {"cf", "unknown"}: 1}
	if got := m.proc.Stats().RecordsByFormat(); !maps.Equal(got, wantFormats) {
		t.Errorf("records by format = %v, want %v", got, wantFormats)
	}
	wantKinds := map[processor.TopicFormatKind]uint64{{"cf", "causalfoundry", "receipt"}: 1, {"cf", "voipbin", "message"}: 1}
	if got := m.proc.Stats().EventsByKind(); !maps.Equal(got, wantKinds) {
		t.Errorf("events by kind = %v, want %v", got, wantKinds)
	}
}
