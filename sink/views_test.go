package sink

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/rows"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares lines with testdata/<name>.golden, one line each.
func checkGolden(t *testing.T, name string, lines []string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from %s\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func TestContractViews(t *testing.T) {
	ctx := testContext(t)
	c := migratedClient(t)
	set := fixtureSet()
	// The same rows arrive in two inserts, the first a part of the second, as a replay after a
	// crash would write them.
	first := &rows.Set{Messages: set.Messages[:3], Receipts: set.Receipts[:4], Replies: set.Replies[:1], Reactions: set.Reactions[:5]}
	for _, s := range []*rows.Set{first, set} {
		if err := c.Insert(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T) {
		for _, view := range []string{"message_facts", "message_receipts"} {
			lines, err := c.Snapshot(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, view, lines)
		}
	}
	t.Run("the views show each message once in its final state", check)

	t.Run("merging parts changes nothing the views show", func(t *testing.T) {
		for _, table := range []string{"messages", "receipts", "replies", "reactions", "message_state"} {
			if err := c.conn.Exec(ctx, "OPTIMIZE TABLE "+c.db+"."+table+" FINAL"); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})

	t.Run("a merge collapses exact replays and keeps distinct rows", func(t *testing.T) {
		// m1 twice in each insert plus m1 sent later, m2, m3, m4, m5: six distinct rows.
		if n := queryUint64(t, c, "SELECT count() FROM "+c.db+".messages"); n != 6 {
			t.Fatalf("messages holds %d rows after merge, want 6", n)
		}
	})
}

func TestSnapshotRejectsNamesThatAreNotIdentifiers(t *testing.T) {
	c := migratedClient(t)
	for _, view := range []string{"", "message_facts; DROP TABLE x", "db.message_facts", "1view"} {
		if _, err := c.Snapshot(testContext(t), view); err == nil {
			t.Errorf("Snapshot(%q) succeeded", view)
		}
	}
}

func TestSnapshotFormatsEveryColumnType(t *testing.T) {
	c := migratedClient(t)
	ctx := testContext(t)
	if err := c.conn.Exec(ctx, `CREATE VIEW `+c.db+`.formats AS SELECT
		'a\tb\nc\\d' AS s, toInt64(-5) AS i, toUInt8(1) AS flag, toUInt32(7) AS n,
		toDateTime(1700000000) AS at, CAST(NULL AS Nullable(Int64)) AS none,
		CAST(42 AS Nullable(Int64)) AS some, toFloat64(0.25) AS f,
		toDate('2024-01-31') AS day, CAST(NULL AS Nullable(Date)) AS no_day,
		CAST(toDate('2024-02-29') AS Nullable(Date)) AS some_day`); err != nil {
		t.Fatal(err)
	}
	lines, err := c.Snapshot(ctx, "formats")
	if err != nil {
		t.Fatal(err)
	}
	want := `a\tb\nc\\d` + "\t-5\t1\t7\t2023-11-14 22:13:20\t\\N\t42\t0.25\t2024-01-31\t\\N\t2024-02-29"
	if len(lines) != 1 || lines[0] != want {
		t.Fatalf("got %q\nwant %q", lines, want)
	}
}
