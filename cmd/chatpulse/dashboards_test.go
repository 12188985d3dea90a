package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/deploy/grafana"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

const (
	dashboardDir      = "../../deploy/grafana/dashboards"
	clickHouseDSType  = "grafana-clickhouse-datasource"
	clickHouseDSUID   = "chatpulse-clickhouse"
	prometheusDSUID   = "chatpulse-prometheus"
	dashboardDatabase = "chatpulse" // the demo's database, sink.DefaultConfig's
)

// dashboardFiles are the dashboards the README describes.
var dashboardFiles = []string{"delivery.json", "replies.json", "users.json", "groups.json", "pipeline.json"}

// contractViews are the only names a dashboard query may read, with message_state,
// session_days, user_days, user_day_states, receipt_days, receipt_firsts, membership_days,
// group_message_days and conversation_days: the rows under message_facts, user_sessions, the
// active users, message_receipts and group_daily filed by day, which a time-range panel filters
// by day before it merges them, so that the panel reads that range only; user_first_days, one
// row per user; message_conflicts, which ranks user_days, conversation_days and
// receipt_firsts; and user_message_days, read by the ids of message_conflicts (README, "Time
// ranges").
var contractViews = []string{
	"message_facts", "message_receipts", "user_sessions", "group_members", "group_daily",
	"handovers", "engagement_daily", "message_state", "session_days", "user_days", "message_conflicts",
	"user_day_states", "user_message_days", "user_first_days", "receipt_days", "receipt_firsts",
	"membership_days", "group_message_days", "conversation_days",
}

// dashboard is the part of Grafana's dashboard JSON model the checks read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []templateVar `json:"list"`
	} `json:"templating"`
	file string
	raw  any // the whole JSON, for the checks that must see every object
}

