package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// metricDoc is one row of the README's Monitoring table.
type metricDoc struct {
	kind   string // counter, gauge or histogram
	labels []string
}

// tableCode is a backticked name in a cell of the README's Monitoring table.
var tableCode = regexp.MustCompile("`([a-z0-9_]+)`")

// documentedMetrics returns the metrics of the README's Monitoring table (metric, type, labels,
// meaning), by name.
func documentedMetrics(t *testing.T) map[string]metricDoc {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Monitoring\n")
	if !ok {
		t.Fatal("README.md has no ## Monitoring section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	docs := map[string]metricDoc{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			continue
		}
		name := tableCode.FindStringSubmatch(cells[1])
		if name == nil || !strings.HasPrefix(name[1], "chatpulse_") {
			continue
		}
		doc := metricDoc{kind: strings.TrimSpace(cells[2])}
		for _, m := range tableCode.FindAllStringSubmatch(cells[3], -1) {
			doc.labels = append(doc.labels, m[1])
		}
		docs[name[1]] = doc
	}
	if len(docs) == 0 {
		t.Fatal("README ## Monitoring has no table of chatpulse_ metrics")
	}
	return docs
}

// scrapeLabels are the labels Prometheus adds to every series it scrapes.
var scrapeLabels = []string{"instance", "job"}

// metricDocFor returns the documentation of a series name: a documented metric, or the
// _bucket, _sum or _count series of a documented histogram (the bucket's le label included).
// The Kafka client's metrics (chatpulse_kafka_*) and up are documented by their exporters,
// so they have no labels to check and kprom reports false.
func metricDocFor(name string, docs map[string]metricDoc) (doc metricDoc, known, kprom bool) {
	if name == "up" || strings.HasPrefix(name, "chatpulse_kafka_") {
		return metricDoc{}, true, true
	}
	if d, ok := docs[name]; ok {
		return d, true, false
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && docs[base].kind == "histogram" {
			d := docs[base]
			if suffix == "_bucket" {
				d.labels = append(slices.Clone(d.labels), "le")
			}
			return d, true, false
		}
	}
	return metricDoc{}, false, false
}

// promKeywords are PromQL words that are not metric names where no '(' follows them: keywords,
// and the aggregation operators, which may take "by (...)" before their parenthesis.
var promKeywords = []string{
	"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan",
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}

// promGrouping are the PromQL words whose parenthesized list holds label names.
var promGrouping = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// promNames returns the metric names a PromQL expression selects and the labels its
// by/without/on/ignoring/group_* lists name. String literals, label matchers {...}, ranges and
// subqueries [...], function names (words followed by '('), keywords and numbers are skipped;
// every other word is a metric name.
func promNames(expr string) (names, labels []string) {
	rs := []rune(expr)
	skipTo := func(i int, open, close rune) int {
		depth := 0
		for ; i < len(rs); i++ {
			switch rs[i] {
			case open:
				depth++
			case close:
				depth--
				if depth == 0 {
					return i + 1
				}
			case '"', '\'', '`':
				i = skipString(rs, i) - 1
			}
		}
		return i
	}
	isWord := func(r rune) bool { return r == '_' || r == ':' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == '"' || r == '\'' || r == '`':
			i = skipString(rs, i)
		case r == '{':
			i = skipTo(i, '{', '}')
		case r == '[':
			i = skipTo(i, '[', ']')
		case unicode.IsDigit(r) || r == '.' || r == '$':
			// a number, a duration or a Grafana variable such as $__rate_interval
			for i++; i < len(rs) && (isWord(rs[i]) || rs[i] == '.'); i++ {
			}
		case isWord(r):
			start := i
			for i < len(rs) && isWord(rs[i]) {
				i++
			}
			word := string(rs[start:i])
			next := i
			for next < len(rs) && unicode.IsSpace(rs[next]) {
				next++
			}
			followedByParen := next < len(rs) && rs[next] == '('
			switch {
			case slices.Contains(promGrouping, strings.ToLower(word)) && followedByParen:
				i = skipTo(next, '(', ')')
				for _, l := range strings.Split(string(rs[next+1:i-1]), ",") {
					if l = strings.TrimSpace(l); l != "" {
						labels = append(labels, l)
					}
				}
			case followedByParen, slices.Contains(promKeywords, strings.ToLower(word)):
			default:
				names = append(names, word)
			}
		default:
			i++
		}
	}
	return names, labels
}

// skipString returns the index after the string literal that starts at i.
func skipString(rs []rune, i int) int {
	quote := rs[i]
	for i++; i < len(rs); i++ {
		if rs[i] == '\\' && quote != '`' {
			i++
			continue
		}
		if rs[i] == quote {
			return i + 1
		}
	}
	return i
}

func TestDashboardPromQLNamesAreFound(t *testing.T) {
	tests := []struct {
		name, expr     string
		metrics, label []string
	}{
		{"a rate by labels names its counter and the labels",
			`sum by (topic, format) (rate(chatpulse_records_total[$__rate_interval]))`, []string{"chatpulse_records_total"}, []string{"topic", "format"}},
		{"label matchers and their values are no metrics",
			`sum(up{job="chatpulse", instance=~"w.*"})`, []string{"up"}, nil},
		{"a histogram quantile names its bucket series",
			`histogram_quantile(0.9, sum by (le) (rate(chatpulse_sink_insert_seconds_bucket[5m])))`, []string{"chatpulse_sink_insert_seconds_bucket"}, []string{"le"}},
		{"both sides of a binary operation count, and the matching labels",
			`a_total / on (instance) group_left (topic) b_total offset 5m > bool 0`, []string{"a_total", "b_total"}, []string{"instance", "topic"}},
		{"a subquery range is skipped",
			`max_over_time(chatpulse_watermark_lag_seconds[1h:1m])`, []string{"chatpulse_watermark_lag_seconds"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metrics, labels := promNames(tt.expr)
			if !slices.Equal(metrics, tt.metrics) || !slices.Equal(labels, tt.label) {
				t.Fatalf("promNames(%q) = %q, %q; want %q, %q", tt.expr, metrics, labels, tt.metrics, tt.label)
			}
		})
	}
}

// TestDashboardPrometheusQueriesUseDocumentedMetrics checks every PromQL expression of the
// dashboards against the README's Monitoring table: each metric is documented (a histogram
// through its series), and each label an expression groups or matches by is one of its
// metrics' documented labels or a label Prometheus adds.
func TestDashboardPrometheusQueriesUseDocumentedMetrics(t *testing.T) {
	docs := documentedMetrics(t)
	qs := queries(loadDashboards(t), prometheusDSUID)
	if len(qs) == 0 {
		t.Fatal("the dashboards have no Prometheus query")
	}
	for _, q := range qs {
		metrics, labels := promNames(q.Expr)
		if len(metrics) == 0 {
			t.Errorf("%s: %q selects no metric", q, q.Expr)
		}
		allowed := slices.Clone(scrapeLabels)
		anyKprom := false
		for _, name := range metrics {
			doc, known, kprom := metricDocFor(name, docs)
			if !known {
				t.Errorf("%s: %s is not in the README's Monitoring table (%q)", q, name, q.Expr)
			}
			anyKprom = anyKprom || kprom
			allowed = append(allowed, doc.labels...)
		}
		for _, l := range labels {
			if !anyKprom && !slices.Contains(allowed, l) {
				t.Errorf("%s: label %s is not a documented label of %q (%q)", q, l, metrics, q.Expr)
			}
		}
	}
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
