package peers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

var update = flag.Bool("update", false, "rewrite the golden rows from chatpulse's output")

// inputRecord is one raw record of the golden input: its Kafka timestamp and its value.
type inputRecord struct {
	Timestamp int64  `json:"timestamp"`
	Value     string `json:"value"`
}

// factsRow is a message_facts row in the JSON the peers write, columns in contract order.
type factsRow struct {
	Source              string `json:"source"`
	Tenant              string `json:"tenant"`
	Platform            string `json:"platform"`
	MsgID               string `json:"msg_id"`
	ConversationID      string `json:"conversation_id"`
	SenderType          string `json:"sender_type"`
	SenderID            string `json:"sender_id"`
	RecipientType       string `json:"recipient_type"`
	RecipientID         string `json:"recipient_id"`
	ParentMsgID         string `json:"parent_msg_id"`
	ContentType         string `json:"content_type"`
	SentAt              string `json:"sent_at"`
	SentAtMs            int64  `json:"sent_at_ms"`
	DeliveredLatencyMs  *int64 `json:"delivered_latency_ms"`
	ReadLatencyMs       *int64 `json:"read_latency_ms"`
	Failed              uint8  `json:"failed"`
	Deleted             uint8  `json:"deleted"`
	Replies             uint32 `json:"replies"`
	FirstReplyLatencyMs *int64 `json:"first_reply_latency_ms"`
	Reactions           uint32 `json:"reactions"`
}

// deadLetter names a golden input line (1-based) that chatpulse sends to the dead-letter topic.
type deadLetter struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// TestGoldenRowsAreChatpulses runs the hand-made golden input through chatpulse's decoder, router and
// join state in input order and folds the rows they yield as the message_facts view does
// (sink/schema.go), so the golden the peers are held to is chatpulse's own answer.
func TestGoldenRowsAreChatpulses(t *testing.T) {
	dir := "testdata"
	facts, dead := chatpulseRows(t, readInput(t, filepath.Join(dir, "causalfoundry.jsonl")))
	if len(facts) == 0 || len(dead) == 0 {
		t.Fatalf("the golden input yields %d rows and %d dead letters; it must exercise both", len(facts), len(dead))
	}
	compareOrWrite(t, filepath.Join(dir, "message_facts.jsonl"), facts)
	compareOrWrite(t, filepath.Join(dir, "dead_letters.jsonl"), dead)
}

// generatedConfig is a few thousand records of the benchmark's generator: duplicates, out-of-order,
// late and skewed receipts, orphans, reactions, replies and poison.
func generatedConfig() gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Seed = 13
	cfg.Users = 40
	cfg.Groups = 6
	cfg.Messages = 300
	return cfg
}

// TestGeneratedGoldenRowsAreChatpulsesAndTheGenerators writes a generated Causal Foundry input and
// the rows chatpulse derives from it, and checks those rows against the generator's own model.
func TestGeneratedGoldenRowsAreChatpulsesAndTheGenerators(t *testing.T) {
	dir := filepath.Join("testdata", "generated")
	ds, err := gen.CausalFoundry(generatedConfig())
	if err != nil {
		t.Fatal(err)
	}
	input := make([]inputRecord, len(ds.Records))
	for i, r := range ds.Records {
		input[i] = inputRecord{Timestamp: r.TimestampMs, Value: string(r.Value)}
	}
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	inputPath := filepath.Join(dir, "causalfoundry.jsonl")
	compareOrWrite(t, inputPath, input)
	// chatpulse reads the file the peers read, byte for byte
	facts, dead := chatpulseRows(t, readInput(t, inputPath))
	if len(dead) != ds.Poison {
		t.Errorf("chatpulse dead-letters %d records, the generator made %d poison", len(dead), ds.Poison)
	}
	want := make([]factsRow, len(ds.Expected.MessageFacts))
	for i, f := range ds.Expected.MessageFacts {
		want[i] = fromGenerator(f)
	}
	slices.SortFunc(want, func(a, b factsRow) int { return cmpString(a.MsgID, b.MsgID) })
	if !slices.EqualFunc(facts, want, func(a, b factsRow) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("chatpulse's %d rows differ from the generator's %d", len(facts), len(want))
	}
	compareOrWrite(t, filepath.Join(dir, "message_facts.jsonl"), facts)
	compareOrWrite(t, filepath.Join(dir, "dead_letters.jsonl"), dead)
}

func fromGenerator(f gen.MessageFact) factsRow {
	r := factsRow{Source: f.Source, Tenant: f.Tenant, Platform: f.Platform, MsgID: f.MsgID,
		ConversationID: f.ConversationID, SenderType: f.SenderType, SenderID: f.SenderID,
		RecipientType: f.RecipientType, RecipientID: f.RecipientID, ParentMsgID: f.ParentMsgID,
		ContentType: f.ContentType, SentAt: f.SentAt.UTC().Format(time.DateTime), SentAtMs: f.SentAtMs,
		DeliveredLatencyMs: nullable(f.DeliveredLatencyMs), ReadLatencyMs: nullable(f.ReadLatencyMs),
		Replies: f.Replies, FirstReplyLatencyMs: nullable(f.FirstReplyLatencyMs), Reactions: f.Reactions}
	if f.Failed {
		r.Failed = 1
	}
	if f.Deleted {
		r.Deleted = 1
	}
	return r
}

