package sink

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestSchemaAndQueriesRunOnModernClickHouse runs every DDL statement, the report queries,
// every README query and reads of the contract views on a current ClickHouse (the ch-modern
// tool, embedded chDB), and checks that the views and metric queries show the fixtures exactly
// as the golden files, which 18.16 matches. Database chatpulse holds fixtureSet, engagement
// holds engagementSet; each is run in a session of its own, as the tool takes at most 128 KiB
// of SQL at once.
func TestSchemaAndQueriesRunOnModernClickHouse(t *testing.T) {
	checkOnModern(t, "", Statements)
}

// checkOnModern builds databases chatpulse and engagement with ddl on the modern server,
// configured by configXML, writes the fixtures, and compares the views, metric queries and
// README queries with the golden files.
func checkOnModern(t *testing.T, configXML string, ddl func(db string) []string) {
	t.Helper()
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

	stmts = append(stmts, ddl(db)...)
	for _, view := range append(slices.Clone(views), engagementViews...) {
		stmts = append(stmts, "SELECT * FROM "+db+"."+view+" LIMIT 1")
	}
	groups, total := reportQueries(db)
	stmts = append(stmts, groups, total)
	stmts = append(stmts, insertsSQL(db, fixtureSet())...)
	for _, view := range views {
		read(view, "SELECT * FROM "+db+"."+view, true)
	}

	split := len(stmts)
	stmts = append(stmts, ddl(edb)...)
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

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var blocks []testenv.ModernResult
	for _, session := range [][]string{stmts[:split], stmts[split:]} {
		bs, err := testenv.RunModernWithConfig(ctx, configXML, session)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	for i, b := range blocks {
		if !b.OK {
			t.Fatalf("statement %d fails on the modern server: %s\n%s", i, strings.Join(b.Lines, "\n"), stmts[i])
		}
	}
	names := slices.Sorted(maps.Keys(results))
	for _, golden := range names {
		t.Run(golden+" on the modern server matches the golden file", func(t *testing.T) {
			lines := blocks[results[golden]].Lines
			if sorted[golden] {
				sort.Strings(lines)
			}
			checkGolden(t, golden, lines)
		})
	}
	for i, n := range readme {
		if len(blocks[i].Lines) == 0 {
			t.Errorf("README query %d returned no rows on the modern server:\n%s", n, stmts[i])
		}
	}
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
		cols[i] = reflect.ValueOf(col.build(new(columnScratch), rs)) // every column keeps its own slice
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
