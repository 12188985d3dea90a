package sink

import (
	"os"
	"regexp"
	"strings"
	"testing"
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

// TestReadmeQueriesRunOnTheTestServer runs every documented analyst query on 18.16 against the
// fixture; each must succeed and return rows. The modern side runs in the ch-modern test.
func TestReadmeQueriesRunOnTheTestServer(t *testing.T) {
	c := migratedClient(t)
	ctx := testContext(t)
	if err := c.Insert(ctx, fixtureSet()); err != nil {
		t.Fatal(err)
	}
	for i, q := range readmeQueries(t) {
		q = strings.ReplaceAll(q, "chatpulse.", c.db+".")
		if n := queryRows(t, c, q); n == 0 {
			t.Errorf("README query %d returned no rows:\n%s", i+1, q)
		}
	}
}

func queryRows(t *testing.T, c *Client, q string) int {
	t.Helper()
	rs, err := c.conn.Query(testContext(t), q)
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
