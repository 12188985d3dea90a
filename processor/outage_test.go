package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestAWorkerLeavesDuringAClickHouseOutageAndNothingIsLost stops ClickHouse while records flow,
// stops the worker (which must give its partitions up within the handoff timeout although
// nothing can be flushed), restarts ClickHouse and a new worker, and requires exactly the rows
// a clean run gives.
func TestAWorkerLeavesDuringAClickHouseOutageAndNothingIsLost(t *testing.T) {
	data := dataset(t, 800)
	ch := testenv.ClickHouseForTest(t)
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "raw", 12, "outage")
	p.sink.Addr = ch.Addr()
	p.cfg.HandoffTimeout = 2 * time.Second

	half := len(data.Records) / 2
	p.produce(data.Records[:half], "raw")
	first := p.start("first")
	p.waitCaughtUp()

	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	p.produce(data.Records[half:], "raw")
	deadline := time.Now().Add(time.Minute)
	for first.proc.Stats().Records.Load() < uint64(len(data.Records)) {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not route the second half while ClickHouse was down")
		}
		time.Sleep(50 * time.Millisecond)
	}
	left := make(chan struct{})
	go func() { first.leave(t); close(left) }()
	select {
	case <-left:
	case <-time.After(time.Minute):
		t.Fatal("the worker did not leave within a minute of being stopped during the outage")
	}

	if err := ch.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.start("second")
	p.waitCaughtUp()
	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
}
