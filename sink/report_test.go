package sink

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)

	t.Run("an empty database reports zero messages", func(t *testing.T) {
		r, err := c.Report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Groups) != 0 || r.Total != (ReportRow{}) || !reflect.DeepEqual(r.Engagement, Engagement{Containment: 1}) {
			t.Fatalf("report of nothing: %+v", r)
		}
	})

	if err := c.Insert(ctx, fixtureSet()); err != nil {
		t.Fatal(err)
	}
	r, err := c.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("totals cover every message of the views", func(t *testing.T) {
		want := ReportRow{Messages: 5, Delivered: 3, Read: 3,
			DeliveryMs: Quantiles{P50: 1500, P90: 2000, Known: true},
			ReadMs:     Quantiles{P50: 1500, P90: 7000, Known: true},
			Replied:    1, Reactions: 3}
		if !reflect.DeepEqual(r.Total, want) {
			t.Fatalf("total %+v\nwant  %+v", r.Total, want)
		}
	})

	t.Run("the text table has a line per source and platform and a total", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := r.WriteTo(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(buf.Len()) {
			t.Fatalf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
		}
		checkGolden(t, "report", strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"))
	})
}

// TestReportEngagement checks the engagement block against the numbers worked out by hand in
// engagementSet's comment and in the metric golden files.
func TestReportEngagement(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	if err := c.Insert(ctx, engagementSet()); err != nil {
		t.Fatal(err)
	}
	r, err := c.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the block holds the last day's users and the metrics", func(t *testing.T) {
		want := Engagement{
			// 2024-01-31: cf/u1 and ef/u1 are active; the month back to 01-02 adds cf/u2, cf/u3, cf/u5.
			Day: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), DAU: 2, WAU: 2, MAU: 5, Stickiness: 0.4,
			NewUsers:    0,
			BotMessages: 5, BotReplied: 2, BotReplyRate: 0.4,
			BotAnswered: 11, BotResponseMs: Quantiles{P50: 130000, P90: 93900000, Known: true},
			HandoversToAgent: 5, HumanAnswered: 4, FirstHumanResponseMs: Quantiles{P50: 120000, P90: 630000, Known: true},
			Sessions: 15, HandedOver: 3, HandoverRate: 0.2, Containment: 0.8,
			Messages: 27, Reactions: 5, ReactionsPerMessage: 5.0 / 27,
			// g1 keeps a1's removal and u1's re-join of 01-03: s1 and u1 at the end of 01-31, u1
			// active; g2's last row is 01-09 (u3), nobody wrote to it on 01-31.
			Groups: []GroupActivity{
				{Source: "causalfoundry", Tenant: "t1", GroupID: "g1", Members: 2, Active: 1},
				{Source: "causalfoundry", Tenant: "t1", GroupID: "g2", Members: 1, Active: 0},
			},
		}
		got := r.Engagement
		if !got.Day.Equal(want.Day) {
			t.Fatalf("day %s, want %s", got.Day, want.Day)
		}
		got.Day = want.Day
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("engagement %+v\nwant       %+v", got, want)
		}
	})

	t.Run("the text shows the block after the message table", func(t *testing.T) {
		var buf bytes.Buffer
		if _, err := r.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "report_engagement", strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"))
	})
}
