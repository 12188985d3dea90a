package sink

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestMigrationLock(t *testing.T) {
	ctx := testContext(t)

	t.Run("a client waits while another holds the lock and applies nothing itself", func(t *testing.T) {
		holder, waiter, logged, lock := heldLock(t, ctx)
		done := make(chan error, 1)
		go func() { done <- waiter.Migrate(ctx) }()
		logged.await(t, "waiting for the schema migration lock", done)
		if n := queryUint64(t, holder, "SELECT count() FROM "+holder.db+".schema_migrations"); n != 0 {
			t.Fatalf("%d migrations applied while the lock was held", n)
		}
		// The holder migrates under the lock it took, as a later attempt of one Connect does.
		lock.stopBeats()
		<-lock.beating
		if err := holder.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("waiter: %v", err)
		}
		close(logged)
		for m := range logged {
			if m == "schema migration applied" {
				t.Fatal("the waiter applied a migration the holder had applied")
			}
		}
		appliedOnceWithoutLock(t, holder)
	})

	t.Run("a waiter does not give up on a holder whose heartbeat goes on", func(t *testing.T) {
		holder, waiter, logged, lock := heldLock(t, ctx)
		waiter.lockPatience = 2 * time.Second // 40 beats
		done := make(chan error, 1)
		go func() { done <- waiter.Migrate(ctx) }()
		logged.await(t, "waiting for the schema migration lock", done)
		select {
		case err := <-done:
			t.Fatalf("waiter returned %v while the holder's heartbeat went on", err)
		case <-time.After(2 * waiter.lockPatience):
		}
		lock.release(ctx)
		if err := <-done; err != nil {
			t.Fatalf("waiter after the release: %v", err)
		}
		appliedOnceWithoutLock(t, holder)
	})

	t.Run("a lock whose heartbeat stopped fails Migrate with its remedy", func(t *testing.T) {
		holder, waiter, _, lock := heldLock(t, ctx)
		lock.stopBeats()
		<-lock.beating
		waiter.lockPatience = time.Second
		err := waiter.Migrate(ctx)
		if !errors.Is(err, ErrMigrationLocked) {
			t.Fatalf("got %v, want ErrMigrationLocked", err)
		}
		for _, want := range []string{holder.holder, "DROP TABLE " + holder.db + "." + lockTable} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		if Retryable(err) {
			t.Error("an abandoned lock is retryable; Connect would wait on it forever")
		}
	})

	t.Run("a client whose wait is cancelled leaves the holder's lock alone", func(t *testing.T) {
		holder, waiter, logged, lock := heldLock(t, ctx)
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- waiter.Migrate(wctx) }()
		logged.await(t, "waiting for the schema migration lock", done)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if h, _, err := holder.lockState(ctx); err != nil || h != holder.holder {
			t.Fatalf("lock held by %q (%v) after the waiter gave up; want the holder", h, err)
		}
		lock.release(ctx)
	})

	t.Run("a migration cut short releases the lock for the next client", func(t *testing.T) {
		cfg := testConfig(t, server)
		first := openClient(t, cfg)
		mctx, cancel := context.WithCancel(ctx)
		first.log = slog.New(onRecord(func(r slog.Record) {
			if r.Message == "schema migration applied" {
				cancel()
			}
		}))
		if err := first.Migrate(mctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want a migration cut short by its context", err)
		}
		if n := queryUint64(t, first, "SELECT count() FROM system.tables WHERE database = '"+cfg.Database+"' AND name = '"+lockTable+"'"); n != 0 {
			t.Fatal("the lock is left after a failed Migrate")
		}
		if err := openClient(t, cfg).Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := queryUint64(t, first, "SELECT uniqExact(version) FROM "+cfg.Database+".schema_migrations"); n != uint64(len(migrations)) {
			t.Fatalf("%d versions applied, want %d", n, len(migrations))
		}
	})
}

// heldLock opens two clients of a fresh database and takes the migration lock with the first,
// its heartbeat every 50 ms; the second logs to the returned messages.
func heldLock(t *testing.T, ctx context.Context) (holder, waiter *Client, logged messages, lock *migrationLock) {
	t.Helper()
	cfg := testConfig(t, server)
	holder, waiter = openClient(t, cfg), openClient(t, cfg)
	holder.lockBeat = 50 * time.Millisecond
	logged = make(messages, 64)
	waiter.log = slog.New(onRecord(func(r slog.Record) {
		select {
		case logged <- r.Message: // dropped when full
		default:
		}
	}))
	for _, stmt := range expand(cfg.Database, bootstrap) {
		if err := holder.conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	lock, err := holder.lockMigrations(ctx, migrations[len(migrations)-1].Version)
	if err != nil || lock == nil {
		t.Fatalf("the holder took no lock: %v", err)
	}
	t.Cleanup(func() { lock.release(context.Background()) })
	return holder, waiter, logged, lock
}

// appliedOnceWithoutLock fails unless every migration was applied exactly once and the lock
// is gone.
func appliedOnceWithoutLock(t *testing.T, c *Client) {
	t.Helper()
	if n := queryUint64(t, c, "SELECT count() FROM "+c.db+".schema_migrations"); n != uint64(len(migrations)) {
		t.Fatalf("schema_migrations has %d rows, want one per migration, %d", n, len(migrations))
	}
	if n := queryUint64(t, c, "SELECT count() FROM system.tables WHERE database = '"+c.db+"' AND name = '"+lockTable+"'"); n != 0 {
		t.Fatal("the lock is still there after Migrate")
	}
}

// messages are the messages a client logged, as heldLock's waiter passes them on.
type messages chan string

// onRecord is a slog handler that calls its function with every record.
type onRecord func(slog.Record)

func (h onRecord) Enabled(context.Context, slog.Level) bool { return true }
func (h onRecord) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h onRecord) WithGroup(string) slog.Handler            { return h }
func (h onRecord) Handle(_ context.Context, r slog.Record) error {
	h(r)
	return nil
}

// await reads messages until want, failing if done delivers first.
func (h messages) await(t *testing.T, want string, done <-chan error) {
	t.Helper()
	for {
		select {
		case m := <-h:
			if m == want {
				return
			}
		case err := <-done:
			t.Fatalf("returned (%v) before logging %q", err, want)
		}
	}
}
