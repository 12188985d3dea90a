// Command benchqueries measures what the analyst queries cost: it loads synthetic traffic into
// a ClickHouse database (a local 18.16 server it starts, or CHATPULSE_CLICKHOUSE_ADDR), then
// runs every SQL panel of the Grafana dashboards for the last day, the last week and the whole
// range, and every SQL query of the README's analyst section, and prints the time, rows read,
// peak memory and result rows of each as system.query_log recorded them. make bench-queries
// runs it; it is not part of CI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/deploy/grafana"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchqueries:", err)
		os.Exit(1)
	}
}

func run() error {
	messages := flag.Int("messages", 1_000_000, "messages to load")
	days := flag.Int("days", 60, "days the messages spread over")
	schema := flag.Uint("schema", 0, "schema version to measure (0: the newest)")
	database := flag.String("database", "querybench", "database to load into (dropped first)")
	only := flag.String("only", "", "run only the queries whose name contains this")
	skip := flag.String("skip", "", "skip the queries whose name matches this regexp")
	whole := flag.String("whole", "", "run the whole range only for the queries whose name matches this regexp (default: all)")
	load := flag.Bool("load", true, "drop the database and load it; false measures a database loaded before (with CHATPULSE_CLICKHOUSE_ADDR)")
	optimize := flag.Bool("optimize", true, "merge the parts of the day-partitioned tables after the load, as background merges would in time")
	repo := flag.String("repo", ".", "checkout holding deploy/grafana/dashboards and README.md")
	settle := flag.Duration("settle", 10*time.Second, "measure once no background merge of the database has run for this long")
	flag.Parse()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	cfg := sink.DefaultConfig()
	cfg.Database = *database
	if addr := os.Getenv("CHATPULSE_CLICKHOUSE_ADDR"); addr != "" {
		cfg.Addr = addr
	} else {
		ch, err := testenv.StartClickHouse(ctx, log, testenv.WithQueryLog())
		if err != nil {
			return err
		}
		defer ch.Close()
		cfg.Addr = ch.Addr()
	}
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	queries, err := loadQueries(*repo)
	if err != nil {
		return err
	}
	c, err := sink.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if *load {
		if err := loadDatabase(ctx, c, *schema, *messages, *days, *optimize, end); err != nil {
			return err
		}
	}
	// A load leaves the unpartitioned tables to background merges; queries measured beside
	// them would share the cores with them.
	waited := time.Now()
	if err := c.WaitForMerges(ctx, *settle, time.Second); err != nil {
		return err
	}
	fmt.Printf("no background merge for %s after %s\n", *settle, time.Since(waited).Round(time.Second))
	for _, t := range []string{"messages", "receipts", "replies", "reactions", "sessions", "membership_events", "handover_events"} {
		n, err := c.CountRows(ctx, t)
		if err != nil {
			return err
		}
		fmt.Printf("  %s: %d rows\n", t, n)
	}
	ranges := []struct {
		name string
		from time.Time
	}{
		{"day", end.AddDate(0, 0, -1)},
		{"week", end.AddDate(0, 0, -7)},
		{"all", end.AddDate(0, 0, -*days)},
	}
	for _, r := range ranges {
		n, err := c.RowsWrittenBetween(ctx, r.from.UnixMilli(), end.UnixMilli())
		if err != nil {
			return err
		}
		fmt.Printf("  rows written about the last %s: %d\n", r.name, n)
	}
	const row = "%-58s %-5s %8s %12s %9s %8s\n"
	fmt.Printf(row, "query", "range", "time s", "rows read", "peak MiB", "result")
	wholeRe, err := regexp.Compile(*whole)
	if err != nil {
		return fmt.Errorf("-whole: %w", err)
	}
	skipRe, err := regexp.Compile(*skip)
	if err != nil {
		return fmt.Errorf("-skip: %w", err)
	}
	for _, q := range queries {
		if !strings.Contains(q.name, *only) || (*skip != "" && skipRe.MatchString(q.name)) {
			continue
		}
		for _, r := range ranges {
			if !q.timed && r.name != "all" {
				continue
			}
			if r.name == "all" && !wholeRe.MatchString(q.name) {
				continue
			}
			sql, err := expand(q.sql, *database, r.from, end)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			st, err := c.MeasureQuery(ctx, sql)
			if err != nil {
				fmt.Printf("%-58s %-5s error: %s\n", q.name, r.name, firstLine(err.Error()))
				continue
			}
			fmt.Printf(row, q.name, r.name, fmt.Sprintf("%.2f", st.Duration.Seconds()), fmt.Sprint(st.ReadRows),
				fmt.Sprintf("%.0f", float64(st.MemoryBytes)/(1<<20)), fmt.Sprint(st.ResultRows))
		}
	}
	return nil
}

