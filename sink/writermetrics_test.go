package sink

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatpulse/chatpulse/rows"
)

// TestWriterMetricsCountWhatBecomesDurable submits rows of two tables, checks that they are
// pending until flushed, then that one batch with its rows per table was counted.
func TestWriterMetricsCountWhatBecomesDurable(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	cfg := writerConfig(c)
	cfg.FlushRows, cfg.FlushInterval = 1000, time.Hour
	w, _ := startWriter(t, c, cfg)

	set := messageSet("m", 3)
	set.Receipts = append(set.Receipts,
		rows.Receipt{Source: "causalfoundry", Tenant: "t1", MsgID: "m-0", MemberID: "u2", Status: "read", AtMs: t0 + 5},
		rows.Receipt{Source: "causalfoundry", Tenant: "t1", MsgID: "m-1", MemberID: "u2", Status: "read", AtMs: t0 + 6})
	if err := w.Submit(ctx, set, nil); err != nil {
		t.Fatal(err)
	}
	if got := gather(t, w.Collector())["chatpulse_sink_pending_rows"]; got != 5 {
		t.Errorf("pending rows before the flush = %v, want 5", got)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := gather(t, w.Collector())
	want := map[string]float64{
		"chatpulse_sink_batches_total":                         1,
		"chatpulse_sink_insert_seconds_count":                  1,
		`chatpulse_sink_errors_total{class="fatal"}`:           0,
		`chatpulse_sink_errors_total{class="retryable"}`:       0,
		"chatpulse_sink_pending_rows":                          0,
		`chatpulse_sink_rows_total{table="handover_events"}`:   0,
		`chatpulse_sink_rows_total{table="membership_events"}`: 0,
		`chatpulse_sink_rows_total{table="messages"}`:          3,
		`chatpulse_sink_rows_total{table="reactions"}`:         0,
		`chatpulse_sink_rows_total{table="receipts"}`:          2,
		`chatpulse_sink_rows_total{table="replies"}`:           0,
		`chatpulse_sink_rows_total{table="sessions"}`:          0,
	}
	if !maps.Equal(got, want) {
		t.Errorf("writer metrics after the flush:\n got %v\nwant %v", got, want)
	}
	for table, n := range map[string]uint64{"messages": 3, "receipts": 2} {
		if got := queryUint64(t, c, "SELECT count() FROM "+c.db+"."+table); got != n {
			t.Errorf("ClickHouse holds %d rows in %s, the metric says %d", got, table, n)
		}
	}
}

// TestAnInsertThatCannotSucceedCountsAsFatal writes to a database that does not exist.
func TestAnInsertThatCannotSucceedCountsAsFatal(t *testing.T) {
	ctx := testContext(t)
	c := openClient(t, testConfig(t, server))
	w, done := startWriter(t, c, writerConfig(c))
	if err := w.Submit(ctx, messageSet("m", 1), nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("the writer went on after writing to a missing database")
	}
	got := gather(t, w.Collector())
	if got[`chatpulse_sink_errors_total{class="fatal"}`] != 1 || got["chatpulse_sink_batches_total"] != 0 {
		t.Errorf("after a fatal insert error: %v, want one fatal error and no batch", got)
	}
}

func TestInsertErrorsAreClassifiedAsTheWriterRetriesThem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a refused connection is retryable", fmt.Errorf("insert messages: %w", syscall.ECONNREFUSED), "retryable"},
		{"a connection closed mid-answer is retryable", io.ErrUnexpectedEOF, "retryable"},
		{"memory pressure on the server is retryable", &clickhouse.Exception{Code: 241}, "retryable"},
		{"an unknown table is fatal", &clickhouse.Exception{Code: 60}, "fatal"},
		{"an error of unknown origin is fatal", errors.New("bad value"), "fatal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorClass(tt.err); got != tt.want {
				t.Errorf("errorClass(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

// gather returns the value of every series c collects, keyed name{label="value",...}; a
// histogram gives its _count.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[key+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}
