package processor_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestEngagementMetricsMatchTheGeneratedTruth streams ten days of all four formats through two
// workers, then compares every contract view and every documented metric with the values the
// generator computed on its own from the events it made.
func TestEngagementMetricsMatchTheGeneratedTruth(t *testing.T) {
	cfg := gen.DefaultConfig()
	cfg.Days, cfg.Users, cfg.Groups, cfg.Messages = 10, 40, 6, 2400
	data, err := gen.Engagement(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "engagement", 12, "engagement")
	p.cfg.InputTopics = processor.TopicFormats{"engagement": decode.FormatAuto}
	members := []*member{p.start("a"), p.start("b")}
	p.produce(data.Records, "engagement")
	p.waitCaughtUp()

	e := data.Expected
	views := []struct {
		view string
		want []string
		drop int // a column the generator cannot know, or -1
	}{
		{"message_facts", e.MessageFactsLines(), -1},
		{"message_receipts", e.MessageReceiptsLines(), -1},
		// closed depends on which partition owns a user, which only the processor knows.
		{"user_sessions", e.UserSessionsLines(), 9},
		{"group_members", e.GroupMembersLines(), -1},
		{"group_daily", e.GroupDailyLines(), -1},
		{"handovers", e.HandoversLines(), -1},
		{"engagement_daily", e.EngagementDailyLines(), -1},
	}
	for _, v := range views {
		got := p.viewLines(v.view)
		if v.drop >= 0 {
			got = dropColumn(got, v.drop)
		}
		assertLines(t, v.view, got, v.want)
	}

	for _, m := range members {
		if n := m.proc.Stats().LateActivity.Load(); n != 0 {
			t.Errorf("%d activities counted as late in data that arrives in order", n)
		}
	}
	checkMetrics(t, p, e)

	// Replaying the whole input into the same database, as a crash before any commit would,
	// writes every row again; no view and no metric may change.
	replay := newPipeline(t, kafka, "engagement", 12, "engagement-replay")
	replay.cfg.InputTopics = p.cfg.InputTopics
	replay.sink = p.sink
	replay.start("c")
	replay.waitCaughtUp()
	for _, v := range views {
		got := replay.viewLines(v.view)
		if v.drop >= 0 {
			got = dropColumn(got, v.drop)
		}
		assertLines(t, "after a replay, "+v.view, got, v.want)
	}
	checkMetrics(t, replay, e)
}

// checkMetrics compares every documented metric with the generator's value.
func checkMetrics(t *testing.T, p *pipeline, e gen.Expected) {
	t.Helper()
	client, err := sink.Open(context.Background(), p.sink, p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	metrics := map[string][]string{
		"dau_wau_mau":           e.DauWauMauLines(),
		"new_users":             e.NewUsersLines(),
		"bot_replies":           e.BotRepliesLines(),
		"bot_response":          e.BotResponseLines(),
		"first_human_response":  e.FirstHumanResponseLines(),
		"containment":           e.ContainmentLines(),
		"reactions_per_message": e.ReactionsPerMessageLines(),
	}
	for _, name := range sink.MetricNames() {
		want, ok := metrics[name]
		if !ok {
			t.Errorf("metric %s has no expected value in this test", name)
			continue
		}
		got, err := client.Metric(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		assertMetricLines(t, name, got, want)
	}
}

func dropColumn(lines []string, col int) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Split(l, "\t")
		out[i] = strings.Join(append(f[:col:col], f[col+1:]...), "\t")
	}
	return out
}

// assertMetricLines compares metric rows field by field: exactly, except numbers with a
// fraction, which may differ in the last bits of a Float64.
func assertMetricLines(t *testing.T, name string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d\n got %q\nwant %q", name, len(got), len(want), got, want)
		return
	}
	for i := range got {
		g, w := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
		if len(g) != len(w) {
			t.Errorf("%s row %d: %q, want %q", name, i, got[i], want[i])
			continue
		}
		for j := range g {
			if g[j] == w[j] {
				continue
			}
			gf, err1 := strconv.ParseFloat(g[j], 64)
			wf, err2 := strconv.ParseFloat(w[j], 64)
			if err1 != nil || err2 != nil || !strings.ContainsAny(g[j]+w[j], ".e") || math.Abs(gf-wf) > 1e-9 {
				t.Errorf("%s row %d column %d: %q, want %q\n got %q\nwant %q", name, i, j, g[j], w[j], got[i], want[i])
			}
		}
	}
}
