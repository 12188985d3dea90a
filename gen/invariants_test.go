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
	for _, format := range allFormats {
		for _, seed := range []int64{1, 2, 3} {
			cfg := gen.DefaultConfig()
			cfg.Seed = seed
			e := generateFormat(t, format, cfg).Expected
			key := func(source, tenant, id string) string { return source + "\x00" + tenant + "\x00" + id }
			facts := map[string]gen.MessageFact{}
			for _, f := range e.MessageFacts {
				k := key(f.Source, f.Tenant, f.MsgID)
				if _, dup := facts[k]; dup {
					t.Fatalf("%s seed %d: two facts for %s", format, seed, f.MsgID)
				}
				facts[k] = f
			}
			byMsg := map[string][]gen.MessageReceipt{}
			for _, r := range e.MessageReceipts {
				k := key(r.Source, r.Tenant, r.MsgID)
				f, ok := facts[k]
				if !ok {
					t.Fatalf("%s seed %d: receipt row %+v for a message without a fact", format, seed, r)
				}
				if r.LatencyMs != max(r.AtMs-f.SentAtMs, 0) {
					t.Fatalf("%s seed %d: receipt row %+v: latency is not at_ms - sent_at_ms clamped", format, seed, r)
				}
				byMsg[k] = append(byMsg[k], r)
			}
			replies := map[string][]gen.MessageFact{}
			for _, f := range e.MessageFacts {
				if f.ParentMsgID != "" {
					k := key(f.Source, f.Tenant, f.ParentMsgID)
					if _, ok := facts[k]; !ok {
						t.Fatalf("%s seed %d: %s replies to a message without a fact", format, seed, f.MsgID)
					}
					replies[k] = append(replies[k], f)
				}
			}
			for k, f := range facts {
				checkFact(t, f, byMsg[k], replies[k])
			}
		}
	}
}

func checkFact(t *testing.T, f gen.MessageFact, receipts []gen.MessageReceipt, replies []gen.MessageFact) {
	t.Helper()
	if !f.SentAt.Equal(time.UnixMilli(f.SentAtMs).Truncate(time.Second)) || f.SentAt.Location() != time.UTC {
		t.Fatalf("sent_at %v does not match sent_at_ms %d", f.SentAt, f.SentAtMs)
	}
	switch f.Source {
	case gen.FormatCausalFoundry:
		checkCausalFoundryFact(t, f)
	case gen.FormatExpertflow:
		if f.Tenant != "" || !slices.Contains(efChannels, f.Platform) || f.ParentMsgID != "" || len(receipts) > 0 || f.Reactions > 0 ||
			(f.RecipientType == "group") != (f.RecipientID == f.ConversationID) || f.RecipientID == "" {
			t.Fatalf("not an Expertflow fact: %+v", f)
		}
	case gen.FormatChatlayer:
		fromUser := f.SenderType == "user"
		if f.Tenant != "" || f.Platform != "other" || f.ParentMsgID != "" || len(receipts) > 0 || f.Reactions > 0 ||
			f.RecipientType != "user" || fromUser != (f.RecipientID == "") || (fromUser && f.SenderID != f.ConversationID) ||
			(!fromUser && f.RecipientID != f.ConversationID) || !slices.Contains([]string{"text", "postback", "upload"}, f.ContentType) {
			t.Fatalf("not a Chatlayer fact: %+v", f)
		}
	case gen.FormatVoipbin:
		if f.Tenant == "" || f.Platform != "other" || f.RecipientType != "group" || f.RecipientID != f.ConversationID ||
			len(receipts) > 1 || (len(receipts) == 1 && (receipts[0].Status != "deleted" || receipts[0].MemberID != "")) ||
			(f.SenderType == "system") != (f.ContentType == "system") || f.Reactions > 4 {
			t.Fatalf("not a VoIPbin fact: %+v with receipts %+v", f, receipts)
		}
	default:
		t.Fatalf("unknown source %q", f.Source)
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
}

func checkCausalFoundryFact(t *testing.T, f gen.MessageFact) {
	t.Helper()
	if f.Tenant != "" || !slices.Contains(platforms, f.Platform) {
		t.Fatalf("tenant or platform wrong: %+v", f)
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
