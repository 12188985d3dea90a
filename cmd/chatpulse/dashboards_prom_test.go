package main

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
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

// promMatcher is one label matcher of a selector, such as job="chatpulse".
type promMatcher struct {
	label, op, value string
}

// matcherRE is one matcher inside a selector's braces.
var matcherRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)

// parseMatchers parses the inside of a selector's braces.
func parseMatchers(inside string) ([]promMatcher, error) {
	var out []promMatcher
	for _, part := range splitMatchers(inside) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		m := matcherRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("label matcher %q", part)
		}
		out = append(out, promMatcher{label: m[1], op: m[2], value: m[3]})
	}
	return out, nil
}

// splitMatchers splits on the commas outside string literals.
func splitMatchers(s string) []string {
	var parts []string
	rs := []rune(s)
	start := 0
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '"':
			i = skipString(rs, i) - 1
		case ',':
			parts = append(parts, string(rs[start:i]))
			start = i + 1
		}
	}
	return append(parts, string(rs[start:]))
}

// promNames returns the metric names a PromQL expression selects, the labels its
// by/without/on/ignoring/group_* lists name, and its selectors' label matchers. String
// literals, ranges and subqueries [...], function names (words followed by '('), keywords and
// numbers are skipped; every other word is a metric name.
func promNames(expr string) (names, labels []string, matchers []promMatcher, err error) {
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
			end := skipTo(i, '{', '}')
			ms, perr := parseMatchers(string(rs[i+1 : end-1]))
			if perr != nil {
				return nil, nil, nil, perr
			}
			matchers = append(matchers, ms...)
			i = end
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
	return names, labels, matchers, nil
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
		matchers       []promMatcher
	}{
		{"a rate by labels names its counter and the labels",
			`sum by (topic, format) (rate(chatpulse_records_total[$__rate_interval]))`, []string{"chatpulse_records_total"}, []string{"topic", "format"}, nil},
		{"label matchers are no metrics, and are returned with their values",
			`sum(up{job="chatpulse", instance=~"w,.*"})`, []string{"up"}, nil,
			[]promMatcher{{"job", "=", "chatpulse"}, {"instance", "=~", "w,.*"}}},
		{"a histogram quantile names its bucket series",
			`histogram_quantile(0.9, sum by (le) (rate(chatpulse_sink_insert_seconds_bucket[5m])))`, []string{"chatpulse_sink_insert_seconds_bucket"}, []string{"le"}, nil},
		{"both sides of a binary operation count, and the matching labels",
			`a_total / on (instance) group_left (topic) b_total offset 5m > bool 0`, []string{"a_total", "b_total"}, []string{"instance", "topic"}, nil},
		{"a subquery range is skipped",
			`max_over_time(chatpulse_watermark_lag_seconds[1h:1m])`, []string{"chatpulse_watermark_lag_seconds"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metrics, labels, matchers, err := promNames(tt.expr)
			if err != nil || !slices.Equal(metrics, tt.metrics) || !slices.Equal(labels, tt.label) || !slices.Equal(matchers, tt.matchers) {
				t.Fatalf("promNames(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.expr, metrics, labels, matchers, err, tt.metrics, tt.label, tt.matchers)
			}
		})
	}
	if _, _, _, err := promNames(`up{job}`); err == nil {
		t.Fatal("a matcher without an operator and value is accepted")
	}
}

// TestDashboardPrometheusQueriesUseDocumentedMetrics checks every PromQL expression of the
// dashboards against the README's Monitoring table: each metric is documented (a histogram
// through its series), each label an expression groups or matches by is one of its metrics'
// documented labels or a label Prometheus adds, and a job matcher names a job of
// deploy/prometheus/prometheus.yml. TestMetricsCountTheSeedExamples checks the same
// expressions against what a running worker exports, the Kafka client's metrics included.
func TestDashboardPrometheusQueriesUseDocumentedMetrics(t *testing.T) {
	docs := documentedMetrics(t)
	jobs := scrapeJobs(t)
	for _, pq := range promQueries(t) {
		q, metrics, labels, matchers := pq.query, pq.metrics, pq.labels, pq.matchers
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
		for _, m := range matchers {
			if m.label == "job" && (m.op != "=" || !slices.Contains(jobs, m.value)) {
				t.Errorf("%s: matcher job%s%q, want = one of the jobs of %s %q", q, m.op, m.value, prometheusPath, jobs)
			}
		}
	}
}

// promQuery is a Prometheus query of a dashboard with what its expression names: metrics,
// labels (those it groups by and those it matches) and matchers.
type promQuery struct {
	query    dashboardQuery
	metrics  []string
	labels   []string
	matchers []promMatcher
}

// promQueries parses every Prometheus query of the dashboards; one that does not parse fails
// the test and is left out.
func promQueries(t *testing.T) []promQuery {
	t.Helper()
	qs := queries(loadDashboards(t), prometheusDSUID)
	if len(qs) == 0 {
		t.Fatal("the dashboards have no Prometheus query")
	}
	var out []promQuery
	for _, q := range qs {
		metrics, labels, matchers, err := promNames(q.Expr)
		if err != nil {
			t.Errorf("%s: %q: %v", q, q.Expr, err)
			continue
		}
		for _, m := range matchers {
			labels = append(labels, m.label)
		}
		out = append(out, promQuery{query: q, metrics: metrics, labels: labels, matchers: matchers})
	}
	return out
}

// scrapeJobs are the job names of deploy/prometheus/prometheus.yml.
func scrapeJobs(t *testing.T) []string {
	t.Helper()
	var f prometheusFile
	if err := yaml.Unmarshal([]byte(readRepoFile(t, prometheusPath)), &f); err != nil {
		t.Fatalf("%s: %v", prometheusPath, err)
	}
	var jobs []string
	for _, sc := range f.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	return jobs
}

// checkDashboardSeries checks every PromQL expression of the dashboards against what a running
// worker exports: described maps each metric its collectors describe to its labels, scraped
// holds the samples of a /metrics scrape. Each metric an expression selects must be described
// (a histogram through its _bucket, _sum and _count series), each label it groups or matches
// by must be a label of one of its metrics or one Prometheus adds, and a histogram it reads
// buckets of must have samples, which a kprom histogram only has when it is switched on.
func checkDashboardSeries(t *testing.T, described map[string][]string, scraped map[string]float64) {
	t.Helper()
	for _, pq := range promQueries(t) {
		q, metrics, labels := pq.query, pq.metrics, pq.labels
		allowed := slices.Clone(scrapeLabels)
		for _, name := range metrics {
			if name == "up" { // Prometheus's own series of every target
				continue
			}
			base, suffix := name, ""
			if _, ok := described[name]; !ok {
				for _, sfx := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, sfx); ok {
						if _, ok := described[b]; ok {
							base, suffix = b, sfx
						}
					}
				}
			}
			ls, ok := described[base]
			if !ok {
				t.Errorf("%s: the worker exports no metric %s (%q)", q, name, q.Expr)
				continue
			}
			allowed = append(allowed, ls...)
			if suffix == "_bucket" {
				allowed = append(allowed, "le")
				if !slices.ContainsFunc(slices.Collect(maps.Keys(scraped)), func(series string) bool {
					return strings.HasPrefix(series, name+"{")
				}) {
					t.Errorf("%s: the worker's /metrics has no %s series after a run (%q)", q, name, q.Expr)
				}
			}
		}
		for _, l := range labels {
			if !slices.Contains(allowed, l) {
				t.Errorf("%s: label %s is not a label of %q (%q)", q, l, metrics, q.Expr)
			}
		}
	}
}
