package processor

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/plugin/kprom"
)

// KafkaMetricsNamespace prefixes the metrics of the consumer group's Kafka client.
const KafkaMetricsNamespace = "chatpulse_kafka"

// metrics are the processor's metrics that are not read from Stats at scrape time.
type metrics struct {
	restores       *prometheus.CounterVec
	restoreSeconds prometheus.Histogram
	// kafka hooks the consumer group's client; nil until Register.
	kafka *kprom.Metrics
}

func newMetrics() *metrics {
	return &metrics{
		restores: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatpulse_restores_total",
			Help: "Partition states rebuilt after an assignment, by where they started: a snapshot, or the log (an empty state).",
		}, []string{"from"}),
		restoreSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chatpulse_restore_seconds",
			Help: "Time to rebuild a partition's state: loading its snapshot and replaying the records after it.",
			// From an empty partition (milliseconds) to a large replay (minutes).
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
		}),
	}
}

func (m *metrics) restored(from string, took time.Duration) {
	m.restores.WithLabelValues(from).Inc()
	m.restoreSeconds.Observe(took.Seconds())
}

// Register adds the processor's metrics to reg and hooks the Kafka client's metrics, named
// chatpulse_kafka_*, which register themselves when Run creates the client. Call it once,
// before Run.
func (p *Processor) Register(reg prometheus.Registerer) error {
	// Request latency is the one kprom histogram the pipeline dashboard draws; kprom keeps
	// histograms off unless named.
	p.metrics.kafka = kprom.NewMetrics(KafkaMetricsNamespace, kprom.Registerer(reg),
		kprom.Histograms(kprom.RequestDurationE2E))
	for _, from := range []string{"snapshot", "log"} {
		p.metrics.restores.WithLabelValues(from)
	}
	for _, c := range []prometheus.Collector{collector{p}, p.metrics.restores, p.metrics.restoreSeconds} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register processor metrics: %w", err)
		}
	}
	return nil
}

var (
	descRecords = prometheus.NewDesc("chatpulse_records_total",
		"Raw records routed or dead-lettered by this worker, by topic and the record's format (unknown when none could be determined). A record read again after its partition moved counts again.",
		[]string{"topic", "format"}, nil)
	descEvents = prometheus.NewDesc("chatpulse_events_total",
		"Canonical events decoded from the raw records counted by chatpulse_records_total, by topic, format and event kind.",
		[]string{"topic", "format", "kind"}, nil)
	descDeadLetters = prometheus.NewDesc("chatpulse_dead_letters_total",
		"Records sent to the dead-letter topic, by reason.", []string{"reason"}, nil)
	descJoinHits = prometheus.NewDesc("chatpulse_join_hits_total",
		"Receipts, replies and reactions joined to their message.", nil, nil)
	descJoinExpired = prometheus.NewDesc("chatpulse_join_expired_total",
		"Receipts, replies and reactions dropped unjoined after waiting the join TTL for their message.", nil, nil)
	descDuplicates = prometheus.NewDesc("chatpulse_duplicate_messages_total",
		"Messages already seen within the join TTL, written once.", nil, nil)
	descLate = prometheus.NewDesc("chatpulse_late_activities_total",
		"Session activity that arrived after its session could change, ignored.", nil, nil)
	descRedelivered = prometheus.NewDesc("chatpulse_redelivered_events_total",
		"Routed events skipped because another copy of their raw record was applied, as when a raw partition's old owner produces after losing it.", nil, nil)
	descNegative = prometheus.NewDesc("chatpulse_negative_latencies_total",
		"Receipts and replies stamped before their message (clock skew), written with latency 0.", nil, nil)
	descSnapshots = prometheus.NewDesc("chatpulse_snapshots_total",
		"Partition state snapshots written to the state topic.", nil, nil)
	descIdle = prometheus.NewDesc("chatpulse_idle_partitions_total",
		"Times a raw partition received nothing for CHATPULSE_IDLE_TIMEOUT and stopped holding back the watermark.", nil, nil)
	descPurged = prometheus.NewDesc("chatpulse_purged_records_total",
		"Records of the repartition log deleted below what any restore can need.", nil, nil)
	descIncomplete = prometheus.NewDesc("chatpulse_incomplete_restores_total",
		"Partitions rebuilt without a usable snapshot from a purged repartition log, so from part of their history.", nil, nil)
	descSuperseded = prometheus.NewDesc("chatpulse_superseded_messages_total",
		"Held messages replaced by a copy with other content that ranks lower (earlier time, then smaller content hash).", nil, nil)
	descStateEntries = prometheus.NewDesc("chatpulse_state_entries",
		"Entries in a repartition partition's state: messages held for joins, pending receipts, replies and reactions waiting for their message, open sessions.",
		[]string{"partition", "kind"}, nil)
	descStateBytes = prometheus.NewDesc("chatpulse_state_bytes",
		"Estimated heap bytes of a repartition partition's state: measured bytes per entry times its entries.",
		[]string{"partition"}, nil)
	descConsumerLag = prometheus.NewDesc("chatpulse_consumer_lag_records",
		"Records of an owned partition not yet processed: its high watermark at the latest fetch minus the next offset to process.",
		[]string{"topic", "partition"}, nil)
	descWatermarkLag = prometheus.NewDesc("chatpulse_watermark_lag_seconds",
		"Wall clock minus the event-time watermark of an owned repartition partition.",
		[]string{"partition"}, nil)
	descAssigned = prometheus.NewDesc("chatpulse_assigned_partitions",
		"Partitions of a topic this member owns.", []string{"topic"}, nil)
)

