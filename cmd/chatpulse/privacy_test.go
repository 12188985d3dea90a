package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// contentKeys are the JSON keys that carry what people wrote or sent, or their names, in any
// input format: none of their values may reach ClickHouse.
var contentKeys = map[string]bool{
	"text": true, "caption": true, "title": true, "payload": true, "url": true, "urls": true,
	"base64": true, "input": true, "name": true, "firstname": true, "lastname": true, "alias": true,
	"filename": true, "file_name": true, "link": true, "media_url": true, "mediaurl": true,
}

// privacyInput is every raw record of the test by topic, with its format.
type privacyInput struct {
	topics  processor.TopicFormats
	records map[string][]processor.RawRecord
}

func loadPrivacyInput(t *testing.T) privacyInput {
	t.Helper()
	in := privacyInput{topics: processor.TopicFormats{}, records: map[string][]processor.RawRecord{}}
	seeds, err := filepath.Glob("../../decode/testdata/*/seed.jsonl")
	if err != nil || len(seeds) != 4 {
		t.Fatalf("seeds %v, %v", seeds, err)
	}
	for _, path := range seeds {
		name := filepath.Base(filepath.Dir(path))
		f, err := decode.ParseFormat(name)
		if err != nil {
			t.Fatal(err)
		}
		topic := "seed." + name
		in.topics[topic] = f
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) > 0 {
				in.records[topic] = append(in.records[topic], processor.RawRecord{Value: append([]byte(nil), sc.Bytes()...), TimestampMs: 1700000000000})
			}
		}
	}
	gcfg := gen.DefaultConfig()
	gcfg.Messages, gcfg.Days, gcfg.Users, gcfg.Groups = 400, 3, 20, 4
	data, err := gen.Engagement(gcfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range data.Records {
		topic := "gen." + r.Format
		if _, ok := in.topics[topic]; !ok {
			f, err := decode.ParseFormat(r.Format)
			if err != nil {
				t.Fatal(err)
			}
			in.topics[topic] = f
		}
		in.records[topic] = append(in.records[topic], processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs})
	}
	return in
}

// contentValues are the values of contentKeys anywhere in the records, four bytes or longer
// (shorter ones, like "Hi", occur inside ids and hashes by chance).
func (in privacyInput) contentValues() map[string]bool {
	out := map[string]bool{}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(strings.ToLower(k), x)
			}
		case []any:
			for _, x := range v {
				walk(key, x)
			}
		case string:
			if contentKeys[key] && len(v) >= 4 && v != "undefined" {
				out[v] = true
			}
		}
	}
	for _, recs := range in.records {
		for _, r := range recs {
			var v any
			if json.Unmarshal(r.Value, &v) == nil {
				walk("", v)
			}
		}
	}
	return out
}

// decoded calls f with every event the records decode to.
func (in privacyInput) decoded(f func(event.Event)) {
	for topic, recs := range in.records {
		for _, r := range recs {
			evs, err := decode.Decode(in.topics[topic], decode.Record{Value: r.Value, TimestampMs: max(r.TimestampMs, 1700000000000)}, nil)
			if err != nil {
				continue
			}
			for _, ev := range evs {
				f(ev)
			}
		}
	}
}

// emojis are the reactions' emoji, which the rows keep by design even where a format sends
// them in a text field.
func (in privacyInput) emojis() map[string]bool {
	out := map[string]bool{}
	in.decoded(func(ev event.Event) {
		out[ev.Reaction.Emoji] = true
		for _, it := range ev.Reactions.Items {
			out[it.Emoji] = true
		}
	})
	return out
}

// userIDs are the user, member and actor ids the decoders find in the records. A role name
// that stands for an unnamed bot or agent (Chatlayer's "bot") names no one and is left out.
func (in privacyInput) userIDs() map[string]bool {
	out := map[string]bool{}
	for topic, recs := range in.records {
		for _, r := range recs {
			evs, err := decode.Decode(in.topics[topic], decode.Record{Value: r.Value, TimestampMs: max(r.TimestampMs, 1700000000000)}, nil)
			if err != nil {
				continue
			}
			for _, ev := range evs {
				ids := []string{string(ev.Message.Sender.ID), string(ev.Receipt.Member), string(ev.Reaction.Actor.ID),
					string(ev.Membership.Member.ID), string(ev.Handover.User)}
				if ev.Message.Recipient.Type == event.RecipientUser {
					ids = append(ids, ev.Message.Recipient.ID)
				}
				for _, it := range ev.Reactions.Items {
					ids = append(ids, string(it.Actor.ID))
				}
				for _, id := range ids {
					if _, role := event.ParseRole(id); id != "" && !role {
						out[id] = true
					}
				}
			}
		}
	}
	return out
}

