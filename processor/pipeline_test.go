package processor_test

import (
	"testing"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/testenv"
)

func dataset(t *testing.T, messages int) gen.Dataset {
	t.Helper()
	cfg := gen.DefaultConfig()
	cfg.Messages = messages
	d, err := gen.CausalFoundry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestOneWorkerMatchesTheGeneratedTruth runs a generated topic with out-of-order, duplicated,
// late, skewed, orphaned and bad records through one worker and compares the contract views
// with the rows the generator derived on its own.
func TestOneWorkerMatchesTheGeneratedTruth(t *testing.T) {
	data := dataset(t, 1500)
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "raw", 12, "one")
	p.produce(data.Records, "raw")
	m := p.start("solo")
	p.waitCaughtUp()

	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
	s := m.proc.Stats()
	if n := s.DeadLettered.Load(); n != uint64(data.Poison) {
		t.Errorf("dead-lettered %d records, want %d", n, data.Poison)
	}
	if s.Records.Load() != uint64(len(data.Records)) {
		t.Errorf("consumed %d records, want %d", s.Records.Load(), len(data.Records))
	}
	if s.Events.Load()+s.DeadLettered.Load() != s.Records.Load() {
		t.Errorf("events %d + dead letters %d != records %d", s.Events.Load(), s.DeadLettered.Load(), s.Records.Load())
	}
}

// TestWorkersJoiningAndLeavingMatchOneWorker feeds the same randomly keyed 12-partition topic to
// a group whose three members join and leave while records flow, and requires exactly the
// views of a single-worker run.
func TestWorkersJoiningAndLeavingMatchOneWorker(t *testing.T) {
	data := dataset(t, 1500)
	kafka := testenv.PromiseKafka(t)

	single := newPipeline(t, kafka, "raw-single", 12, "single")
	single.produce(data.Records, "raw-single")
	single.start("solo")
	single.waitCaughtUp()
	want := single.views()

	p := newPipeline(t, kafka, "raw-group", 12, "group")
	third := len(data.Records) / 3
	a := p.start("a")
	p.produce(data.Records[:third], "raw-group")
	b := p.start("b")
	p.produce(data.Records[third:2*third], "raw-group")
	c := p.start("c")
	a.leave(t)
	p.produce(data.Records[2*third:], "raw-group")
	b.leave(t)
	p.start("d")
	p.waitCaughtUp()
	c.leave(t)

	got := p.views()
	for _, v := range []string{"message_facts", "message_receipts"} {
		assertLines(t, v, got[v], want[v])
	}
	assertLines(t, "message_facts against the generator", got["message_facts"], data.Expected.MessageFactsLines())
}