// collector reads Stats and the owned partitions' published figures at scrape time, so the
// workers only keep counters and atomics up to date.
type collector struct{ p *Processor }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecords, descEvents, descDeadLetters, descJoinHits, descJoinExpired,
		descDuplicates, descLate, descRedelivered, descNegative, descSnapshots, descStateEntries, descStateBytes, descConsumerLag,
		descWatermarkLag, descAssigned, descIdle, descPurged, descIncomplete, descSuperseded} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.p.stats
	for k, n := range s.RecordsByFormat() {
		ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(n), k.Topic, k.Format)
	}
	for k, n := range s.EventsByKind() {
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(n), k.Topic, k.Format, k.Kind)
	}
	for reason, n := range s.DeadLetteredBy() {
		ch <- prometheus.MustNewConstMetric(descDeadLetters, prometheus.CounterValue, float64(n), reason)
	}
	for _, m := range []struct {
		d *prometheus.Desc
		n uint64
	}{
		{descJoinHits, s.Joined.Load()},
		{descJoinExpired, s.Expired.Load()},
		{descDuplicates, s.Duplicates.Load()},
		{descLate, s.LateActivity.Load()},
		{descRedelivered, s.Redelivered.Load()},
		{descNegative, s.NegativeLatency.Load()},
		{descSnapshots, s.Snapshots.Load()},
		{descIdle, s.IdleMarks.Load()},
		{descPurged, s.Purged.Load()},
		{descIncomplete, s.IncompleteRestores.Load()},
		{descSuperseded, s.Superseded.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.n))
	}
	c.collectPartitions(ch, time.Now())
}

// collectPartitions reports the partitions owned now; a revoked or lost partition's series
// disappear with its worker.
func (c collector) collectPartitions(ch chan<- prometheus.Metric, now time.Time) {
	repartition := c.p.cfg.RepartitionTopic()
	assigned := map[string]int{repartition: 0}
	for _, t := range c.p.cfg.InputTopics.Topics() {
		assigned[t] = 0
	}
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	for key, w := range c.p.workers {
		assigned[key.topic]++
		part := strconv.Itoa(int(key.partition))
		if lag, ok := w.progress.lag(); ok {
			ch <- prometheus.MustNewConstMetric(descConsumerLag, prometheus.GaugeValue, float64(lag), key.topic, part)
		}
		if key.topic != repartition {
			continue
		}
		g := w.gauges.load()
		ch <- prometheus.MustNewConstMetric(descStateEntries, prometheus.GaugeValue, float64(g.Messages), part, "messages")
		ch <- prometheus.MustNewConstMetric(descStateEntries, prometheus.GaugeValue, float64(g.Early), part, "pending")
		ch <- prometheus.MustNewConstMetric(descStateEntries, prometheus.GaugeValue, float64(g.OpenSessions), part, "sessions")
		ch <- prometheus.MustNewConstMetric(descStateBytes, prometheus.GaugeValue, float64(stateBytes(g)), part)
		if g.WatermarkMs > 0 {
			lag := now.Sub(time.UnixMilli(g.WatermarkMs)).Seconds()
			ch <- prometheus.MustNewConstMetric(descWatermarkLag, prometheus.GaugeValue, lag, part)
		}
	}
	for topic, n := range assigned {
		ch <- prometheus.MustNewConstMetric(descAssigned, prometheus.GaugeValue, float64(n), topic)
	}
}
