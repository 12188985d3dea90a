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
