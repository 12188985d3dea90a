package sink

import (
	"fmt"
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

func TestAnInsertOfSeveralBlocksKeepsEveryRowWholeInOnePart(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	n := 2*blockRows + 7
	set := &rows.Set{}
	for i := range n {
		set.Messages = append(set.Messages, rows.Message{Source: "causalfoundry", Tenant: "t1", Platform: "web",
			MsgID: fmt.Sprintf("m-%d", i), SenderType: "user", SenderID: fmt.Sprintf("u-%d", i), SentAtMs: t0 + int64(i)})
	}
	if err := c.Insert(ctx, set); err != nil {
		t.Fatal(err)
	}
	if got := queryUint64(t, c, "SELECT count() FROM "+c.db+".messages"); got != uint64(n) {
		t.Fatalf("%d rows in messages, want %d", got, n)
	}
	// Every column of a row must come from the same message, across the block boundaries.
	mixed := queryUint64(t, c, fmt.Sprintf("SELECT count() FROM %s.messages WHERE sender_id != concat('u-', substring(msg_id, 3)) OR sent_at_ms != %d + toInt64(substring(msg_id, 3))", c.db, t0))
	if mixed != 0 {
		t.Fatalf("%d rows mix the columns of different messages", mixed)
	}
	// One part that no merge made (level 0), in the table and in the one its view feeds: the
	// server squashed the blocks of the insert before writing and before the view ran.
	for _, table := range []string{"messages", "message_state"} {
		parts := queryUint64(t, c, "SELECT count() FROM system.parts WHERE database = '"+c.db+"' AND table = '"+table+"' AND active")
		merged := queryUint64(t, c, "SELECT count() FROM system.parts WHERE database = '"+c.db+"' AND table = '"+table+"' AND active AND level > 0")
		if parts != 1 || merged != 0 {
			t.Fatalf("the insert made %d active parts of %s (%d of them merged), want 1 part of level 0", parts, table, merged)
		}
	}
}
