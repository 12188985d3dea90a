package sink

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/chatpulse/chatpulse/backoff"
	"github.com/chatpulse/chatpulse/rows"
)

// Client is a connection pool to one ClickHouse server and database. It is safe for
// concurrent use.
type Client struct {
	conn    driver.Conn
	db      string
	log     *slog.Logger
	version string
	// syncInsert is set on servers that know async_insert (21.11 and later), where it is turned
	// off for every insert: an acknowledged insert must already be in the table.
	syncInsert bool
	// cluster is Config.Cluster: empty for one server.
	cluster string
	// opts are the connection's options, from which a cluster client opens connections to
	// each shard (alterEachShard).
	opts clickhouse.Options
	// holder names the client in the migration lock (lockMigrations); migrating serializes
	// the client's own migrations, which share it.
	holder    string
	migrating sync.Mutex
	// lockBeat and lockPatience are the constants of the same names, shorter in tests.
	lockBeat, lockPatience time.Duration
}

// Open connects to ClickHouse over the native protocol and checks that the server answers. It
// connects to the "default" database, because the configured one may not exist before Migrate;
// every statement names the configured database itself. A nil log discards.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	password, _ := cfg.password() // checked by Validate
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	if cfg.TLS && cfg.TLSInsecureSkipVerify {
		log.Warn("CHATPULSE_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY is set: the server's certificate is not verified, anyone on the path can read and change the traffic")
	}
	opts := clickhouse.Options{
		Addr: []string{cfg.Addr},
		Auth: clickhouse.Auth{
			Database: "default",
			Username: cfg.User,
			Password: password.Reveal(),
		},
		TLS:         tlsCfg,
		DialTimeout: cfg.DialTimeout,
		Settings:    clusterSettings(cfg.Cluster),
	}
	conn, err := clickhouse.Open(&opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ping clickhouse %s as user %q: %w", cfg.Addr, cfg.User, err)
	}
	sv, err := conn.ServerVersion()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse %s server version: %w", cfg.Addr, err)
	}
	v := sv.Version
	c := &Client{
		conn:       conn,
		db:         cfg.Database,
		log:        log,
		version:    fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch),
		syncInsert: v.Major > 21 || v.Major == 21 && v.Minor >= 11,
		cluster:    cfg.Cluster,
		opts:       opts,

		holder:       newLockHolder(),
		lockBeat:     lockBeat,
		lockPatience: lockPatience,
	}
	log.Info("clickhouse connected", "addr", cfg.Addr, "user", cfg.User, "database", cfg.Database,
		"tls", cfg.TLS, "server", sv.Name, "version", c.version)
	return c, nil
}

// Ping checks that the server answers.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping clickhouse: %w", err)
	}
	return nil
}

// Connect opens a client and brings the schema up to date, like Open and Migrate, but waits for
// a server that cannot be reached yet: it retries with backoff, calling onRetry (when not nil)
// with each failure, until it succeeds, fails for good (wrong credentials, a refused
// statement) or ctx ends.
func Connect(ctx context.Context, cfg Config, log *slog.Logger, onRetry func(error)) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var c *Client
	// The attempts share one name in the migration lock, so that an attempt takes over the
	// lock of one that failed (its server went away) before it could release it.
	holder := newLockHolder()
	err := backoff.Retry(ctx, connectBackoff, func(ctx context.Context) error {
		client, err := Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		client.holder = holder
		if err := client.Migrate(ctx); err != nil {
			client.Close()
			return err
		}
		c = client
		return nil
	}, Retryable, func(attempt int, err error, wait time.Duration) {
		if onRetry != nil {
			onRetry(err)
		}
		log.Warn("clickhouse not reachable, retrying", "attempt", attempt, "backoff", wait, "err", err)
	})
	return c, err
}

// connectBackoff starts slower than an insert's retries: a server that is not up yet takes
// seconds to start.
var connectBackoff = backoff.Policy{Min: 500 * time.Millisecond, Max: 10 * time.Second}

// ServerVersion is the server's version as major.minor.patch.
func (c *Client) ServerVersion() string { return c.version }

