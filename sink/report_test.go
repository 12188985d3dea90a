package sink

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)

	t.Run("an empty database reports zero messages", func(t *testing.T) {
		r, err := c.Report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Groups) != 0 || r.Total != (ReportRow{}) {
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
