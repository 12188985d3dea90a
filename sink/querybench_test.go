package sink

import (
	"testing"
	"time"
)

// TestSyntheticLoadWritesWhatThePipelineWrites loads four days of synthetic traffic and checks
// that the contract views see every message once, with its replies, reactions and sessions,
// and that every state row is filed under a day of the range.
func TestSyntheticLoadWritesWhatThePipelineWrites(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := c.LoadSynthetic(ctx, SyntheticLoad{Messages: 4000, Days: 4, End: end}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query string
		want  uint64
	}{
		{"SELECT count() FROM {db}.message_facts", 4000},
		{"SELECT countIf(replies > 0) FROM {db}.message_facts", 800},
		{"SELECT countIf(reactions > 0) FROM {db}.message_facts", 200},
		{"SELECT uniqExact(toDate(sent_at_ms / 1000, 'UTC')) FROM {db}.message_facts", 4},
		{"SELECT count() FROM {db}.message_state WHERE day < toDate('2026-11-27') OR day > toDate('2026-11-30')", 0},
		{"SELECT count() FROM {db}.user_sessions", 1000},
	} {
		if got := queryUint64(t, c, expand(c.db, []string{tt.query})[0]); got != tt.want {
			t.Errorf("%s = %d, want %d", tt.query, got, tt.want)
		}
	}
	n, err := c.RowsWrittenBetween(ctx, end.Add(-24*time.Hour).UnixMilli(), end.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no rows written about the last day")
	}
}

// TestWaitForMergesReturnsOnlyAfterARunningMergeEnds merges two large parts while it waits:
// the wait must not end before the table has one part, although its quiet window is far
// shorter than the merge.
func TestWaitForMergesReturnsOnlyAfterARunningMergeEnds(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	stmts := []string{
		"CREATE TABLE " + c.db + ".merging (s String) ENGINE = MergeTree ORDER BY s",
		"INSERT INTO " + c.db + ".merging SELECT concat(toString(rand64()), toString(number)) FROM system.numbers LIMIT 1500000",
		"INSERT INTO " + c.db + ".merging SELECT concat(toString(rand64()), toString(number)) FROM system.numbers LIMIT 1500000",
	}
	for _, s := range stmts {
		if err := c.conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	merged := make(chan error, 1)
	go func() { merged <- c.conn.Exec(ctx, "OPTIMIZE TABLE "+c.db+".merging FINAL") }()
	for queryUint64(t, c, "SELECT count() FROM system.merges WHERE database = '"+c.db+"'") == 0 {
		select {
		case err := <-merged:
			t.Fatalf("the merge ended before it was seen (%v); make the parts larger", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := c.WaitForMerges(ctx, 50*time.Millisecond, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if n := queryUint64(t, c, "SELECT count() FROM system.parts WHERE active AND database = '"+c.db+"' AND table = 'merging'"); n != 1 {
		t.Fatalf("the wait ended with %d parts, want 1", n)
	}
	if err := <-merged; err != nil {
		t.Fatal(err)
	}
}
