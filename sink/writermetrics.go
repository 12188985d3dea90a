package sink

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatpulse/chatpulse/rows"
)

// Error classes of chatpulse_sink_errors_total, as Retryable decides.
const (
	errorRetryable = "retryable"
	errorFatal     = "fatal"
)

// writerMetrics are the Writer's Prometheus metrics; only Run's goroutine updates them.
type writerMetrics struct {
	batches       prometheus.Counter
	rows          *prometheus.CounterVec
	insertSeconds prometheus.Histogram
	errors        *prometheus.CounterVec
	pending       prometheus.GaugeFunc
}

// tableNames are the tables of a rows.Set in the order of its fields.
var tableNames = [...]string{
	messagesTable.name, receiptsTable.name, repliesTable.name, reactionsTable.name,
	sessionsTable.name, membershipEventsTable.name, handoverEventsTable.name,
}

func newWriterMetrics(pending func() float64) *writerMetrics {
	m := &writerMetrics{
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatpulse_sink_batches_total",
			Help: "Batch inserts into ClickHouse that succeeded.",
		}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpulse_sink_rows_total",
			Help: "Rows written to ClickHouse, by table.",
		}, []string{"table"}),
		insertSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatpulse_sink_insert_seconds",
			Help:    "Time of one successful batch insert, all tables.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpulse_sink_errors_total",
			Help: "Failed insert attempts, by class: retryable ones are retried, a fatal one stops the writer.",
		}, []string{"class"}),
		pending: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "chatpulse_sink_pending_rows",
			Help: "Rows submitted and not yet durable in ClickHouse.",
		}, pending),
	}
	for _, t := range tableNames {
		m.rows.WithLabelValues(t)
	}
	m.errors.WithLabelValues(errorRetryable)
	m.errors.WithLabelValues(errorFatal)
	return m
}

// inserted counts a batch that became durable.
func (m *writerMetrics) inserted(set *rows.Set, took time.Duration) {
	m.batches.Inc()
	m.insertSeconds.Observe(took.Seconds())
	for i, n := range tableRows(set) {
		if n > 0 {
			m.rows.WithLabelValues(tableNames[i]).Add(float64(n))
		}
	}
}

// failed counts a failed insert attempt.
func (m *writerMetrics) failed(err error) {
	m.errors.WithLabelValues(errorClass(err)).Inc()
}

func errorClass(err error) string {
	if Retryable(err) {
		return errorRetryable
	}
	return errorFatal
}

// tableRows is the number of rows of each table in set, in tableNames' order.
func tableRows(set *rows.Set) [len(tableNames)]int {
	return [...]int{
		len(set.Messages), len(set.Receipts), len(set.Replies), len(set.Reactions),
		len(set.Sessions), len(set.Memberships), len(set.Handovers),
	}
}

// Collector returns the writer's metrics: chatpulse_sink_batches_total,
// chatpulse_sink_rows_total{table}, chatpulse_sink_insert_seconds,
// chatpulse_sink_errors_total{class} and chatpulse_sink_pending_rows.
func (w *Writer) Collector() prometheus.Collector { return w.metrics }

func (m *writerMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.all() {
		c.Describe(ch)
	}
}

func (m *writerMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.all() {
		c.Collect(ch)
	}
}

func (m *writerMetrics) all() []prometheus.Collector {
	return []prometheus.Collector{m.batches, m.rows, m.insertSeconds, m.errors, m.pending}
}
