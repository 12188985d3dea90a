package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The query benchmark (make bench-queries) loads synthetic traffic straight into the internal
// tables, as the writer would insert it, and measures queries from system.query_log. It is a
// measuring tool, not part of the pipeline.

// SyntheticLoad describes the traffic LoadSynthetic writes: Messages messages spread evenly
// over Days days that end at End (UTC), with their receipts, replies, reactions, sessions,
// membership events and handovers.
type SyntheticLoad struct {
	Messages int
	Days     int
	End      time.Time
}

// MigrateTo applies the schema migrations up to and including version; the benchmark uses it
// to measure an older schema.
func (c *Client) MigrateTo(ctx context.Context, version uint32) error {
	return c.migrateTo(ctx, version)
}

// LoadSynthetic inserts l's traffic with INSERT ... SELECT FROM numbers() on the server. The
// rows have the shape the processor writes: per message a delivered or failed receipt and for
// most a read, a reply for every fifth message, a reaction for every twentieth; a session per
// four messages, every user a member of one group, a handover per hundred messages. When the
// schema has no message time on receipts, replies and reactions (version 2), it is left out.
func (c *Client) LoadSynthetic(ctx context.Context, l SyntheticLoad) error {
	withMsgTime, err := c.hasColumn(ctx, "receipts", "msg_sent_at_ms")
	if err != nil {
		return err
	}
	// Chunks keep each insert well within the client's read timeout.
	const chunk = 1_000_000
	for off := 0; off < l.Messages; off += chunk {
		for _, stmt := range syntheticInserts(c.db, l, withMsgTime, off, min(chunk, l.Messages-off)) {
			if err := c.conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("load synthetic: %w", err)
			}
		}
	}
	return nil
}

// hasColumn reports whether the server's table in the client's database has column.
func (c *Client) hasColumn(ctx context.Context, table, column string) (bool, error) {
	var n uint64
	err := c.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
		c.db, table, column).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read columns of %s: %w", table, err)
	}
	return n > 0, nil
}