func nullable(n gen.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// chatpulseRows decodes, routes and joins input in order with chatpulse's own code and returns the
// message_facts rows and the dead letters.
func chatpulseRows(t *testing.T, input []inputRecord) ([]factsRow, []deadLetter) {
	t.Helper()
	state := join.New(join.DefaultConfig())
	var out rows.Set
	var dead []deadLetter
	var events []event.Event
	var targets []route.Target
	for i, rec := range input {
		var err error
		events, err = decode.Decode(decode.FormatCausalFoundry, decode.Record{Value: []byte(rec.Value), TimestampMs: rec.Timestamp}, events[:0])
		if err != nil {
			var de *decode.Error
			if !errors.As(err, &de) {
				t.Fatalf("line %d: decode failed without a reason: %v", i+1, err)
			}
			dead = append(dead, deadLetter{Line: i + 1, Reason: string(de.Reason)})
			continue
		}
		for j := range events {
			targets = route.Targets(&events[j], targets[:0])
			for _, tg := range targets {
				switch tg.Kind {
				case route.KindMessage, route.KindReply, route.KindReceipt, route.KindReaction, route.KindReactionSet:
					state.Apply(tg.Kind, &events[j], &out)
				}
			}
		}
	}
	return messageFacts(&out), dead
}

// messageFacts folds rows into one row per message, as the message_facts view does.
func messageFacts(out *rows.Set) []factsRow {
	byID := map[string]*factsRow{}
	for _, m := range out.Messages {
		if r, ok := byID[m.MsgID]; ok && r.SentAtMs <= m.SentAtMs {
			continue // the earliest send time wins
		}
		byID[m.MsgID] = &factsRow{Source: m.Source, Tenant: m.Tenant, Platform: m.Platform, MsgID: m.MsgID,
			ConversationID: m.ConversationID, SenderType: m.SenderType, SenderID: m.SenderID,
			RecipientType: m.RecipientType, RecipientID: m.RecipientID, ParentMsgID: m.ParentMsgID,
			ContentType: m.ContentType, SentAt: time.UnixMilli(m.SentAtMs).UTC().Format(time.DateTime), SentAtMs: m.SentAtMs}
	}
	for _, r := range out.Receipts {
		f := byID[r.MsgID]
		switch r.Status {
		case "delivered", "read":
			f.DeliveredLatencyMs = minPtr(f.DeliveredLatencyMs, r.LatencyMs)
			if r.Status == "read" {
				f.ReadLatencyMs = minPtr(f.ReadLatencyMs, r.LatencyMs)
			}
		case "failed":
			f.Failed = 1
		case "deleted":
			f.Deleted = 1
		}
	}
	replyIDs := map[string]map[string]bool{}
	for _, r := range out.Replies {
		f := byID[r.ParentMsgID]
		if replyIDs[r.ParentMsgID] == nil {
			replyIDs[r.ParentMsgID] = map[string]bool{}
		}
		replyIDs[r.ParentMsgID][r.ReplyMsgID] = true
		f.Replies = uint32(len(replyIDs[r.ParentMsgID]))
		f.FirstReplyLatencyMs = minPtr(f.FirstReplyLatencyMs, r.LatencyMs)
	}
	// the latest row of each (target, actor, emoji) by (at_ms, 1 - present): a removal wins a tie
	type reactionKey struct{ target, actor, emoji string }
	latest := map[reactionKey]rows.Reaction{}
	for _, r := range out.Reactions {
		k := reactionKey{r.TargetMsgID, r.ActorID, r.Emoji}
		if prev, ok := latest[k]; !ok || r.AtMs > prev.AtMs || (r.AtMs == prev.AtMs && prev.Present && !r.Present) {
			latest[k] = r
		}
	}
	for k, r := range latest {
		if r.Present {
			byID[k.target].Reactions++
		}
	}
	facts := make([]factsRow, 0, len(byID))
	for _, f := range byID {
		facts = append(facts, *f)
	}
	slices.SortFunc(facts, func(a, b factsRow) int { return cmpString(a.MsgID, b.MsgID) })
	return facts
}

func minPtr(cur *int64, v int64) *int64 {
	if cur != nil && *cur <= v {
		return cur
	}
	return &v
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func readInput(t *testing.T, path string) []inputRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []inputRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		var r inputRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", path, len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// compareOrWrite compares v, one JSON object a line, with the golden file, or rewrites it with -update.
func compareOrWrite[T any](t *testing.T, path string, v []T) {
	t.Helper()
	var buf bytes.Buffer
	for _, x := range v {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from chatpulse's output:\n%s", path, diffLines(string(want), buf.String()))
	}
}

func diffLines(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	var b bytes.Buffer
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			fmt.Fprintf(&b, "line %d\n  golden:    %s\n  chatpulse: %s\n", i+1, w, g)
		}
	}
	return b.String()
}
