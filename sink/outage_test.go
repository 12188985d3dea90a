package sink

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestWriterSurvivesAClickHouseOutage kills the server under a running writer. Each subtest has
// its own server, because killing the shared one would hit other tests.
func TestWriterSurvivesAClickHouseOutage(t *testing.T) {
	t.Run("rows submitted while ClickHouse is down arrive once it is back", func(t *testing.T) {
		ctx := testContext(t)
		ch := testenv.ClickHouseForTest(t)
		c, w := outageWriter(t, ch, 100, 1000)

		if err := w.Submit(ctx, messageSet("before", 10), nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ch.Kill(); err != nil {
			t.Fatal(err)
		}
		const outageSets = 5
		acks := make([]atomic.Int32, outageSets)
		for i := range outageSets {
			if err := w.Submit(ctx, messageSet(fmt.Sprintf("during%d", i), 20), func() { acks[i].Add(1) }); err != nil {
				t.Fatal(err)
			}
		}
		waitUnhealthy(w)
		for i := range acks {
			if n := acks[i].Load(); n != 0 {
				t.Fatalf("set %d acked while ClickHouse was down", i)
			}
		}

		if err := ch.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := w.Healthy(); err != nil {
			t.Fatalf("Healthy after recovery: %v", err)
		}
		for i := range acks {
			if n := acks[i].Load(); n != 1 {
				t.Fatalf("set %d acked %d times, want once", i, n)
			}
		}
		if n := countFacts(t, c, "msg_id LIKE 'during%'"); n != outageSets*20 {
			t.Fatalf("message_facts shows %d rows submitted during the outage, want %d", n, outageSets*20)
		}
		if n := countFacts(t, c, "1"); n != 10+outageSets*20 {
			t.Fatalf("message_facts has %d rows, want %d", n, 10+outageSets*20)
		}
	})

	t.Run("a kill in the middle of inserts loses nothing, counts nothing twice and bounds memory", func(t *testing.T) {
		ctx := testContext(t)
		ch := testenv.ClickHouseForTest(t)
		const setRows, maxPending = 500, 20000
		c, w := outageWriter(t, ch, 2000, maxPending)

		var acks atomic.Int64
		stop := make(chan struct{})
		submitted := make(chan int64)
		go func() {
			var sets int64
			defer func() { submitted <- sets }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := w.Submit(ctx, messageSet(fmt.Sprintf("s%d", sets), setRows), func() { acks.Add(1) }); err != nil {
					t.Error(err)
					return
				}
				sets++
			}
		}()
		waitFor(func() bool { return acks.Load() >= 20 })
		if err := ch.Kill(); err != nil {
			t.Fatal(err)
		}
		waitUnhealthy(w)
		waitBlocked(t, w, 1) // the submitter is held back while nothing can be written
		w.mu.Lock()
		pending := w.pending
		w.mu.Unlock()
		if pending >= maxPending+setRows {
			t.Fatalf("%d rows pending during the outage, bound is %d plus one set", pending, maxPending)
		}
		ackedBefore := acks.Load()
		if err := ch.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(func() bool { return acks.Load() >= ackedBefore+20 })
		close(stop)
		sets := <-submitted
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := acks.Load(); got != sets {
			t.Fatalf("%d acks for %d submitted sets", got, sets)
		}
		if got := countFacts(t, c, "1"); got != uint64(sets*setRows) {
			t.Fatalf("message_facts has %d rows, want %d", got, sets*setRows)
		}
	})
}

func outageWriter(t *testing.T, ch *testenv.ClickHouse, flushRows, maxPending int) (*Client, *Writer) {
	t.Helper()
	c := openClient(t, testConfig(t, ch))
	if err := c.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := writerConfig(c)
	cfg.FlushRows, cfg.MaxPendingRows, cfg.FlushInterval = flushRows, maxPending, 10*time.Millisecond
	w, _ := startWriter(t, c, cfg)
	return c, w
}

// waitUnhealthy waits until the writer reports a failed insert.
func waitUnhealthy(w *Writer) { waitFor(func() bool { return w.Healthy() != nil }) }

// waitFor polls cond; the test's deadline bounds the wait.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(2 * time.Millisecond)
	}
}