// runPrivacyPipeline runs every record through one worker into database and returns the text
// of every column of every table and view there, by "table.column".
func runPrivacyPipeline(t *testing.T, kafka *testenv.Kafka, ch *testenv.ClickHouse, in privacyInput, database, key string) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := testWorkerConfig(kafka.Brokers(), ch, in.topics, database, "")
	cfg.Processor.PseudonymizeKey.Decode(key)
	cfg.Sink.Database = database
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runWorker(runCtx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), workerHooks{})
	}()
	waitLagZero(ctx, t, cfg.Processor, done)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	columns := map[string][]string{}
	for _, line := range chLines(t, ch, "SELECT table, name FROM system.columns WHERE database = '"+database+"' ORDER BY table, name") {
		table, column, _ := strings.Cut(line, "\t")
		columns[table] = append(columns[table], column)
	}
	if len(columns) < 7 {
		t.Fatalf("database %s has only the tables %v", database, columns)
	}
	values := map[string][]string{}
	for table, cols := range columns {
		for _, c := range cols {
			values[table+"."+c] = chLines(t, ch, fmt.Sprintf("SELECT toString(%s) FROM %s.%s", c, database, table))
		}
	}
	return values
}

// chLines runs query over the HTTP interface and returns its rows unescaped.
func chLines(t *testing.T, ch *testenv.ClickHouse, query string) []string {
	t.Helper()
	resp, err := http.Post("http://"+ch.HTTPAddr()+"/?query="+url.QueryEscape(query+" FORMAT TabSeparatedRaw"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", query, body)
	}
	s := strings.TrimSuffix(string(body), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestNoContentAndNoRawUserIDReachClickHouse runs the four seed inputs and a generated dataset
// of every format through the pipeline, then reads every column of every table and view.
func TestNoContentAndNoRawUserIDReachClickHouse(t *testing.T) {
	in := loadPrivacyInput(t)
	content, users := in.contentValues(), in.userIDs()
	for e := range in.emojis() {
		delete(content, e)
	}
	if len(content) < 20 || len(users) < 20 {
		t.Fatalf("the input has %d content values and %d user ids; the test needs both", len(content), len(users))
	}
	t.Logf("checking %d content values and %d user ids", len(content), len(users))
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	ctx := context.Background()
	for topic, recs := range in.records {
		if err := processor.CreateTopic(ctx, processor.Dial{Brokers: kafka.Brokers()}, topic, 3); err != nil {
			t.Fatal(err)
		}
		if err := processor.Produce(ctx, processor.Dial{Brokers: kafka.Brokers()}, topic, recs); err != nil {
			t.Fatal(err)
		}
	}
	plain := runPrivacyPipeline(t, kafka, ch, in, "privacy_plain", "")
	pseudo := runPrivacyPipeline(t, kafka, ch, in, "privacy_pseudo", "privacy-test-key-0123456789")

	t.Run("no text, caption, media URL, file name or person's name is in any column", func(t *testing.T) {
		for _, values := range []map[string][]string{plain, pseudo} {
			for column, vs := range values {
				for _, v := range vs {
					for c := range content {
						if strings.Contains(v, c) {
							t.Errorf("%s holds %q, content of the input", column, c)
						}
					}
				}
			}
		}
	})
	t.Run("without a key the raw user ids are stored", func(t *testing.T) {
		if n := countIDs(plain, users); n == 0 {
			t.Fatal("no raw user id in the plain run: the check below would prove nothing")
		}
	})
	t.Run("with a key no raw user id is in any column", func(t *testing.T) {
		for column, vs := range pseudo {
			for _, v := range vs {
				for _, part := range append(strings.Split(v, ":"), v) {
					if users[part] {
						t.Errorf("%s holds the raw user id %q", column, part)
					}
				}
			}
		}
	})
	t.Run("pseudonymized rows join as the raw ones do", func(t *testing.T) {
		// The internal tables hold versions and repeats that depend on which partition owns
		// a user; the views collapse them, so their rows must match one for one in number.
		views := chLines(t, ch, "SELECT name FROM system.tables WHERE database = 'privacy_plain' AND engine = 'View' ORDER BY name")
		if len(views) < 2 {
			t.Fatalf("views %v", views)
		}
		for _, view := range views {
			a := len(chLines(t, ch, "SELECT 1 FROM privacy_plain."+view))
			b := len(chLines(t, ch, "SELECT 1 FROM privacy_pseudo."+view))
			if a != b || a == 0 {
				t.Errorf("%s has %d rows raw and %d pseudonymized", view, a, b)
			}
		}
		for _, q := range []string{
			"SELECT 1 FROM %s.message_receipts",
			"SELECT 1 FROM %s.sessions",
		} {
			if n := len(chLines(t, ch, fmt.Sprintf(q, "privacy_pseudo"))); n == 0 {
				t.Errorf("%q: no rows with pseudonyms", q)
			}
		}
	})
}

func countIDs(values map[string][]string, ids map[string]bool) int {
	n := 0
	for _, vs := range values {
		for _, v := range vs {
			if ids[v] {
				n++
			}
		}
	}
	return n
}
