package sink

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/chatpulse/chatpulse/deploy/grafana"
	"github.com/chatpulse/chatpulse/rows"
)

// readmeQueries returns the SQL examples of the README, written against the default database.
func readmeQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		qs = append(qs, strings.TrimSpace(m[1]))
	}
	if len(qs) < 3 {
		t.Fatalf("found %d SQL examples in the README, want at least 3", len(qs))
	}
	return qs
}

// TestReadmeQueriesRunOnTheTestServer runs every documented analyst query on 18.16 against both
// fixtures, with enable_optimize_predicate_expression off (18.16's default) and on; each must
// succeed and return the same rows both ways. The modern side runs in the ch-modern test.
func TestReadmeQueriesRunOnTheTestServer(t *testing.T) {
	c := migratedClient(t)
	ctx := testContext(t)
	for _, set := range []*rows.Set{fixtureSet(), engagementSet()} {
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	on := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"enable_optimize_predicate_expression": 1}))
	for i, q := range readmeQueries(t) {
		q = strings.ReplaceAll(q, "chatpulse.", c.db+".")
		if n := queryRows(t, ctx, c, q); n == 0 {
			t.Errorf("README query %d returned no rows:\n%s", i+1, q)
		}
		off, err := c.queryLines(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pushed, err := c.queryLines(on, q)
		if err != nil {
			t.Fatalf("README query %d with enable_optimize_predicate_expression = 1: %v", i+1, err)
		}
		slices.Sort(off)
		slices.Sort(pushed)
		if !slices.Equal(off, pushed) {
			t.Errorf("README query %d with enable_optimize_predicate_expression = 1:\ngot  %q\nwant %q", i+1, pushed, off)
		}
	}
}

func queryRows(t *testing.T, ctx context.Context, c *Client, q string) int {
	t.Helper()
	rs, err := c.conn.Query(ctx, q)
	if err != nil {
		t.Fatalf("query failed: %v\n%s", err, q)
	}
	defer rs.Close()
	n := 0
	for rs.Next() {
		n++
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("query failed: %v\n%s", err, q)
	}
	return n
}

// TestReadmeDocumentsTheContract checks that the README shows every metric query exactly as
// Metric runs it, as an SQL example of its own, and has a section for every contract view.
func TestReadmeDocumentsTheContract(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	examples := readmeQueries(t)
	for _, name := range MetricNames() {
		t.Run("the README shows the "+name+" query verbatim", func(t *testing.T) {
			q := strings.ReplaceAll(metricQueries[name], "{db}", "chatpulse")
			if !slices.Contains(examples, q) {
				t.Fatalf("no SQL example of the README is the %s query:\n%s", name, q)
			}
			if !strings.Contains(readme, "`"+name+"`") {
				t.Fatalf("the README does not name the metric `%s`", name)
			}
		})
	}
	for i, q := range examples {
		t.Run(fmt.Sprintf("README query %d spills a large GROUP BY to disk", i+1), func(t *testing.T) {
			if !grafana.SpillsLargeGroupBy(q) {
				t.Fatalf("the query does not end with %s:\n%s", grafana.SpillSetting, q)
			}
		})
	}
	for _, view := range append([]string{"message_facts", "message_receipts"}, engagementViews...) {
		t.Run("the README has a section on "+view, func(t *testing.T) {
			if !strings.Contains(readme, "### `"+view+"`") {
				t.Fatalf("no section heading ### `%s`", view)
			}
		})
	}
}
