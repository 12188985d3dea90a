package sink

import (
	"context"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
)

// ackWithin submits set and reports whether its ack fired within wait.
func ackWithin(t *testing.T, ctx context.Context, w *Writer, set *rows.Set, wait time.Duration) (bool, <-chan struct{}) {
	t.Helper()
	fired := make(chan struct{})
	if err := w.Submit(ctx, set, func() { close(fired) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
		return true, fired
	case <-time.After(wait):
		return false, fired
	}
}

// The flush interval is an hour in these tests, so that only the idle rule can flush early,
// and the waits for an ack are a minute, so that a slow machine still passes.
func TestAWriterFlushesAtOnceWhenItsInputFallsQuiet(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushInterval, cfg.FlushIdle = time.Hour, 20*time.Millisecond
	w, _ := startWriter(t, c, cfg)

	t.Run("a lone submission is durable long before the flush interval", func(t *testing.T) {
		if ok, _ := ackWithin(t, ctx, w, messageSet("lone", 3), time.Minute); !ok {
			t.Fatal("the rows of a quiet input were not acked within a minute; the flush interval is an hour")
		}
		if n := countFacts(t, c, "msg_id LIKE 'lone-%'"); n != 3 {
			t.Fatalf("acked with %d of 3 rows in message_facts", n)
		}
	})
	t.Run("rows right after an insert wait for the flush interval's spacing", func(t *testing.T) {
		// The last insert is seconds old at most: a quiet input does not make inserts more
		// frequent than one per flush interval. A slow machine only makes this wait longer.
		ok, fired := ackWithin(t, ctx, w, messageSet("next", 2), 500*time.Millisecond)
		if ok {
			t.Fatal("rows were inserted less than a flush interval after the previous insert")
		}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		<-fired
	})
	t.Run("a marker with no rows is acked at once even right after an insert", func(t *testing.T) {
		if ok, _ := ackWithin(t, ctx, w, &rows.Set{}, time.Minute); !ok {
			t.Fatal("an empty marker was not acked within a minute")
		}
	})
}

func TestAWriterWithoutAnIdleFlushWaitsForTheFlushInterval(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushInterval, cfg.FlushIdle = time.Hour, 0
	w, _ := startWriter(t, c, cfg)
	ok, fired := ackWithin(t, ctx, w, messageSet("held", 2), 500*time.Millisecond)
	if ok {
		t.Fatal("rows were inserted before the flush interval with the idle flush off")
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	<-fired
}
