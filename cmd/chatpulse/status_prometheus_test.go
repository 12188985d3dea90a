package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// prometheusBinaries returns Debian's prometheus and promtool, which scripts/deps.sh test
// installs; without them the test fails.
func prometheusBinaries(t *testing.T) (server, promtool string) {
	t.Helper()
	server, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus is not installed (scripts/deps.sh test installs it): %v", err)
	}
	promtool, err = exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (it comes with prometheus): %v", err)
	}
	return server, promtool
}

// scrapeInterval is the test's Prometheus scrape interval; rateWindow fills Grafana's
// $__rate_interval, as Grafana does, with at least four scrape intervals.
const (
	scrapeInterval = time.Second
	rateWindow     = "5s"
)

// testPrometheusConfig derives a configuration from deploy/prometheus/prometheus.yml that
// scrapes the worker at addr every second, keeping the repository's jobs and paths.
func testPrometheusConfig(t *testing.T, addr string) []byte {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(readRepoFile(t, prometheusPath)), &cfg); err != nil {
		t.Fatal(err)
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
		cfg["global"] = global
	}
	global["scrape_interval"] = scrapeInterval.String()
	global["evaluation_interval"] = scrapeInterval.String()
	jobs, _ := cfg["scrape_configs"].([]any)
	if len(jobs) == 0 {
		t.Fatalf("%s has no scrape_configs", prometheusPath)
	}
	for _, j := range jobs {
		job := j.(map[string]any)
		job["static_configs"] = []any{map[string]any{"targets": []any{addr}}}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDashboardsOnPrometheus checks the repository's scrape configuration with promtool,
// runs Prometheus on a configuration derived from it against the worker at addr, and runs
// every PromQL query of the dashboards, $__rate_interval filled in: each must return data.
func checkDashboardsOnPrometheus(t *testing.T, ctx context.Context, addr string) {
	server, promtool := prometheusBinaries(t)
	dir := t.TempDir()
	if out, err := exec.CommandContext(ctx, promtool, "check", "config", filepath.Join("..", "..", prometheusPath)).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config %s: %v\n%s", prometheusPath, err, out)
	}
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, testPrometheusConfig(t, addr), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, promtool, "check", "config", configPath).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config of the test: %v\n%s", err, out)
	}
	listen := freeAddr(t)
	cmd := exec.Command(server, "--config.file="+configPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	}()

	base := "http://" + listen
	// Wait until Prometheus has scraped the worker long enough for every rate to have samples.
	for {
		v, err := promInstant(ctx, base, `count_over_time(up{job="chatpulse"}[1m]) and up{job="chatpulse"} == 1`)
		if err == nil && len(v) == 1 && v[0].value() >= 6 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Prometheus did not scrape the worker: %v %v", v, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, pq := range promQueries(t) {
		expr := strings.ReplaceAll(pq.query.Expr, "$__rate_interval", rateWindow)
		if strings.Contains(expr, "$") {
			t.Errorf("%s: a Grafana variable is left to fill in %q", pq.query, expr)
			continue
		}
		v, err := promInstant(ctx, base, expr)
		if err != nil {
			t.Errorf("%s: %q: %v", pq.query, expr, err)
			continue
		}
		if len(v) == 0 {
			t.Errorf("%s: %q returns no data", pq.query, expr)
		}
	}
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSample) value() float64 {
	var f float64
	str, _ := s.Value[1].(string)
	fmt.Sscan(str, &f)
	return f
}

// promInstant runs an instant query through Prometheus's HTTP API.
func promInstant(ctx context.Context, base, expr string) ([]promSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(expr), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string       `json:"resultType"`
			Result     []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s", body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %s, want vector", body.Data.ResultType)
	}
	return body.Data.Result, nil
}