// loadDatabase drops the database, applies the schema (version schema, 0 for the newest) and
// loads the synthetic traffic.
func loadDatabase(ctx context.Context, c *sink.Client, schema uint, messages, days int, optimize bool, end time.Time) error {
	if err := c.DropDatabase(ctx); err != nil {
		return err
	}
	var err error
	if schema == 0 {
		err = c.Migrate(ctx)
	} else {
		err = c.MigrateTo(ctx, uint32(schema))
	}
	if err != nil {
		return err
	}
	began := time.Now()
	if err := c.LoadSynthetic(ctx, sink.SyntheticLoad{Messages: messages, Days: days, End: end}); err != nil {
		return err
	}
	if optimize {
		if err := c.OptimizeByDay(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("loaded %d messages over %d days in %s (schema %s)\n", messages, days, time.Since(began).Round(time.Second), schemaName(schema))
	return nil
}

func schemaName(v uint) string {
	if v == 0 {
		return "newest"
	}
	return fmt.Sprint(v)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// query is a dashboard panel's SQL or a README query; timed ones take the panel time range.
type query struct {
	name  string
	sql   string
	timed bool
}

func loadQueries(repo string) ([]query, error) {
	var out []query
	panels, err := grafana.ClickHouseQueries(filepath.Join(repo, "deploy/grafana/dashboards"))
	if err != nil {
		return nil, err
	}
	for _, p := range panels {
		out = append(out, query{name: strings.TrimSuffix(p.File, ".json") + ": " + p.Title, sql: p.SQL, timed: strings.Contains(p.SQL, "$__")})
	}
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		return nil, err
	}
	section, ok := strings.CutPrefix(string(readme)[strings.Index(string(readme), "## Analyst contract"):], "## Analyst contract")
	if !ok {
		return nil, errors.New("README.md has no analyst contract section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	for i, m := range sqlBlock.FindAllStringSubmatch(section, -1) {
		sql := strings.NewReplacer(readmeDays, "BETWEEN toDate('{from_day}') AND toDate('{to_day}')", readmeDayFrom, "{from}", readmeDayTo, "{to}").Replace(m[1])
		out = append(out, query{name: fmt.Sprintf("README query %d", i+1), sql: sql, timed: sql != m[1]})
	}
	return out, nil
}

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// The README's time-range example reads 2024-01-01, a day of the test fixtures; the benchmark
// moves it to the range it measures.
const (
	readmeDays    = "BETWEEN toDate('2024-01-01') AND toDate('2024-01-01')"
	readmeDayFrom = "1704067200000"
	readmeDayTo   = "1704153600000"
)

// expand fills the Grafana variables and the ClickHouse plugin's macros as the plugin does, and
// the README's chatpulse database and {from}/{to} placeholders.
func expand(sql, db string, from, to time.Time) (string, error) {
	sql = strings.NewReplacer(
		"chatpulse.", db+".",
		"{from}", fmt.Sprint(from.UnixMilli()), "{to}", fmt.Sprint(to.UnixMilli()),
		"{from_day}", from.Format("2006-01-02"), "{to_day}", to.Add(-time.Millisecond).Format("2006-01-02"),
	).Replace(sql)
	interval := time.Duration(max(int(to.Sub(from).Seconds())/1000, 1)) * time.Second
	return grafana.ExpandMacros(grafana.WithDefaults(sql, db), grafana.Range{From: from, To: to, Interval: interval})
}