// panel is a panel or a row; a collapsed row holds its panels in Panels.
type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	Targets    []target       `json:"targets"`
	Panels     []panel        `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// target is one query of a panel: rawSql for the ClickHouse plugin, expr for Prometheus.
type target struct {
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
	EditorType string         `json:"editorType"`
	Format     *int           `json:"format"`
	QueryType  string         `json:"queryType"`
	RawSQL     string         `json:"rawSql"`
	Expr       string         `json:"expr"`
}

type templateVar struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Query      string `json:"query"`
	IncludeAll bool   `json:"includeAll"`
	Multi      bool   `json:"multi"`
	Options    []struct {
		Value string `json:"value"`
	} `json:"options"`
}

// dashboardQuery is one target with the dashboard and panel it belongs to.
type dashboardQuery struct {
	dash  *dashboard
	panel panel
	target
}

func (q dashboardQuery) String() string {
	return fmt.Sprintf("%s: %s (%s)", q.dash.file, q.panel.Title, q.RefID)
}

func loadDashboards(t *testing.T) []*dashboard {
	t.Helper()
	var out []*dashboard
	for _, name := range dashboardFiles {
		b, err := os.ReadFile(filepath.Join(dashboardDir, name))
		if err != nil {
			t.Fatal(err)
		}
		d := &dashboard{file: name}
		if err := json.Unmarshal(b, d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := json.Unmarshal(b, &d.raw); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, d)
	}
	return out
}

// allPanels returns every panel of d, rows and the panels inside collapsed rows included.
func (d *dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// queries returns the targets of every dashboard whose datasource has uid.
func queries(ds []*dashboard, uid string) []dashboardQuery {
	var out []dashboardQuery
	for _, d := range ds {
		for _, p := range d.allPanels() {
			for _, tg := range p.Targets {
				if tg.Datasource != nil && tg.Datasource.UID == uid {
					out = append(out, dashboardQuery{dash: d, panel: p, target: tg})
				}
			}
		}
	}
	return out
}

func TestDashboardsAreWellFormed(t *testing.T) {
	ds := loadDashboards(t)
	uids, titles := map[string]string{}, map[string]string{}
	for _, d := range ds {
		t.Run(d.file+" has a unique uid and title", func(t *testing.T) {
			if d.UID == "" || d.Title == "" {
				t.Fatalf("uid %q, title %q", d.UID, d.Title)
			}
			if f, ok := uids[d.UID]; ok {
				t.Fatalf("uid %q is also the uid of %s", d.UID, f)
			}
			if f, ok := titles[d.Title]; ok {
				t.Fatalf("title %q is also the title of %s", d.Title, f)
			}
			uids[d.UID], titles[d.Title] = d.file, d.file
		})
		t.Run(d.file+" has titled panels on the chatpulse datasources", func(t *testing.T) {
			ids := map[int]bool{}
			queries := 0
			for _, p := range d.allPanels() {
				if p.Title == "" {
					t.Errorf("panel %d has no title", p.ID)
				}
				if ids[p.ID] {
					t.Errorf("panel id %d is used twice", p.ID)
				}
				ids[p.ID] = true
				if p.Type == "row" {
					continue
				}
				if p.Datasource == nil || !validDatasource(*p.Datasource) {
					t.Errorf("panel %q: datasource %+v, want uid %s or %s", p.Title, p.Datasource, clickHouseDSUID, prometheusDSUID)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				refs := map[string]bool{}
				for _, tg := range p.Targets {
					queries++
					if tg.Datasource == nil || !validDatasource(*tg.Datasource) {
						t.Errorf("panel %q query %s: datasource %+v", p.Title, tg.RefID, tg.Datasource)
						continue
					}
					if tg.RefID == "" || refs[tg.RefID] {
						t.Errorf("panel %q: refId %q missing or used twice", p.Title, tg.RefID)
					}
					refs[tg.RefID] = true
					if tg.Datasource.UID == clickHouseDSUID {
						checkClickHouseTarget(t, p.Title, tg)
					} else if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("panel %q query %s has no PromQL expression", p.Title, tg.RefID)
					}
				}
			}
			if queries == 0 {
				t.Fatal("no queries")
			}
		})
	}
}

// TestEveryClickHouseQueryOfTheDashboardsIsRun walks each dashboard's whole JSON for objects on
// the ClickHouse datasource, so that no query escapes the tests that run them: every one must
// be a panel or a panel's raw SQL target, which queries collects. An annotation or a template
// variable querying ClickHouse would not be run, and fails here until the tests run it too.
func TestEveryClickHouseQueryOfTheDashboardsIsRun(t *testing.T) {
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			sqls := 0
			var walk func(path string, v any)
			walk = func(path string, v any) {
				switch v := v.(type) {
				case map[string]any:
					if _, ok := v["rawSql"]; ok {
						sqls++
					}
					if ds, ok := v["datasource"].(map[string]any); ok && ds["uid"] == clickHouseDSUID {
						_, panel := v["targets"]
						_, query := v["rawSql"]
						if !panel && !query {
							t.Errorf("%s queries ClickHouse but is neither a panel nor a raw SQL target", path)
						}
					}
					for k, e := range v {
						walk(path+"."+k, e)
					}
				case []any:
					for i, e := range v {
						walk(fmt.Sprintf("%s[%d]", path, i), e)
					}
				}
			}
			walk(d.file, d.raw)
			if got := len(queries([]*dashboard{d}, clickHouseDSUID)); got != sqls {
				t.Errorf("%d objects hold rawSql, the tests run %d of them", sqls, got)
			}
		})
	}
}

// TestDashboardSourceVariableListsEverySource checks that "All" of the Source variable is every
// source chatpulse writes, so that a new input format is not left out of the dashboards.
func TestDashboardSourceVariableListsEverySource(t *testing.T) {
	var want []string
	for s := event.Source(1); s.String() != "unknown"; s++ {
		want = append(want, s.String())
	}
	for _, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			if v.Name != "source" {
				continue
			}
			var options []string
			for _, o := range v.Options {
				if o.Value != "$__all" {
					options = append(options, o.Value)
				}
			}
			query := strings.Split(v.Query, ",")
			if !slices.Equal(options, want) || !slices.Equal(query, want) || !v.IncludeAll || !v.Multi {
				t.Errorf("%s: source variable has options %q, query %q, includeAll %v, multi %v; want %q with All and multi-value",
					d.file, options, query, v.IncludeAll, v.Multi, want)
			}
		}
	}
}

func validDatasource(ds datasourceRef) bool {
	return (ds.UID == clickHouseDSUID && ds.Type == clickHouseDSType) || (ds.UID == prometheusDSUID && ds.Type == "prometheus")
}

// viewRef finds the names a query reads through the database variable.
var viewRef = regexp.MustCompile(`\$\{database\}\.(\w+)`)

// checkClickHouseTarget checks what the plugin needs to run a target as raw SQL, and that the
// query reads contract views only.
func checkClickHouseTarget(t *testing.T, title string, tg target) {
	t.Helper()
	if tg.EditorType != "sql" || strings.TrimSpace(tg.RawSQL) == "" {
		t.Errorf("panel %q query %s: editorType %q with rawSql %q, want raw SQL", title, tg.RefID, tg.EditorType, tg.RawSQL)
	}
	if tg.Format == nil || (*tg.Format == 0) != (tg.QueryType == "timeseries") || (*tg.Format == 1) != (tg.QueryType == "table") {
		t.Errorf("panel %q query %s: format %v with queryType %q, want 0 with timeseries or 1 with table", title, tg.RefID, tg.Format, tg.QueryType)
	}
	refs := viewRef.FindAllStringSubmatch(tg.RawSQL, -1)
	if len(refs) == 0 {
		t.Errorf("panel %q query %s reads no ${database}.<view>", title, tg.RefID)
	}
	for _, m := range refs {
		if !slices.Contains(contractViews, m[1]) {
			t.Errorf("panel %q query %s reads %s, which is not a contract view", title, tg.RefID, m[1])
		}
	}
	if strings.Contains(tg.RawSQL, ";") {
		t.Errorf("panel %q query %s contains ';'", title, tg.RefID)
	}
}

// demoPanelTime covers the demo's traffic (gen's default start 2024-02-13 15:09:20 UTC, ten
// days) as a dashboard would ask for it: whole UTC days, the end at the last millisecond, and
// an interval of an hour.
var demoPanelTime = grafana.Range{
	From:     time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC),
	To:       time.Date(2024, 2, 24, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond),
	Interval: time.Hour,
}

// expandedQueries returns every ClickHouse query of the dashboards as the plugin sends it to
// the server for demoPanelTime, in the database db.
func expandedQueries(t *testing.T, ds []*dashboard, db string) ([]dashboardQuery, []string) {
	t.Helper()
	qs := queries(ds, clickHouseDSUID)
	if len(qs) == 0 {
		t.Fatal("the dashboards have no ClickHouse query")
	}
	sqls := make([]string, len(qs))
	for i, q := range qs {
		s, err := expandVariables(q.RawSQL, q.dash.Templating.List, db)
		if err == nil {
			s, err = grafana.ExpandMacros(s, demoPanelTime)
		}
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		sqls[i] = s
	}
	return qs, sqls
}

// TestDashboardQueriesReturnRowsOnTheDemoData streams the demo's traffic through real workers
// into ClickHouse 18.16, runs every ClickHouse query of the dashboards there, then copies the
// resulting tables to ClickHouse 26 (ch-modern) and runs every query again. Each must succeed
// and return rows on both.
func TestDashboardQueriesReturnRowsOnTheDemoData(t *testing.T) {
	ds := loadDashboards(t)
	qs, sqls := expandedQueries(t, ds, dashboardDatabase)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	data, err := gen.Engagement(demoGen(2400, 10))
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := streamDemo(ctx, data, kafka.Brokers(), ch.Addr(), 2, slog.LevelError, slog.New(slog.DiscardHandler), func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	pipe.Close()
	if db := pipe.cfg.Sink.Database; db != dashboardDatabase {
		t.Fatalf("the demo writes to database %q, the test expands ${database} to %q", db, dashboardDatabase)
	}

	old := make([][]string, len(qs)) // each query's TSV lines on 18.16
	for i, q := range qs {
		t.Run(q.String()+" returns rows on 18.16", func(t *testing.T) {
			out, err := httpQuery(ctx, ch.HTTPAddr(), sqls[i]+"\nFORMAT TabSeparated")
			if err != nil {
				t.Fatalf("%v\n%s", err, sqls[i])
			}
			old[i] = strings.Split(strings.TrimRight(out, "\n"), "\n")
			if msg := emptyResult(old[i]); msg != "" {
				t.Fatalf("%s on the demo data:\n%s", msg, sqls[i])
			}
		})
	}

	t.Run("every query returns rows on ClickHouse 26", func(t *testing.T) {
		dir := t.TempDir()
		stmts := sink.Statements(dashboardDatabase)
		tables, err := httpQuery(ctx, ch.HTTPAddr(), "SELECT name FROM system.tables WHERE database = '"+dashboardDatabase+"' AND engine LIKE '%MergeTree' ORDER BY name FORMAT TabSeparated")
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range strings.Fields(tables) {
			dump, err := httpQuery(ctx, ch.HTTPAddr(), "SELECT * FROM "+dashboardDatabase+"."+table+" FORMAT TabSeparatedWithNamesAndTypes")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, table+".tsv")
			if err := os.WriteFile(file, []byte(dump), 0o644); err != nil {
				t.Fatal(err)
			}
			stmts = append(stmts, fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM file('%s', 'TabSeparatedWithNamesAndTypes')", dashboardDatabase, table, file))
		}
		first := len(stmts)
		stmts = append(stmts, sqls...)
		blocks, err := testenv.RunModern(ctx, stmts)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range blocks[:first] {
			if !b.OK {
				t.Fatalf("schema or data statement fails on ClickHouse 26: %s\n%s", strings.Join(b.Lines, "\n"), stmts[i])
			}
		}
		for i, q := range qs {
			b := blocks[first+i]
			if !b.OK {
				t.Errorf("%s fails on ClickHouse 26: %s\n%s", q, strings.Join(b.Lines, "\n"), sqls[i])
			} else if msg := emptyResult(b.Lines); msg != "" {
				t.Errorf("%s: %s on ClickHouse 26:\n%s", q, msg, sqls[i])
			} else if diff := diffResults(old[i], b.Lines); diff != "" {
				t.Errorf("%s gives other rows on ClickHouse 26 than on 18.16: %s\n%s", q, diff, sqls[i])
			}
		}
	})
}

// emptyResult says why TSV lines show nothing, or returns "": no rows, or rows whose every
// cell is 0, NaN, NULL or empty, as an aggregate without GROUP BY returns over no data.
func emptyResult(lines []string) string {
	if len(lines) == 0 || len(lines) == 1 && lines[0] == "" {
		return "no rows"
	}
	for _, l := range lines {
		for _, cell := range strings.Split(l, "\t") {
			switch strings.ToLower(cell) {
			case "", "0", "nan", "-nan", "\\n", "[]":
			default:
				return ""
			}
		}
	}
	return "only zeros, NaN and NULL"
}

// diffResults compares two servers' TSV lines as sets of rows; numbers are equal within a
// relative 1e-9, as servers print floats with different digits.
func diffResults(a, b []string) string {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	if len(a) != len(b) {
		return fmt.Sprintf("%d rows against %d", len(a), len(b))
	}
	for i := range a {
		ca, cb := strings.Split(a[i], "\t"), strings.Split(b[i], "\t")
		if len(ca) != len(cb) {
			return fmt.Sprintf("row %q against %q", a[i], b[i])
		}
		for j := range ca {
			if ca[j] == cb[j] {
				continue
			}
			x, errA := strconv.ParseFloat(ca[j], 64)
			y, errB := strconv.ParseFloat(cb[j], 64)
			if errA != nil || errB != nil || math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
				return fmt.Sprintf("row %q against %q", a[i], b[i])
			}
		}
	}
	return ""
}

// httpQuery runs query through the server's HTTP interface and returns the response body.
func httpQuery(ctx context.Context, addr, query string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/?"+url.Values{"database": {"default"}}.Encode(), strings.NewReader(query))
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

func TestDashboardResultChecks(t *testing.T) {
	empty := []struct {
		name  string
		lines []string
		want  string
	}{
		{"no output is no rows", []string{""}, "no rows"},
		{"an aggregate over nothing shows nothing", []string{"0\t0\tnan\t\\N"}, "only zeros, NaN and NULL"},
		{"one real value is a result", []string{"0\t0", "0\t12"}, ""},
		{"a name is a result", []string{"whatsapp\t0"}, ""},
	}
	for _, tt := range empty {
		t.Run(tt.name, func(t *testing.T) {
			if got := emptyResult(tt.lines); got != tt.want {
				t.Fatalf("emptyResult(%q) = %q, want %q", tt.lines, got, tt.want)
			}
		})
	}
	diff := []struct {
		name string
		a, b []string
		same bool
	}{
		{"the same rows in another order are the same", []string{"a\t1", "b\t2"}, []string{"b\t2", "a\t1"}, true},
		{"floats printed with other digits are the same", []string{"x\t0.30000000000000004"}, []string{"x\t0.3"}, true},
		{"another value differs", []string{"x\t0.3"}, []string{"x\t0.31"}, false},
		{"another row count differs", []string{"x\t1"}, []string{"x\t1", "y\t2"}, false},
		{"another text differs", []string{"x\t1"}, []string{"y\t1"}, false},
	}
	for _, tt := range diff {
		t.Run(tt.name, func(t *testing.T) {
			if got := diffResults(tt.a, tt.b); (got == "") != tt.same {
				t.Fatalf("diffResults(%q, %q) = %q, want same %v", tt.a, tt.b, got, tt.same)
			}
		})
	}
}
