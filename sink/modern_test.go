package sink

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
)

// TestSchemaAndQueriesRunOnModernClickHouse runs every DDL statement, the report queries,
// every README query and reads of the contract views on a current ClickHouse (the ch-modern
// tool, embedded chDB), and checks that the views and metric queries show the fixtures exactly
// as the golden files, which 18.16 matches. Database chatpulse holds fixtureSet, engagement
// holds engagementSet.
func TestSchemaAndQueriesRunOnModernClickHouse(t *testing.T) {
	tool := chModernPath(t)
	const db, edb = "chatpulse", "engagement"
	views := []string{"message_facts", "message_receipts"}
	var stmts []string
	// results maps a golden file's name to the index of the statement whose result it holds;
	// sorted says whether the result is compared as sorted lines (views) or in query order.
	results := map[string]int{}
	sorted := map[string]bool{}
	read := func(golden, query string, sort bool) {
		results[golden], sorted[golden] = len(stmts), sort
		stmts = append(stmts, query)
	}

	stmts = append(stmts, Statements(db)...)
	for _, view := range append(slices.Clone(views), engagementViews...) {
		stmts = append(stmts, "SELECT * FROM "+db+"."+view+" LIMIT 1")
	}
	groups, total := reportQueries(db)
	stmts = append(stmts, groups, total)
	stmts = append(stmts, insertsSQL(db, fixtureSet())...)
	for _, view := range views {
		read(view, "SELECT * FROM "+db+"."+view, true)
	}

	stmts = append(stmts, Statements(edb)...)
	stmts = append(stmts, insertsSQL(edb, engagementSet())...)
	for _, view := range engagementViews {
		read(view, "SELECT * FROM "+edb+"."+view, true)
	}
	for _, name := range metricNames {
		read("metric_"+name, strings.ReplaceAll(metricQueries[name], "{db}", edb), false)
	}
	stmts = append(stmts, reportGroupsQuery(edb, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)))
	readme := make(map[int]int) // statement index -> README query number
	for i, q := range readmeQueries(t) {
		readme[len(stmts)] = i + 1
		stmts = append(stmts, strings.ReplaceAll(q, "chatpulse.", edb+"."))
	}

	file := filepath.Join(t.TempDir(), "schema.sql")
	if err := os.WriteFile(file, []byte(strings.Join(stmts, ";\n")+";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, file)
	cmd.Dir = os.TempDir() // chDB reads ./config.xml when there is one
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, file, err, out)
	}
	if want := fmt.Sprintf("%d passed, 0 failed", len(stmts)); !strings.Contains(string(out), want) {
		t.Fatalf("ch-modern output lacks %q:\n%s", want, out)
	}
	blocks := resultBlocks(string(out))
	if len(blocks) != len(stmts) {
		t.Fatalf("ch-modern printed %d results for %d statements:\n%s", len(blocks), len(stmts), out)
	}
	for _, i := range slices.Concat(slices.Collect(maps.Values(results)), slices.Collect(maps.Keys(readme))) {
		if want := "ok    " + statementHead(stmts[i]); blocks[i].head != want {
			t.Fatalf("result %d is of %q, want %q", i, blocks[i].head, want)
		}
	}
	names := slices.Sorted(maps.Keys(results))
	for _, golden := range names {
		t.Run(golden+" on the modern server matches the golden file", func(t *testing.T) {
			lines := blocks[results[golden]].lines
			if sorted[golden] {
				sort.Strings(lines)
			}
			checkGolden(t, golden, lines)
		})
	}
	for i, n := range readme {
		if len(blocks[i].lines) == 0 {
			t.Errorf("README query %d returned no rows on the modern server:\n%s", n, stmts[i])
		}
	}
}

// result is what ch-modern printed for one statement: its "ok" line and the TSV lines of its
// result.
type result struct {
	head  string
	lines []string
}

// resultBlocks splits ch-modern's output into one result per statement, in order: each starts
// with an "ok" or "FAIL" line and runs up to the next one or the closing count.
func resultBlocks(out string) []result {
	var rs []result
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "ok    ") || strings.HasPrefix(l, "FAIL  "):
			rs = append(rs, result{head: l})
		case strings.Contains(l, " passed, ") && strings.HasSuffix(l, " failed"):
		case len(rs) > 0:
			rs[len(rs)-1].lines = append(rs[len(rs)-1].lines, l)
		}
	}
	return rs
}

// statementHead is how ch-modern names a statement: its first 100 characters with every run
// of white space made one space (counted as bytes, which is right for ASCII statements).
func statementHead(q string) string {
	h := strings.Join(strings.Fields(q), " ")
	if len(h) > 100 {
		h = h[:100]
	}
	return h
}

// insertsSQL renders every non-empty table of set as INSERT ... VALUES statements.
func insertsSQL(db string, set *rows.Set) []string {
	var out []string
	add := func(stmt string, n int) {
		if n > 0 {
			out = append(out, stmt)
		}
	}
	add(valuesSQL(db, messagesTable, set.Messages), len(set.Messages))
	add(valuesSQL(db, receiptsTable, set.Receipts), len(set.Receipts))
	add(valuesSQL(db, repliesTable, set.Replies), len(set.Replies))
	add(valuesSQL(db, reactionsTable, set.Reactions), len(set.Reactions))
	add(valuesSQL(db, sessionsTable, set.Sessions), len(set.Sessions))
	add(valuesSQL(db, membershipEventsTable, set.Memberships), len(set.Memberships))
	add(valuesSQL(db, handoverEventsTable, set.Handovers), len(set.Handovers))
	return out
}

// valuesSQL renders rows as an INSERT ... VALUES statement for the ch-modern tool.
func valuesSQL[R any](db string, t table[R], rs []R) string {
	names := make([]string, len(t.columns))
	cols := make([]reflect.Value, len(t.columns))
	for i, col := range t.columns {
		names[i] = col.name
		cols[i] = reflect.ValueOf(col.build(rs))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s.%s (%s) VALUES", db, t.name, strings.Join(names, ", "))
	for r := range rs {
		if r > 0 {
			b.WriteString(",")
		}
		b.WriteString(" (")
		for i, col := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			if v := col.Index(r); v.Kind() == reflect.String {
				b.WriteString("'" + sqlEscaper.Replace(v.String()) + "'")
			} else {
				fmt.Fprint(&b, v.Interface())
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

var sqlEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\t", `\t`, "\n", `\n`)

// chModernPath returns $CHATPULSE_CH_MODERN, or shared/tools/ch-modern found in a directory
// above the module root; a missing tool fails the test.
func chModernPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHATPULSE_CH_MODERN"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "tools", "ch-modern")
		if _, err := os.Stat(p); err == nil {
			return p
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	t.Fatal("shared/tools/ch-modern not found above the module root; set CHATPULSE_CH_MODERN to its path")
	return ""
}