// syntheticInserts writes messages [off, off+cnt) of l and what belongs to them; the chunk at
// offset 0 also writes the membership events. off and cnt must be multiples of 100 unless the
// chunk is the last one.
func syntheticInserts(db string, l SyntheticLoad, withMsgTime bool, off, cnt int) []string {
	n := int64(l.Messages)
	span := int64(l.Days) * 86_400_000
	start := l.End.UnixMilli() - span
	users := max(n/40, 10)
	groups := max(users/50, 5)
	// sent(x) is message x's send time: evenly spread with up to a second of jitter.
	sent := func(x string) string {
		return fmt.Sprintf("(%d + intDiv(%s * %d, %d) + intHash32(%s) %% 1000)", start, x, span, n, x)
	}
	r := strings.NewReplacer(
		"{db}", db, "{n}", fmt.Sprint(n), "{users}", fmt.Sprint(users), "{groups}", fmt.Sprint(groups),
		"{start}", fmt.Sprint(start), "{span}", fmt.Sprint(span),
		"{off}", fmt.Sprint(off), "{cnt}", fmt.Sprint(cnt),
		"{sent_i}", sent("i"), "{sent_p}", sent("(i - 1)"))
	msgTimeCol, msgTime, parentTime := "", "", ""
	if withMsgTime {
		msgTimeCol, msgTime, parentTime = ", msg_sent_at_ms", ", {sent_i}", ", {sent_p}"
	}
	// u is the message's user, which fixes its source, tenant, platform and conversation.
	const user = `intHash32(i * 7) % {users}`
	memb := `INSERT INTO {db}.membership_events (source, tenant, group_id, member_id, member_type, action, at_ms)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)), concat('g', toString(u % {groups})),
    concat('u', toString(u)), 'user', if(k = 0, 'join', 'leave'),
    {start} + intDiv(u * {span}, {users}) + k * 86400000
FROM (SELECT intDiv(number, 2) AS u, number % 2 AS k FROM numbers({users} * 2))
WHERE k = 0 OR u % 10 = 0`
	stmts := []string{
		`INSERT INTO {db}.messages (source, tenant, platform, msg_id, conversation_id, sender_type,
    sender_id, recipient_type, recipient_id, parent_msg_id, content_type, sent_at_ms)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)),
    ['web', 'whatsapp', 'telegram', 'sms'][u % 4 + 1], concat('m', toString(i)),
    if(i % 10 = 3, concat('g', toString(u % {groups})), concat('c', toString(u))),
    multiIf(i % 4 = 0, 'bot', i % 9 = 1, 'agent', 'user'),
    multiIf(i % 4 = 0, 'b1', i % 9 = 1, concat('a', toString(i % 20)), concat('u', toString(u))),
    if(i % 10 = 3, 'group', 'user'),
    if(i % 10 = 3, concat('g', toString(u % {groups})), if(i % 4 = 0, concat('u', toString(u)), 'b1')),
    if(i % 5 = 2, concat('m', toString(i - 1)), ''), 'text', {sent_i}
FROM (SELECT number AS i, ` + user + ` AS u FROM numbers({off}, {cnt}))`,

		`INSERT INTO {db}.receipts (source, tenant, msg_id, member_id, status, at_ms, latency_ms` + msgTimeCol + `)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)), concat('m', toString(i)),
    concat('u', toString(u)), status, {sent_i} + latency, latency` + msgTime + `
FROM (
    SELECT intDiv(number, 2) AS i, ` + user + ` AS u, intHash32(number) % 5000 AS latency,
        multiIf(number % 2 = 0 AND intHash32(i) % 100 < 98, 'delivered', number % 2 = 0, 'failed',
            intHash32(i) % 100 < 60, 'read', '') AS status
    FROM numbers({off} * 2, {cnt} * 2)
)
WHERE status != ''`,

		`INSERT INTO {db}.replies (source, tenant, parent_msg_id, reply_msg_id, reply_at_ms, latency_ms` + msgTimeCol + `)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)), concat('m', toString(i - 1)),
    concat('m', toString(i)), {sent_i}, greatest({sent_i} - {sent_p}, 0)` + parentTime + `
FROM (SELECT number AS i, intHash32((number - 1) * 7) % {users} AS u FROM numbers({off}, {cnt}) WHERE i % 5 = 2)`,

		`INSERT INTO {db}.reactions (source, tenant, target_msg_id, actor_id, emoji, at_ms, present` + msgTimeCol + `)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)), concat('m', toString(i)),
    concat('u', toString((u + 1) % {users})), ['👍', '❤️'][i % 2 + 1], {sent_i} + 5000, 1` + msgTime + `
FROM (SELECT number AS i, ` + user + ` AS u FROM numbers({off}, {cnt}) WHERE i % 20 = 0)`,

		`INSERT INTO {db}.sessions (source, tenant, platform, user_id, session_id, start_ms, end_ms,
    messages, user_messages, closed, version, deleted)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)),
    ['web', 'whatsapp', 'telegram', 'sms'][u % 4 + 1], concat('u', toString(u)), concat('s', toString(j)),
    {start} + intDiv(j * {span}, intDiv({n}, 4)), {start} + intDiv(j * {span}, intDiv({n}, 4)) + 600000,
    4, 2, 1, 1, 0
FROM (SELECT number AS j, intHash32(number * 11) % {users} AS u FROM numbers(intDiv({off}, 4), intDiv({cnt}, 4)))`,

		`INSERT INTO {db}.handover_events (source, tenant, platform, conversation_id, user_id, to_role, at_ms)
SELECT if(u % 10 = 9, 'voipbin', 'causalfoundry'), concat('t', toString(u % 3)),
    ['web', 'whatsapp', 'telegram', 'sms'][u % 4 + 1], concat('c', toString(u)), concat('u', toString(u)),
    if(i % 3 = 0, 'bot', 'agent'), {sent_i} + 1000
FROM (SELECT number * 100 AS i, ` + user + ` AS u FROM numbers(intDiv({off}, 100), intDiv({cnt}, 100)))`,
	}
	if off == 0 {
		stmts = append(stmts, memb)
	}
	for i, s := range stmts {
		// Twice, because a placeholder may expand to text holding another ({sent_i} has none).
		stmts[i] = r.Replace(r.Replace(s))
	}
	return stmts
}

// QueryStat is what system.query_log recorded of one finished query.
type QueryStat struct {
	Duration    time.Duration
	ReadRows    uint64
	MemoryBytes uint64
	ResultRows  uint64
}

