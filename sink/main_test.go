package sink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/testenv"
)

// server is the ClickHouse shared by the package's tests; each test works in its own database.
var server *testenv.ClickHouse

func TestMain(m *testing.M) {
	ch, stop := testenv.MustStartClickHouse()
	server = ch
	code := m.Run()
	stop()
	os.Exit(code)
}

var (
	databaseSeq  atomic.Int64
	nonIdentChar = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

// testDatabase returns a database name of its own for the calling test.
func testDatabase(tb testing.TB) string {
	name := nonIdentChar.ReplaceAllString(tb.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t%d_%s", databaseSeq.Add(1), name)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig(tb testing.TB, ch *testenv.ClickHouse) Config {
	cfg := DefaultConfig()
	cfg.Addr = ch.Addr()
	cfg.Database = testDatabase(tb)
	return cfg
}

// openClient opens a client on cfg and closes it when the test ends.
func openClient(tb testing.TB, cfg Config) *Client {
	tb.Helper()
	c, err := Open(context.Background(), cfg, discardLogger())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// migratedClient opens a client on a fresh, migrated database of the shared server.
func migratedClient(tb testing.TB) *Client {
	tb.Helper()
	c := openClient(tb, testConfig(tb, server))
	if err := c.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return c
}

func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

func queryUint64(tb testing.TB, c *Client, query string) uint64 {
	tb.Helper()
	var n uint64
	if err := c.conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// queryStrings is the first column of every row of query, in the order the server sends them.
func queryStrings(tb testing.TB, c *Client, query string) []string {
	tb.Helper()
	rs, err := c.conn.Query(context.Background(), query)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			tb.Fatalf("%s: %v", query, err)
		}
		out = append(out, s)
	}
	if err := rs.Err(); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return out
}
