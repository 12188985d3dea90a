package main

import (
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
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
	reg := &describer{}
	if err := registerMetrics(reg, proc, writer); err != nil {
		t.Fatal(err)
	}
	var described []string
	for _, name := range reg.names {
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

// describer is a Registerer that records the names of the metrics its collectors describe.
type describer struct{ names []string }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	for desc := range ch {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			d.names = append(d.names, m[1])
		}
	}
	return nil
}

func (d *describer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}

func (d *describer) Unregister(prometheus.Collector) bool { return true }
