package processor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/testenv"
)

// lostOwnersBundle is the bundle a worker that lost raw partition 0 of topic would still
// produce for the given records, the first of them at raw offset 0, when the repartition topic
// has one partition.
func lostOwnersBundle(t *testing.T, topic string, recs []gen.Record) []byte {
	t.Helper()
	var b route.Bundle
	var watermark int64
	for i, rec := range recs {
		evs, err := decode.Decode(decode.FormatCausalFoundry, decode.Record{Value: rec.Value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := range evs {
			if evs[j].Kind == event.KindMessage {
				watermark = max(watermark, evs[j].AtMs)
			}
			for _, tg := range route.Targets(&evs[j], nil) {
				b.Add(int64(i), tg.Kind, &evs[j])
			}
		}
	}
	return b.Seal(route.Origin{Topic: topic, WatermarkMs: watermark, Offset: int64(len(recs) - 1)}, nil)
}

// TestACopyFromARawPartitionsLostOwnerChangesNothing produces by hand what a worker that lost a
// raw partition still sends after the new owner routed the same records again: a copy of their
// bundle, arriving after the new owner's or before it. Each raw record is applied once, from
// whichever copy came first, so no view changes and no activity is late, though u1's messages,
// applied again behind a watermark at 12:35, would be late.
func TestACopyFromARawPartitionsLostOwnerChangesNothing(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	records := []gen.Record{
		cfMessage("m1", "u1", 10*60),
		cfMessage("m2", "u1", 10*60+10),
		cfMessage("m3", "u2", 12*60),
		cfMessage("m4", "u3", 12*60+35),
	}
	ms := func(minute int) string {
		return fmt.Sprint(time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(minute) * time.Minute).UnixMilli())
	}
	// user, start, end, messages, user_messages, closed: u1's session closed at 12:35.
	sessions := []string{
		"u1 " + ms(600) + " " + ms(610) + " 2 2 1",
		"u2 " + ms(720) + " " + ms(720) + " 1 1 0",
		"u3 " + ms(755) + " " + ms(755) + " 1 1 0",
	}
	tests := []struct {
		name        string
		first       bool  // the lost owner's copy is in the repartition log before the new owner's
		copied      int   // raw records the lost owner's copy holds
		redelivered int64 // events skipped: each message is one at its partition and one at its user's
	}{
		{"a lost owner's copy arriving after the new owner's is skipped", false, 2, 4},
		{"a lost owner's copy arriving first makes the new owner's copy skipped", true, 4, 8},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := fmt.Sprintf("lost-owner-%d", i)
			p := newPipeline(t, kafka, topic, 1, topic)
			p.cfg.Partitions = 1
			ctx := context.Background()
			stale := []processor.RawRecord{{Value: lostOwnersBundle(t, topic, records[:tt.copied])}}
			if tt.first {
				if err := processor.EnsureTopics(ctx, p.cfg, p.log); err != nil {
					t.Fatal(err)
				}
				if err := processor.Produce(ctx, p.cfg.Dial, p.cfg.RepartitionTopic(), stale); err != nil {
					t.Fatal(err)
				}
			}
			p.produce(records, topic)
			m := p.start("new-owner")
			p.waitCaughtUp()
			if !tt.first {
				if err := processor.Produce(ctx, p.cfg.Dial, p.cfg.RepartitionTopic(), stale); err != nil {
					t.Fatal(err)
				}
				p.waitCaughtUp()
			}

			var got []string
			for _, line := range p.viewLines("user_sessions") {
				f := strings.Split(line, "\t")
				got = append(got, strings.Join([]string{f[3], f[5], f[6], f[7], f[8], f[9]}, " "))
			}
			assertLines(t, "user_sessions", got, sessions)
			if facts := p.views()["message_facts"]; len(facts) != len(records) {
				t.Errorf("%d message facts, want %d: %q", len(facts), len(records), facts)
			}
			s := m.proc.Stats()
			if n := s.LateActivity.Load(); n != 0 {
				t.Errorf("%d activities counted as late in data that arrives in order", n)
			}
			if n := s.Duplicates.Load(); n != 0 {
				t.Errorf("%d duplicate messages counted, none was sent twice", n)
			}
			if n := s.Redelivered.Load(); n != uint64(tt.redelivered) {
				t.Errorf("%d redelivered events, want %d", n, tt.redelivered)
			}
		})
	}
}
