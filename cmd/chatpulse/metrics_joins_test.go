package main

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// cfMessage and cfReceipt are Causal Foundry records of a direct message from u1 to u2 and of
// a receipt; at is minutes after 2024-02-13 10:00:00 UTC.
func cfMessage(id, parent string, at int) string {
	p := ""
	if parent != "" {
		p = fmt.Sprintf(`,"parent_msg_id":%q`, parent)
	}
	return fmt.Sprintf(`{"ts":%q,"type":"message","props":{"platform":"web","msg_id":%q,"sender_type":"user","sender_id":"u1",`+
		`"recipient_type":"user","recipient_id":"u2","type":"text","body":{}%s}}`, cfTime(at), id, p)
}

func cfReceipt(msg, status string, at int) string {
	return fmt.Sprintf(`{"ts":%q,"type":"receipt","props":{"type":%q,"msg_id":%q,"member_id":"u2"}}`, cfTime(at), status, msg)
}

func cfTime(minutes int) string {
	return time.Date(2024, 2, 13, 10, 0, 0, 0, time.UTC).Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)
}

// TestMetricsCountJoinsExpiriesAndState runs a worker over a crafted sequence on one partition
// and checks the join, expiry, duplicate, clock-skew, late-activity and state values /metrics
// reports, each of which the sequence determines.
func TestMetricsCountJoinsExpiriesAndState(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dial := processor.Dial{Brokers: kafka.Brokers()}
	// Three steps, each consumed before the next is produced: event time moves between them, so
	// expiry and lateness do not depend on how records fall into fetches.
	steps := [][]string{{
		cfMessage("m1", "", 0),
		cfMessage("m1", "", 0),          // a duplicate
		cfReceipt("m1", "delivered", 1), // joins m1
		cfReceipt("m1", "read", -1),     // joins m1, stamped before it: clock skew
		cfReceipt("m9", "delivered", 0), // m9 never comes: it waits, then expires
		cfMessage("m2", "m1", 2),        // a reply: joins m1
	}, {
		cfMessage("m3", "", 120), // moves event time past the join TTL of m1, m2 and m9's receipt
	}, {
		cfMessage("m4", "", 60),           // u1's activity that can no longer change a session: late
		cfReceipt("m3", "delivered", 121), // joins m3
	}}
	if err := processor.CreateTopic(ctx, dial, "cf", 1); err != nil {
		t.Fatal(err)
	}

	addr := freeAddr(t)
	cfg := testWorkerConfig(kafka.Brokers(), ch, processor.TopicFormats{"cf": decode.FormatCausalFoundry}, "joins", addr)
	cfg.Join = join.Config{TTL: time.Hour}
	cfg.Processor.Partitions = 1
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done, _ := goRunWorker(runCtx, cfg)
	for _, step := range steps {
		var recs []processor.RawRecord
		for _, l := range step {
			recs = append(recs, processor.RawRecord{Value: []byte(l)})
		}
		if err := processor.Produce(ctx, dial, "cf", recs); err != nil {
			t.Fatal(err)
		}
		waitLagZero(ctx, t, cfg.Processor, done)
	}

	got := scrape(t, addr)
	want := map[string]float64{
		`chatpulse_records_total{format="causalfoundry",topic="cf"}`:               9,
		`chatpulse_events_total{format="causalfoundry",kind="message",topic="cf"}`: 5,
		`chatpulse_events_total{format="causalfoundry",kind="receipt",topic="cf"}`: 4,
		`chatpulse_join_hits_total`:                              4, // two receipts and the reply on m1, a receipt on m3
		`chatpulse_join_expired_total`:                           1, // m9's receipt
		`chatpulse_duplicate_messages_total`:                     1,
		`chatpulse_negative_latencies_total`:                     1,
		`chatpulse_late_activities_total`:                        1, // m4
		`chatpulse_redelivered_events_total`:                     0,
		`chatpulse_state_entries{kind="messages",partition="0"}`: 2, // m3 and m4; m1 and m2 expired
		`chatpulse_state_entries{kind="pending",partition="0"}`:  0,
		`chatpulse_state_entries{kind="sessions",partition="0"}`: 1, // u1's session of m3
		`chatpulse_state_bytes{partition="0"}`:                   2*84 + 510,
		`chatpulse_sink_rows_total{table="messages"}`:            4,
		`chatpulse_sink_rows_total{table="receipts"}`:            3,
		`chatpulse_sink_rows_total{table="replies"}`:             1,
		`chatpulse_sink_rows_total{table="sessions"}`:            clickHouseCount(t, ch, cfg.Sink.Database+".sessions"),
		`chatpulse_snapshots_total`:                              0,
		`chatpulse_sink_pending_rows`:                            0,
	}
	if diff := agree(got, want); diff != "" {
		t.Errorf("/metrics after the sequence:\n%s", diff)
	}
	// The watermark is m3's time, the latest message time of the only raw partition.
	watermark := time.Date(2024, 2, 13, 12, 0, 0, 0, time.UTC)
	if lag, want := got[`chatpulse_watermark_lag_seconds{partition="0"}`], time.Since(watermark).Seconds(); math.Abs(lag-want) > 60 {
		t.Errorf("watermark lag %v s, want about %v s (now minus %s)", lag, want, watermark)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
