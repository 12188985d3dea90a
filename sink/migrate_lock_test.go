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
	latest := migrations[len(migrations)-1].Version

	t.Run("a client waits while another holds the lock and applies nothing itself", func(t *testing.T) {
		cfg := testConfig(t, server)
		holder := openClient(t, cfg)
		waiter := openClient(t, cfg)
		logged := make(messages, 64)
		waiter.log = slog.New(logged)
		if err := holder.conn.Exec(ctx, expand(cfg.Database, bootstrap)[0]); err != nil {
			t.Fatal(err)
		}
		if locked, err := holder.lockMigrations(ctx, latest); err != nil || !locked {
			t.Fatalf("holder took the lock: %v, %v", locked, err)
		}
		done := make(chan error, 1)
		go func() { done <- waiter.Migrate(ctx) }()
		logged.await(t, "waiting for the schema migration lock", done)
		if n := queryUint64(t, holder, "SELECT count() FROM "+cfg.Database+".schema_migrations"); n != 0 {
			t.Fatalf("%d migrations applied while the lock was held", n)
		}
		// The holder's own name in the lock lets it migrate under the lock it took.
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
		if n := queryUint64(t, holder, "SELECT count() FROM system.tables WHERE database = '"+cfg.Database+"' AND name = '"+lockTable+"'"); n != 0 {
			t.Fatal("the lock is still there after Migrate")
		}
	})

	t.Run("a lock held longer than any migration takes fails Migrate with its remedy", func(t *testing.T) {
		cfg := testConfig(t, server)
		holder := openClient(t, cfg)
		waiter := openClient(t, cfg)
		waiter.lockPatience = -time.Second
		if err := holder.conn.Exec(ctx, expand(cfg.Database, bootstrap)[0]); err != nil {
			t.Fatal(err)
		}
		if locked, err := holder.lockMigrations(ctx, latest); err != nil || !locked {
			t.Fatalf("holder took the lock: %v, %v", locked, err)
		}
		err := waiter.Migrate(ctx)
		if !errors.Is(err, ErrMigrationLocked) {
			t.Fatalf("got %v, want ErrMigrationLocked", err)
		}
		for _, want := range []string{holder.holder, "DROP TABLE " + cfg.Database + "." + lockTable} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		if Retryable(err) {
			t.Error("a stale lock is retryable; Connect would wait on it forever")
		}
	})
}

// messages is a slog handler that passes each record's message on, dropping it when full.
type messages chan string

func (h messages) Enabled(context.Context, slog.Level) bool { return true }
func (h messages) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h messages) WithGroup(string) slog.Handler            { return h }
func (h messages) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Message:
	default:
	}
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