// Close closes every connection of the pool.
func (c *Client) Close() error { return c.conn.Close() }

// Insert writes every non-empty table of set, one batch per table. A failed insert may have
// written some tables; inserting the same set again is harmless because the views collapse
// duplicates. Insert reorders each of set's slices in place (insert_order.go), so nothing else
// may use set during the call.
func (c *Client) Insert(ctx context.Context, set *rows.Set) error {
	var done tablesDone
	return c.insert(ctx, set, &done)
}

// tablesDone marks the tables of a set that are already written, so that a retry skips them.
type tablesDone [7]bool

func (c *Client) insert(ctx context.Context, set *rows.Set, done *tablesDone) error {
	ctx = c.insertContext(ctx)
	steps := [len(tablesDone{})]func() error{
		func() error { return insertTable(ctx, c, messagesTable, set.Messages) },
		func() error { return insertTable(ctx, c, receiptsTable, set.Receipts) },
		func() error { return insertTable(ctx, c, repliesTable, set.Replies) },
		func() error { return insertTable(ctx, c, reactionsTable, set.Reactions) },
		func() error { return insertTable(ctx, c, sessionsTable, set.Sessions) },
		func() error { return insertTable(ctx, c, membershipEventsTable, set.Memberships) },
		func() error { return insertTable(ctx, c, handoverEventsTable, set.Handovers) },
	}
	for i, step := range steps {
		if done[i] {
			continue
		}
		if err := step(); err != nil {
			return err
		}
		done[i] = true
	}
	return nil
}

func (c *Client) insertContext(ctx context.Context) context.Context {
	if !c.syncInsert {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"async_insert": 0}))
}

// table describes an internal table as the client inserts into it: the explicit column list
// (a batch without one inserts nothing on 18.16) and how to build each column from rows.
type table[R any] struct {
	name    string
	columns []column[R]
	// order is the order rows are sent in (insert_order.go).
	order func(a, b *R) int
}

type column[R any] struct {
	name string
	// build returns a slice of the column's Go type, one value per row, made in sc's memory: the
	// driver copies what a block is given, so one slice per type serves every column and block.
	build func(sc *columnScratch, rs []R) any
}

// columnScratch is the memory a block's columns are built in, reused from insert to insert.
type columnScratch struct {
	strings []string
	int64s  []int64
	uint64s []uint64
	uint32s []uint32
	uint8s  []uint8
}

// scratches keeps columnScratch values between inserts; Client is safe for concurrent use, so
// each insert takes its own.
var scratches = sync.Pool{New: func() any { return new(columnScratch) }}

