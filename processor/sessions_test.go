package processor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/testenv"
)

// cfMessage is a Causal Foundry message of a user to a bot at the given minute of the day.
func cfMessage(id, user string, minute int) gen.Record {
	ts := time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(minute) * time.Minute).Format("2006-01-02 15:04:05Z")
	return gen.Record{Value: []byte(fmt.Sprintf(`{"ts":%q,"type":"message","props":{"platform":"web","msg_id":%q,`+
		`"sender_type":"user","sender_id":%q,"recipient_type":"user","recipient_id":"bot","type":"text","body":{"text":"hi"}}}`,
		ts, id, user))}
}

// TestSessionsMergeOutOfOrderAndCountLateActivity runs one raw and one repartition partition,
// so that one watermark governs every user. u3's 12:17 message arrives after 12:35, while the
// 12:00 session is still open (12:00 + 30m gap + 10m lateness = 12:40), and bridges the two
// sessions into one. The watermark moves once a batch is routed, so u1's 10:20 message, sent in
// a later batch after the watermark reached 12:35 and closed u1's session (10:10 + 40m), is
// counted as late and changes nothing.
func TestSessionsMergeOutOfOrderAndCountLateActivity(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "cf", 1, "sessions")
	p.cfg.Partitions = 1
	p.produce([]gen.Record{
		cfMessage("m1", "u1", 10*60),
		cfMessage("m2", "u1", 10*60+10),
		cfMessage("m3", "u3", 12*60),
		cfMessage("m4", "u2", 12*60),
		cfMessage("m5", "u3", 12*60+35),
		cfMessage("m6", "u3", 12*60+17),
		cfMessage("m6", "u3", 12*60+17), // a duplicate changes nothing
	}, "cf")
	m := p.start("solo")
	p.waitCaughtUp()
	p.produce([]gen.Record{cfMessage("m7", "u1", 10*60+20)}, "cf")
	p.waitCaughtUp()

	var got []string
	for _, line := range p.viewLines("user_sessions") {
		f := strings.Split(line, "\t")
		// user, start, end, messages, user_messages, closed
		got = append(got, strings.Join([]string{f[3], f[5], f[6], f[7], f[8], f[9]}, " "))
	}
	ms := func(minute int) string {
		return fmt.Sprint(time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC).Add(time.Duration(minute) * time.Minute).UnixMilli())
	}
	want := []string{
		"u1 " + ms(600) + " " + ms(610) + " 2 2 1",
		"u2 " + ms(720) + " " + ms(720) + " 1 1 0",
		"u3 " + ms(720) + " " + ms(755) + " 3 3 0",
	}
	assertLines(t, "user_sessions", got, want)
	if n := m.proc.Stats().LateActivity.Load(); n != 1 {
		t.Errorf("late activity counted %d times, want 1", n)
	}
}
