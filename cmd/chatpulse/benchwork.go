package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

// threadCPU is the user plus system CPU time of each of a process's live threads, summed by
// thread name: ClickHouse names its background pools, so merges and inserts can be told apart.
func threadCPU(pid int) map[string]time.Duration {
	out := map[string]time.Duration{}
	tasks, _ := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", t.Name(), "stat"))
		if err != nil {
			continue
		}
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(string(b[end+1:]))
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		out[string(b[open+1:end])] += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out
}

// threadCPULine renders the CPU each thread name used between two readings, largest first.
func threadCPULine(before, after map[string]time.Duration) string {
	type use struct {
		name string
		cpu  time.Duration
	}
	var uses []use
	for name, t := range after {
		if d := t - before[name]; d > 0 {
			uses = append(uses, use{name, d})
		}
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].cpu > uses[j].cpu })
	parts := make([]string, len(uses))
	for i, u := range uses {
		parts[i] = fmt.Sprintf("%s %.1fs", u.name, u.cpu.Seconds())
	}
	return strings.Join(parts, ", ")
}

// The work of the pipeline run, by table, from the server's own logs: inserts (their CPU
// includes every materialized view the insert feeds) and parts written and merged.
const (
	insertWorkQuery = `SELECT extract(query, 'INSERT INTO [a-z_0-9]+\\.([a-z_0-9]+)') AS tbl,
    count() AS inserts, sum(written_rows) AS written_rows,
    round(sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'UserTimeMicroseconds')]
        + ProfileEvents.Values[indexOf(ProfileEvents.Names, 'SystemTimeMicroseconds')]) / 1e6, 2) AS cpu_s,
    round(sum(query_duration_ms) / 1e3, 2) AS wall_s
FROM system.query_log
WHERE type = 2 AND query LIKE 'INSERT INTO%' AND event_time BETWEEN {from} AND {to}
GROUP BY tbl ORDER BY cpu_s DESC FORMAT PrettyCompactNoEscapes`
	partWorkQuery = `SELECT table, toInt8(event_type) AS kind, count() AS parts, sum(rows) AS rows,
    round(sum(size_in_bytes) / 1048576, 1) AS mib, round(sum(duration_ms) / 1e3, 2) AS wall_s
FROM system.part_log
WHERE toInt8(event_type) IN (1, 2) AND event_time BETWEEN {from} AND {to}
GROUP BY table, kind ORDER BY kind DESC, wall_s DESC FORMAT PrettyCompactNoEscapes`
)

// clickHouseWork prints the inserts and parts of the interval [from, to] by table.
func clickHouseWork(ctx context.Context, ch *testenv.ClickHouse, from, to time.Time, say func(string, ...any)) {
	r := strings.NewReplacer("{from}", strconv.FormatInt(from.Unix(), 10), "{to}", strconv.FormatInt(to.Unix()+1, 10))
	if _, err := workQuery(ctx, ch, "SYSTEM FLUSH LOGS"); err != nil {
		say("ClickHouse work: %v", err)
		return
	}
	for _, q := range []string{insertWorkQuery, partWorkQuery} {
		out, err := workQuery(ctx, ch, r.Replace(q))
		if err != nil {
			say("ClickHouse work: %v", err)
			continue
		}
		say("ClickHouse work during (b):\n%s", out)
	}
}

// alterSchema migrates the bench's database, drops the named materialized views and runs the
// statements of sqlFile (separated by ";" at a line's end, {db} for the database), so that a
// run shows what ClickHouse spends without the views or with another form of them.
func alterSchema(ctx context.Context, ch *testenv.ClickHouse, cfg sink.Config, log *slog.Logger, views, sqlFile string) error {
	client, err := sink.Connect(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	client.Close()
	var stmts []string
	for _, name := range strings.Split(views, ",") {
		if name = strings.TrimSpace(name); name != "" {
			stmts = append(stmts, "DROP TABLE "+cfg.Database+"."+name)
		}
	}
	if sqlFile != "" {
		b, err := os.ReadFile(sqlFile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		for _, s := range strings.Split(strings.ReplaceAll(string(b), "{db}", cfg.Database), ";\n") {
			if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";")); s != "" {
				stmts = append(stmts, s)
			}
		}
	}
	for _, s := range stmts {
		if _, err := workQuery(ctx, ch, s); err != nil {
			return err
		}
	}
	return nil
}

func workQuery(ctx context.Context, ch *testenv.ClickHouse, query string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ch.HTTPAddr()+"/?"+url.Values{"query": {query}}.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("clickhouse query: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("clickhouse query: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("clickhouse query: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse query: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return string(b), nil
}

// settledCPU waits until the process at pid has used less than 20 ms of CPU in a second, or a
// minute has passed, and returns its CPU time then: ClickHouse goes on merging the parts of a
// run after the run, and that work is the run's too.
func settledCPU(ctx context.Context, pid int) time.Duration {
	last := processCPU(pid)
	for range 60 {
		select {
		case <-ctx.Done():
			return last
		case <-time.After(time.Second):
		}
		now := processCPU(pid)
		if now-last < 20*time.Millisecond {
			return now
		}
		last = now
	}
	return last
}
