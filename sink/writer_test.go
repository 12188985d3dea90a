package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
)

// messageSet returns a set of n messages with ids prefix-0 ... prefix-(n-1).
func messageSet(prefix string, n int) *rows.Set {
	s := &rows.Set{}
	for i := range n {
		s.Messages = append(s.Messages, rows.Message{Source: "causalfoundry", Tenant: "t1", Platform: "web",
			MsgID: fmt.Sprintf("%s-%d", prefix, i), SenderType: "user", SenderID: "u1", SentAtMs: t0 + int64(i)})
	}
	return s
}

// startWriter runs a writer until the test ends and returns it with Run's result channel.
func startWriter(t *testing.T, c *Client, cfg Config) (*Writer, <-chan error) {
	t.Helper()
	w := NewWriter(c, cfg, discardLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- w.Run(ctx)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return w, done
}

func writerConfig(c *Client) Config {
	cfg := DefaultConfig()
	cfg.Database = c.db
	return cfg
}

func countFacts(t *testing.T, c *Client, where string) uint64 {
	t.Helper()
	return queryUint64(t, c, "SELECT count() FROM "+c.db+".message_facts WHERE "+where)
}

func TestWriterAcks(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushRows, cfg.MaxPendingRows, cfg.FlushInterval = 5, 1000, time.Hour
	w, _ := startWriter(t, c, cfg)

	var (
		mu    sync.Mutex
		order []int
	)
	const submissions = 12
	set := &rows.Set{}
	for i := range submissions {
		set.Reset()
		prefix := fmt.Sprintf("s%d", i)
		if i%4 != 3 { // every fourth submission is an empty marker
			set.Append(messageSet(prefix, 2))
		}
		want := uint64(set.Len())
		ack := func() {
			// The rows of an acked submission are already visible in the contract view.
			if got := countFacts(t, c, "msg_id LIKE '"+prefix+"-%'"); got != want {
				t.Errorf("ack of submission %d ran with %d of its %d rows visible", i, got, want)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}
		if err := w.Submit(ctx, set, ack); err != nil {
			t.Fatal(err)
		}
	}
	// The caller reused set for every submission, so the writer must hold copies.
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(order) != submissions {
		t.Fatalf("%d acks fired, want %d", len(order), submissions)
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("acks fired in order %v", order)
		}
	}
	if n := countFacts(t, c, "1"); n != 2*9 {
		t.Fatalf("message_facts has %d rows, want 18", n)
	}
}

func TestWriterEmptyMarkerAck(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushInterval = 10 * time.Millisecond
	w, _ := startWriter(t, c, cfg)

	t.Run("an empty set's ack fires with nothing pending", func(t *testing.T) {
		fired := make(chan struct{})
		if err := w.Submit(ctx, &rows.Set{}, func() { close(fired) }); err != nil {
			t.Fatal(err)
		}
		select {
		case <-fired:
		case <-ctx.Done():
			t.Fatal("ack of an empty set never fired")
		}
	})

	t.Run("an empty set's ack fires after the rows submitted before it", func(t *testing.T) {
		if err := w.Submit(ctx, messageSet("before", 3), nil); err != nil {
			t.Fatal(err)
		}
		visible := make(chan uint64, 1)
		if err := w.Submit(ctx, nil, func() { visible <- countFacts(t, c, "msg_id LIKE 'before-%'") }); err != nil {
			t.Fatal(err)
		}
		if n := <-visible; n != 3 {
			t.Fatalf("marker acked with %d of 3 earlier rows visible", n)
		}
	})
}

func TestWriterBackpressure(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushRows, cfg.MaxPendingRows, cfg.FlushInterval = 2, 4, time.Hour
	w := NewWriter(c, cfg, discardLogger()) // Run is not started yet: nothing frees room

	if err := w.Submit(ctx, messageSet("a", 4), nil); err != nil {
		t.Fatal(err)
	}
	blockedCtx, cancelBlocked := context.WithCancel(ctx)
	cancelled := make(chan error, 1)
	go func() { cancelled <- w.Submit(blockedCtx, messageSet("x", 1), nil) }()
	waitBlocked(t, w, 1)

	t.Run("a blocked Submit returns when its context ends", func(t *testing.T) {
		cancelBlocked()
		if err := <-cancelled; !errors.Is(err, context.Canceled) {
			t.Fatalf("blocked Submit returned %v, want context.Canceled", err)
		}
	})

	t.Run("a blocked Submit proceeds once a flush frees room", func(t *testing.T) {
		returned := make(chan error, 1)
		go func() { returned <- w.Submit(ctx, messageSet("b", 1), nil) }()
		waitBlocked(t, w, 1)
		select {
		case err := <-returned:
			t.Fatalf("Submit returned %v while the writer was full", err)
		default:
		}
		runCtx, stop := context.WithCancel(ctx)
		defer stop()
		go w.Run(runCtx)
		if err := <-returned; err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countFacts(t, c, "1"); n != 5 {
			t.Fatalf("message_facts has %d rows, want 5 (a-0..3, b-0; never the cancelled x-0)", n)
		}
	})
}

// waitBlocked waits until n Submit calls wait for room.
func waitBlocked(t *testing.T, w *Writer, n int) {
	t.Helper()
	waitFor(func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.blocked == n
	})
}

func TestWriterStopsOnAnInsertThatCannotSucceed(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server)) // never migrated: the tables do not exist
	w, done := startWriter(t, c, writerConfig(c))
	acked := false
	if err := w.Submit(ctx, messageSet("m", 1), func() { acked = true }); err != nil {
		t.Fatal(err)
	}
	flushErr := w.Flush(ctx)
	runErr := <-done
	if runErr == nil || errors.Is(runErr, context.Canceled) || Retryable(runErr) {
		t.Fatalf("Run returned %v, want the insert error", runErr)
	}
	if !errors.Is(flushErr, ErrWriterStopped) {
		t.Fatalf("Flush returned %v, want ErrWriterStopped", flushErr)
	}
	if err := w.Submit(ctx, messageSet("n", 1), nil); !errors.Is(err, ErrWriterStopped) {
		t.Fatalf("Submit after the failure returned %v", err)
	}
	if w.Healthy() == nil {
		t.Fatal("Healthy reports nil after Run failed")
	}
	if acked {
		t.Fatal("the failed submission was acked")
	}
}

func TestWriterConcurrentSubmitters(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushRows, cfg.MaxPendingRows, cfg.FlushInterval = 50, 200, 5*time.Millisecond
	w, _ := startWriter(t, c, cfg)

	const goroutines, perGoroutine, rowsPer = 8, 40, 3
	var acks atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			set := &rows.Set{}
			for i := range perGoroutine {
				set.Reset()
				set.Append(messageSet(fmt.Sprintf("g%d-%d", g, i), rowsPer))
				if err := w.Submit(ctx, set, func() { acks.Add(1) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := acks.Load(); got != goroutines*perGoroutine {
		t.Fatalf("%d acks, want %d", got, goroutines*perGoroutine)
	}
	if n := countFacts(t, c, "1"); n != goroutines*perGoroutine*rowsPer {
		t.Fatalf("message_facts has %d rows, want %d", n, goroutines*perGoroutine*rowsPer)
	}
	if err := w.Healthy(); err != nil {
		t.Fatal(err)
	}
}
