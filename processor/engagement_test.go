package processor_test

import (
	"context"
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
	kafka := testenv.PromiseKafka(t)
	p := newPipeline(t, kafka, "engagement", 12, "engagement")
	p.cfg.InputTopics = processor.TopicFormats{"engagement": decode.FormatAuto}
	members := []*member{p.start("a"), p.start("b")}
	p.produce(data.Records, "engagement")
	p.waitCaughtUp()

	e := data.Expected
	for _, v := range e.Views() {
		got := p.viewLines(v.View)
		if v.Drop >= 0 {
			got = gen.WithoutColumn(got, v.Drop)
		}
		assertLines(t, v.View, got, v.Lines)
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
	for _, v := range e.Views() {
		got := replay.viewLines(v.View)
		if v.Drop >= 0 {
			got = gen.WithoutColumn(got, v.Drop)
		}
		assertLines(t, "after a replay, "+v.View, got, v.Lines)
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
	metrics := e.Metrics()
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

// assertMetricLines compares metric rows, fractions within 1e-9, and shows both on a mismatch.
func assertMetricLines(t *testing.T, name string, got, want []string) {
	t.Helper()
	if !gen.SameRows(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", name, got, want)
	}
}