// sized returns buf with length n, reusing its memory when it is large enough.
func sized[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

func stringColumn[R any](name string, f func(*R) string) column[R] {
	return column[R]{name, func(sc *columnScratch, rs []R) any {
		out := sized(sc.strings, len(rs))
		for i := range rs {
			out[i] = f(&rs[i])
		}
		sc.strings = out
		return out
	}}
}

func int64Column[R any](name string, f func(*R) int64) column[R] {
	return column[R]{name, func(sc *columnScratch, rs []R) any {
		out := sized(sc.int64s, len(rs))
		for i := range rs {
			out[i] = f(&rs[i])
		}
		sc.int64s = out
		return out
	}}
}

func uint32Column[R any](name string, f func(*R) uint32) column[R] {
	return column[R]{name, func(sc *columnScratch, rs []R) any {
		out := sized(sc.uint32s, len(rs))
		for i := range rs {
			out[i] = f(&rs[i])
		}
		sc.uint32s = out
		return out
	}}
}

func uint64Column[R any](name string, f func(*R) uint64) column[R] {
	return column[R]{name, func(sc *columnScratch, rs []R) any {
		out := sized(sc.uint64s, len(rs))
		for i := range rs {
			out[i] = f(&rs[i])
		}
		sc.uint64s = out
		return out
	}}
}

func boolColumn[R any](name string, f func(*R) bool) column[R] {
	return column[R]{name, func(sc *columnScratch, rs []R) any {
		out := sized(sc.uint8s, len(rs))
		for i := range rs {
			out[i] = 0
			if f(&rs[i]) {
				out[i] = 1
			}
		}
		sc.uint8s = out
		return out
	}}
}

// blockRows is how many rows an insert sends per block.
const blockRows = 8192

func insertTable[R any](ctx context.Context, c *Client, t table[R], rs []R) error {
	if len(rs) == 0 {
		return nil
	}
	sortRows(rs, t.order)
	names := make([]string, len(t.columns))
	for i, col := range t.columns {
		names[i] = col.name
	}
	query := "INSERT INTO " + c.db + "." + t.name + " (" + strings.Join(names, ", ") + ")"
	b, err := c.conn.PrepareBatch(ctx, query)
	if err != nil {
		return fmt.Errorf("insert %s: %w", t.name, err)
	}
	// The rows go as blocks of blockRows, each encoded into the same reused buffers, so the
	// encoded insert never holds more than one block; the server squashes the blocks of one
	// INSERT back into one part (min_insert_block_size_rows), so a large insert still makes one
	// part per partition and merges as little as before.
	sc := scratches.Get().(*columnScratch)
	defer scratches.Put(sc)
	for start := 0; start < len(rs); start += blockRows {
		chunk := rs[start:min(start+blockRows, len(rs))]
		for i, col := range t.columns {
			if err := b.Column(i).Append(col.build(sc, chunk)); err != nil {
				_ = b.Abort()
				return fmt.Errorf("insert %s: column %s: %w", t.name, col.name, err)
			}
		}
		if start+blockRows >= len(rs) {
			break // Send writes the last block
		}
		if err := b.Flush(); err != nil {
			_ = b.Abort()
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %s: %w", t.name, err)
	}
	return nil
}

var messagesTable = table[rows.Message]{name: "messages", order: messageOrder, columns: []column[rows.Message]{
	stringColumn("source", func(r *rows.Message) string { return r.Source }),
	stringColumn("tenant", func(r *rows.Message) string { return r.Tenant }),
	stringColumn("platform", func(r *rows.Message) string { return r.Platform }),
	stringColumn("msg_id", func(r *rows.Message) string { return r.MsgID }),
	stringColumn("conversation_id", func(r *rows.Message) string { return r.ConversationID }),
	stringColumn("sender_type", func(r *rows.Message) string { return r.SenderType }),
	stringColumn("sender_id", func(r *rows.Message) string { return r.SenderID }),
	stringColumn("recipient_type", func(r *rows.Message) string { return r.RecipientType }),
	stringColumn("recipient_id", func(r *rows.Message) string { return r.RecipientID }),
	stringColumn("parent_msg_id", func(r *rows.Message) string { return r.ParentMsgID }),
	stringColumn("content_type", func(r *rows.Message) string { return r.ContentType }),
	int64Column("sent_at_ms", func(r *rows.Message) int64 { return r.SentAtMs }),
	uint64Column("content_hash", func(r *rows.Message) uint64 { return r.ContentHash }),
	boolColumn("supersedes", func(r *rows.Message) bool { return r.Supersedes }),
}}

var receiptsTable = table[rows.Receipt]{name: "receipts", order: receiptOrder, columns: []column[rows.Receipt]{
	stringColumn("source", func(r *rows.Receipt) string { return r.Source }),
	stringColumn("tenant", func(r *rows.Receipt) string { return r.Tenant }),
	stringColumn("msg_id", func(r *rows.Receipt) string { return r.MsgID }),
	stringColumn("member_id", func(r *rows.Receipt) string { return r.MemberID }),
	stringColumn("status", func(r *rows.Receipt) string { return r.Status }),
	int64Column("at_ms", func(r *rows.Receipt) int64 { return r.AtMs }),
	int64Column("latency_ms", func(r *rows.Receipt) int64 { return r.LatencyMs }),
	int64Column("msg_sent_at_ms", func(r *rows.Receipt) int64 { return r.MsgSentAtMs }),
}}

var repliesTable = table[rows.Reply]{name: "replies", order: replyOrder, columns: []column[rows.Reply]{
	stringColumn("source", func(r *rows.Reply) string { return r.Source }),
	stringColumn("tenant", func(r *rows.Reply) string { return r.Tenant }),
	stringColumn("parent_msg_id", func(r *rows.Reply) string { return r.ParentMsgID }),
	stringColumn("reply_msg_id", func(r *rows.Reply) string { return r.ReplyMsgID }),
	int64Column("reply_at_ms", func(r *rows.Reply) int64 { return r.ReplyAtMs }),
	int64Column("latency_ms", func(r *rows.Reply) int64 { return r.LatencyMs }),
	int64Column("msg_sent_at_ms", func(r *rows.Reply) int64 { return r.MsgSentAtMs }),
}}

var reactionsTable = table[rows.Reaction]{name: "reactions", order: reactionOrder, columns: []column[rows.Reaction]{
	stringColumn("source", func(r *rows.Reaction) string { return r.Source }),
	stringColumn("tenant", func(r *rows.Reaction) string { return r.Tenant }),
	stringColumn("target_msg_id", func(r *rows.Reaction) string { return r.TargetMsgID }),
	stringColumn("actor_id", func(r *rows.Reaction) string { return r.ActorID }),
	stringColumn("emoji", func(r *rows.Reaction) string { return r.Emoji }),
	int64Column("at_ms", func(r *rows.Reaction) int64 { return r.AtMs }),
	boolColumn("present", func(r *rows.Reaction) bool { return r.Present }),
	int64Column("msg_sent_at_ms", func(r *rows.Reaction) int64 { return r.MsgSentAtMs }),
}}

var sessionsTable = table[rows.Session]{name: "sessions", order: sessionOrder, columns: []column[rows.Session]{
	stringColumn("source", func(r *rows.Session) string { return r.Source }),
	stringColumn("tenant", func(r *rows.Session) string { return r.Tenant }),
	stringColumn("platform", func(r *rows.Session) string { return r.Platform }),
	stringColumn("user_id", func(r *rows.Session) string { return r.UserID }),
	stringColumn("session_id", func(r *rows.Session) string { return r.SessionID }),
	int64Column("start_ms", func(r *rows.Session) int64 { return r.StartMs }),
	int64Column("end_ms", func(r *rows.Session) int64 { return r.EndMs }),
	uint32Column("messages", func(r *rows.Session) uint32 { return r.Messages }),
	uint32Column("user_messages", func(r *rows.Session) uint32 { return r.UserMessages }),
	boolColumn("closed", func(r *rows.Session) bool { return r.Closed }),
	uint64Column("version", func(r *rows.Session) uint64 { return r.Version }),
	boolColumn("deleted", func(r *rows.Session) bool { return r.Deleted }),
}}

var membershipEventsTable = table[rows.MembershipChange]{name: "membership_events", order: membershipOrder, columns: []column[rows.MembershipChange]{
	stringColumn("source", func(r *rows.MembershipChange) string { return r.Source }),
	stringColumn("tenant", func(r *rows.MembershipChange) string { return r.Tenant }),
	stringColumn("group_id", func(r *rows.MembershipChange) string { return r.GroupID }),
	stringColumn("member_id", func(r *rows.MembershipChange) string { return r.MemberID }),
	stringColumn("member_type", func(r *rows.MembershipChange) string { return r.MemberType }),
	stringColumn("action", func(r *rows.MembershipChange) string { return r.Action }),
	int64Column("at_ms", func(r *rows.MembershipChange) int64 { return r.AtMs }),
}}

var handoverEventsTable = table[rows.Handover]{name: "handover_events", order: handoverOrder, columns: []column[rows.Handover]{
	stringColumn("source", func(r *rows.Handover) string { return r.Source }),
	stringColumn("tenant", func(r *rows.Handover) string { return r.Tenant }),
	stringColumn("platform", func(r *rows.Handover) string { return r.Platform }),
	stringColumn("conversation_id", func(r *rows.Handover) string { return r.ConversationID }),
	stringColumn("user_id", func(r *rows.Handover) string { return r.UserID }),
	stringColumn("to_role", func(r *rows.Handover) string { return r.ToRole }),
	int64Column("at_ms", func(r *rows.Handover) int64 { return r.AtMs }),
}}
