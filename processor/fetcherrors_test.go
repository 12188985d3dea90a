package processor

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestFetchErrorsReachReadinessAndAMetric: a failing fetch is not only a log line. It makes
// Ready fail and counts in chatpulse_fetch_errors_total; a later successful fetch clears it,
// except data loss, which stays until the partition's assignment ends.
func TestFetchErrorsReachReadinessAndAMetric(t *testing.T) {
	tests := []struct {
		name       string
		repart     bool // the failing partition is the repartition topic's, else the raw topic's
		err        error
		reason     string
		stickyLoss bool
	}{
		{"a broker error clears with the next successful fetch", false, kerr.NotLeaderForPartition, "NOT_LEADER_FOR_PARTITION", false},
		{"data loss on the repartition topic stays until the partition is reassigned", true,
			&kgo.ErrDataLoss{Topic: "mem.repartition", ConsumedTo: 10, ResetTo: 4}, "data_loss", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.assign(h.rep())
			h.assign(h.raw)
			topic := h.raw
			if tt.repart {
				topic = h.rep()
			}
			if err := h.p.Ready(); err != nil {
				t.Fatalf("not ready before the error: %v", err)
			}
			h.p.deliver(h.p.bind(poll(topic, nil, tt.err)))
			err := h.p.Ready()
			if err == nil || !strings.Contains(err.Error(), "fetching "+topic+"[0]") {
				t.Errorf("Ready() = %v after a failed fetch of %s[0]", err, topic)
			}
			if n := counterValue(t, h.p.metrics.fetchErrors.WithLabelValues(topic, tt.reason)); n != 1 {
				t.Errorf("chatpulse_fetch_errors_total{topic=%q,reason=%q} = %v, want 1", topic, tt.reason, n)
			}
			h.p.deliver(h.p.bind(poll(topic, nil, nil)))
			if err := h.p.Ready(); (err != nil) != tt.stickyLoss {
				t.Errorf("Ready() = %v after a successful fetch", err)
			}
			h.revoke(topic)
			h.assign(topic)
			if err := h.p.Ready(); err != nil {
				t.Errorf("Ready() = %v after the partition was assigned again", err)
			}
		})
	}
}

func counterValue(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
