package processor_test

import (
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestOffsetsAreCommittedAsSoonAsTheirRowsAreDurable: with the autocommit an hour apart, the
// group catches up only because durable work is committed as it is done; every row is in
// ClickHouse by then, since a repartition offset is marked only when its rows are durable.
func TestOffsetsAreCommittedAsSoonAsTheirRowsAreDurable(t *testing.T) {
	data := dataset(t, 300)
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "raw", 4, "eager")
	p.cfg.CommitInterval = time.Hour
	p.produce(data.Records, "raw")
	p.start("solo")
	p.waitCaughtUp()
	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
}
