package main

import (
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
)

// TestEveryMetricIsDocumentedInTheReadme compares the metric names of the README's Monitoring
// table with the chatpulse_* names the worker's collectors describe; the Kafka client's
// (chatpulse_kafka_*), Go's and the process's metrics are documented as groups.
func TestEveryMetricIsDocumentedInTheReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "\n## Monitoring\n")
	if start < 0 {
		t.Fatal("the README has no Monitoring section")
	}
	section = section[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(chatpulse_[a-z0-9_]+)`").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}

	cfg := processor.DefaultConfig()
	cfg.Brokers = []string{"127.0.0.1:9092"}
	cfg.InputTopics = processor.TopicFormats{"raw": decode.FormatAuto}
	writer := sink.NewWriter(nil, sink.DefaultConfig(), nil)
	proc, err := processor.New(cfg, partition.DefaultConfig(), writer, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	reg := newRecordingRegistry()
	if err := registerMetrics(reg, proc, writer); err != nil {
		t.Fatal(err)
	}
	var described []string
	for name := range reg.described() {
		if strings.HasPrefix(name, "chatpulse_") && !strings.HasPrefix(name, processor.KafkaMetricsNamespace+"_") {
			described = append(described, name)
		}
	}
	if len(described) < 20 {
		t.Fatalf("the collectors describe only %d chatpulse metrics: %v", len(described), described)
	}
	slices.Sort(documented)
	slices.Sort(described)
	if !slices.Equal(documented, described) {
		t.Errorf("the README's Monitoring table lists\n%v\nthe collectors describe\n%v", documented, described)
	}
}

// recordingRegistry is a registry that keeps every collector registered with it, so that a
// test can ask what they describe, including those unregistered since.
type recordingRegistry struct {
	*prometheus.Registry
	mu         sync.Mutex
	collectors []prometheus.Collector
}

func newRecordingRegistry() *recordingRegistry {
	return &recordingRegistry{Registry: prometheus.NewRegistry()}
}

func (r *recordingRegistry) Register(c prometheus.Collector) error {
	r.mu.Lock()
	r.collectors = append(r.collectors, c)
	r.mu.Unlock()
	return r.Registry.Register(c)
}

func (r *recordingRegistry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// described returns every metric the registered collectors describe with its label names.
func (r *recordingRegistry) described() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for _, c := range r.collectors {
		for name, labels := range describe(c) {
			out[name] = labels
		}
	}
	return out
}

// descParts picks the name and the label names out of a Desc's String form.
var descParts = regexp.MustCompile(`fqName: "([^"]+)".*constLabels: \{([^}]*)\}, variableLabels: \{([^}]*)\}`)

// describe returns the metrics c describes with their label names, constant and variable.
func describe(c prometheus.Collector) map[string][]string {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	out := map[string][]string{}
	for desc := range ch {
		m := descParts.FindStringSubmatch(desc.String())
		if m == nil {
			continue
		}
		var labels []string
		for _, pair := range strings.Split(m[2], ",") {
			if name, _, ok := strings.Cut(pair, "="); ok {
				labels = append(labels, name)
			}
		}
		for _, l := range strings.Split(m[3], ",") {
			if l != "" {
				labels = append(labels, strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")"))
			}
		}
		out[m[1]] = labels
	}
	return out
}

func TestDashboardMetricNamesAreCheckedAgainstTheDocumentedOnes(t *testing.T) {
	docs := map[string]metricDoc{
		"chatpulse_records_total":       {kind: "counter", labels: []string{"topic", "format"}},
		"chatpulse_sink_insert_seconds": {kind: "histogram"},
	}
	tests := []struct {
		name, metric string
		known        bool
		labels       []string
	}{
		{"a documented metric has its labels", "chatpulse_records_total", true, []string{"topic", "format"}},
		{"a histogram's bucket series has le", "chatpulse_sink_insert_seconds_bucket", true, []string{"le"}},
		{"a histogram's count series is known", "chatpulse_sink_insert_seconds_count", true, nil},
		{"a counter has no bucket series", "chatpulse_records_total_bucket", false, nil},
		{"a Kafka client metric is known", "chatpulse_kafka_read_bytes_total", true, nil},
		{"the scrape health series is known", "up", true, nil},
		{"an undocumented metric is not", "chatpulse_records", false, nil},
		{"another exporter's metric is not", "process_cpu_seconds_total", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, known, _ := metricDocFor(tt.metric, docs)
			if known != tt.known || !slices.Equal(doc.labels, tt.labels) {
				t.Fatalf("metricDocFor(%q) = %v, %v", tt.metric, doc, known)
			}
		})
	}
}
