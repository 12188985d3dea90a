package main

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/sink"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestTheReportReadsAtAGlance writes a report with a source that carries no receipts, short
// and long latencies and an empty group list, and compares it with testdata/report.golden.
func TestTheReportReadsAtAGlance(t *testing.T) {
	r := sink.Report{
		Groups: []sink.ReportRow{
			{Source: "causalfoundry", Platform: "whatsapp", Messages: 600, Delivered: 590, Read: 420,
				DeliveryMs: sink.Quantiles{P50: 850, P90: 7_540, Known: true},
				ReadMs:     sink.Quantiles{P50: 307_000, P90: 11_520_000, Known: true}, Replied: 40, Reactions: 12},
			{Source: "chatlayer", Platform: "other", Messages: 500, Replied: 3},
		},
		Total: sink.ReportRow{Messages: 1100, Delivered: 590, Read: 420,
			DeliveryMs: sink.Quantiles{P50: 850, P90: 7_540, Known: true},
			ReadMs:     sink.Quantiles{P50: 307_000, P90: 11_520_000, Known: true}, Replied: 43, Reactions: 12},
		Engagement: sink.Engagement{
			Day: time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC), DAU: 12, WAU: 30, MAU: 40, Stickiness: 0.3, NewUsers: 2,
			BotMessages: 300, BotReplied: 90, BotReplyRate: 0.3,
			BotAnswered: 250, BotResponseMs: sink.Quantiles{P50: 2_300, P90: 6_100, Known: true},
			HandoversToAgent: 20, HumanAnswered: 18, FirstHumanResponseMs: sink.Quantiles{P50: 95_000, P90: 420_000, Known: true},
			Sessions: 200, HandedOver: 18, HandoverRate: 0.09, Containment: 0.91,
			Messages: 1100, Reactions: 12, ReactionsPerMessage: 12.0 / 1100,
			Groups: []sink.GroupActivity{{Source: "causalfoundry", Tenant: "t1", GroupID: "g-1", Members: 9, Active: 4}},
		},
	}
	var b bytes.Buffer
	if err := writeReport(&b, r); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/report.golden"
	if *updateGolden {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("report:\n%s\nwant (%s):\n%s", b.String(), golden, want)
	}
}
