package sink

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestSchemaAndQueriesRunOnModernClickHouse runs every DDL statement, the report queries and
// reads of the contract views on a current ClickHouse (the ch-modern tool, embedded chDB), and
// checks that the views show the fixture exactly as the golden files, which 18.16 matches.
func TestSchemaAndQueriesRunOnModernClickHouse(t *testing.T) {
	tool := chModernPath(t)
	const db = "chatpulse"
	views := []string{"message_facts", "message_receipts"}
	stmts := Statements(db)
	for _, view := range views {
		stmts = append(stmts, "SELECT * FROM "+db+"."+view+" LIMIT 1")
	}
	groups, total := reportQueries(db)
	stmts = append(stmts, groups, total)
	set := fixtureSet()
	stmts = append(stmts,
		valuesSQL(db, messagesTable, set.Messages),
		valuesSQL(db, receiptsTable, set.Receipts),
		valuesSQL(db, repliesTable, set.Replies),
		valuesSQL(db, reactionsTable, set.Reactions))
	for _, view := range views {
		stmts = append(stmts, "SELECT * FROM "+db+"."+view)
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
	for _, view := range views {
		t.Run(view+" on the modern server matches the golden file", func(t *testing.T) {
			lines := resultLines(string(out), "SELECT * FROM "+db+"."+view+"\n")
			sort.Strings(lines)
			checkGolden(t, view, lines)
		})
	}
}

// resultLines returns the TSV lines ch-modern printed after the statement that starts with
// head: they follow its "ok" line up to the next statement's line.
func resultLines(out, head string) []string {
	_, after, ok := strings.Cut(out, "ok    "+head)
	if !ok {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		if strings.HasPrefix(l, "ok    ") || strings.HasPrefix(l, "FAIL  ") || strings.Contains(l, " passed, ") {
			break
		}
		lines = append(lines, l)
	}
	return lines
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
