package gen_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

// TestExpectedRowInvariants checks the expected rows against each other, without the bytes.
func TestExpectedRowInvariants(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		cfg := gen.DefaultConfig()
		cfg.Seed = seed
		e := generate(t, cfg).Expected
		facts := map[string]gen.MessageFact{}
		for _, f := range e.MessageFacts {
			if _, dup := facts[f.MsgID]; dup {
				t.Fatalf("seed %d: two facts for %s", seed, f.MsgID)
			}
			facts[f.MsgID] = f
		}
		byMsg := map[string][]gen.MessageReceipt{}
		for _, r := range e.MessageReceipts {
			f, ok := facts[r.MsgID]
			if !ok {
				t.Fatalf("seed %d: receipt row %+v for a message without a fact", seed, r)
			}
			if r.LatencyMs != max(r.AtMs-f.SentAtMs, 0) {
				t.Fatalf("seed %d: receipt row %+v: latency is not at_ms - sent_at_ms clamped", seed, r)
			}
			byMsg[r.MsgID] = append(byMsg[r.MsgID], r)
		}
		replies := map[string][]gen.MessageFact{}
		for _, f := range e.MessageFacts {
			if f.ParentMsgID != "" {
				if _, ok := facts[f.ParentMsgID]; !ok {
					t.Fatalf("seed %d: %s replies to a message without a fact", seed, f.MsgID)
				}
				replies[f.ParentMsgID] = append(replies[f.ParentMsgID], f)
			}
		}
		for _, f := range e.MessageFacts {
			checkFact(t, f, byMsg[f.MsgID], replies[f.MsgID])
		}
	}
}

func checkFact(t *testing.T, f gen.MessageFact, receipts []gen.MessageReceipt, replies []gen.MessageFact) {
	t.Helper()
	if f.Source != gen.Source || f.Tenant != "" || !slices.Contains(platforms, f.Platform) {
		t.Fatalf("source, tenant or platform wrong: %+v", f)
	}
	if !f.SentAt.Equal(time.UnixMilli(f.SentAtMs).Truncate(time.Second)) || f.SentAt.Location() != time.UTC {
		t.Fatalf("sent_at %v does not match sent_at_ms %d", f.SentAt, f.SentAtMs)
	}
	switch {
	case f.RecipientType == "group":
		if f.ConversationID != f.RecipientID || f.RecipientID == "" {
			t.Fatalf("group message with conversation %q and recipient %q", f.ConversationID, f.RecipientID)
		}
	case f.RecipientID == "":
		if f.ConversationID != f.SenderID {
			t.Fatalf("direct message without recipient has conversation %q", f.ConversationID)
		}
	default:
		pair := []string{f.SenderID, f.RecipientID}
		slices.Sort(pair)
		if f.ConversationID != strings.Join(pair, ":") {
			t.Fatalf("direct message has conversation %q", f.ConversationID)
		}
	}

	var delivered, read gen.NullInt64
	var failed, deleted bool
	seen := map[[2]string]bool{}
	for _, r := range receipts {
		if seen[[2]string{r.MemberID, r.Status}] {
			t.Fatalf("two rows for one receipt identity %+v", r)
		}
		seen[[2]string{r.MemberID, r.Status}] = true
		switch r.Status {
		case "read":
			read = lower(read, r.LatencyMs)
			delivered = lower(delivered, r.LatencyMs)
		case "delivered":
			delivered = lower(delivered, r.LatencyMs)
		case "failed":
			failed = true
		case "deleted":
			deleted = true
		}
	}
	if f.DeliveredLatencyMs != delivered || f.ReadLatencyMs != read || f.Failed != failed || f.Deleted != deleted {
		t.Fatalf("fact %+v disagrees with its receipt rows %+v", f, receipts)
	}
	if read.Valid && (read.Int64 < 0 || !delivered.Valid || delivered.Int64 > read.Int64) {
		t.Fatalf("read without an earlier delivery: %+v", f)
	}
	if delivered.Valid && delivered.Int64 < 0 {
		t.Fatalf("negative delivery latency: %+v", f)
	}

	var first gen.NullInt64
	for _, r := range replies {
		first = lower(first, max(r.SentAtMs-f.SentAtMs, 0))
	}
	if int(f.Replies) != len(replies) || f.FirstReplyLatencyMs != first {
		t.Fatalf("fact %+v disagrees with its %d replies", f, len(replies))
	}
	if f.Reactions > 3 {
		t.Fatalf("%d reactions, at most 3 are drawn per message", f.Reactions)
	}
}

func lower(cur gen.NullInt64, v int64) gen.NullInt64 {
	if cur.Valid && cur.Int64 <= v {
		return cur
	}
	return gen.NullInt64{Int64: v, Valid: true}
}