// MeasureQuery runs query, reads its whole result and returns what system.query_log recorded.
func (c *Client) MeasureQuery(ctx context.Context, query string) (QueryStat, error) {
	var st QueryStat
	id := randomHex(16)
	qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	rs, err := c.conn.Query(qctx, query)
	if err != nil {
		return st, err
	}
	for rs.Next() {
	}
	if err := rs.Err(); err != nil {
		rs.Close()
		return st, err
	}
	rs.Close()
	// The server logs a query's end after the client has read its result, so the entry may
	// take a moment to appear.
	var ms uint64
	for attempt := 0; ; attempt++ {
		if err := c.conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			return st, fmt.Errorf("flush logs: %w", err)
		}
		err = c.conn.QueryRow(ctx, `SELECT toUInt64(query_duration_ms), toUInt64(read_rows), toUInt64(memory_usage), toUInt64(result_rows)
FROM system.query_log WHERE query_id = ? AND type = 2 LIMIT 1`, id).Scan(&ms, &st.ReadRows, &st.MemoryBytes, &st.ResultRows)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) || attempt == 20 {
			return st, fmt.Errorf("read query log: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st.Duration = time.Duration(ms) * time.Millisecond
	return st, nil
}

// CountRows is the number of rows of table.
func (c *Client) CountRows(ctx context.Context, table string) (uint64, error) {
	if !identifier.MatchString(table) {
		return 0, fmt.Errorf("count rows: %q is not an identifier", table)
	}
	var n uint64
	if err := c.conn.QueryRow(ctx, "SELECT count() FROM "+c.db+"."+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}

// DropDatabase drops the client's database and everything in it.
func (c *Client) DropDatabase(ctx context.Context) error {
	if err := c.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+c.db); err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	return nil
}

// RowsWrittenBetween is how many rows the pipeline wrote about [fromMs, toMs): messages sent,
// receipts, replies and reactions made, sessions started and handovers made in it.
func (c *Client) RowsWrittenBetween(ctx context.Context, fromMs, toMs int64) (uint64, error) {
	var total uint64
	for _, tc := range [][2]string{
		{"messages", "sent_at_ms"}, {"receipts", "at_ms"}, {"replies", "reply_at_ms"}, {"reactions", "at_ms"},
		{"sessions", "start_ms"}, {"handover_events", "at_ms"},
	} {
		var n uint64
		q := fmt.Sprintf("SELECT count() FROM %s.%s WHERE %s >= %d AND %s < %d", c.db, tc[0], tc[1], fromMs, tc[1], toMs)
		if err := c.conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return 0, fmt.Errorf("count rows of %s: %w", tc[0], err)
		}
		total += n
	}
	return total, nil
}

// OptimizeByDay merges the parts of every partition of the tables partitioned by day
// (message_state, session_days), one partition at a time, as background merges would in
// time. The unpartitioned tables behind the whole-history views are left as loaded.
func (c *Client) OptimizeByDay(ctx context.Context) error {
	rs, err := c.conn.Query(ctx, `SELECT DISTINCT table, partition FROM system.parts
WHERE database = ? AND active AND partition != 'tuple()' ORDER BY table, partition`, c.db)
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	var parts [][2]string
	for rs.Next() {
		var t, p string
		if err := rs.Scan(&t, &p); err != nil {
			rs.Close()
			return fmt.Errorf("list partitions: %w", err)
		}
		parts = append(parts, [2]string{t, p})
	}
	rs.Close()
	for _, tp := range parts {
		if !identifier.MatchString(tp[0]) || strings.Trim(tp[1], "0123456789") != "" {
			return fmt.Errorf("optimize: unexpected partition %s of %s", tp[1], tp[0])
		}
		if err := c.conn.Exec(ctx, "OPTIMIZE TABLE "+c.db+"."+tp[0]+" PARTITION "+tp[1]+" FINAL"); err != nil {
			return fmt.Errorf("optimize %s partition %s: %w", tp[0], tp[1], err)
		}
	}
	return nil
}

// WaitForMerges returns once no background merge of the database has run for quiet, polling
// system.merges every poll. A load leaves the unpartitioned tables to background merges that
// take minutes at 10M messages and would share the cores with the queries measured after it.
func (c *Client) WaitForMerges(ctx context.Context, quiet, poll time.Duration) error {
	var since time.Time
	for {
		var n uint64
		if err := c.conn.QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = ?", c.db).Scan(&n); err != nil {
			return fmt.Errorf("count merges: %w", err)
		}
		switch {
		case n > 0:
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= quiet:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for merges: %w", ctx.Err())
		case <-time.After(poll):
		}
	}
}
