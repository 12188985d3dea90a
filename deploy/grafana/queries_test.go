package grafana

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryDashboardHasClickHouseQueriesAndTheirPanelsHaveTitles(t *testing.T) {
	qs, err := ClickHouseQueries("dashboards")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, q := range qs {
		files[q.File]++
		if q.Title == "" {
			t.Errorf("%s: a query of a panel without a title:\n%s", q.File, q.SQL)
		}
	}
	boards, _ := filepath.Glob("dashboards/*.json")
	clickhouse := 0
	for _, b := range boards {
		if files[filepath.Base(b)] > 0 {
			clickhouse++
		}
	}
	// One dashboard shows the workers' Prometheus metrics only.
	if clickhouse < len(boards)-1 || len(qs) == 0 {
		t.Fatalf("%d of %d dashboards have ClickHouse queries (%d queries)", clickhouse, len(boards), len(qs))
	}
	if _, err := ClickHouseQueries(t.TempDir()); err == nil {
		t.Fatal("a directory without dashboards gave no error")
	}
}

func TestAllSourcesAreTheSourceVariablesOptions(t *testing.T) {
	boards, _ := filepath.Glob("dashboards/*.json")
	checked := 0
	for _, b := range boards {
		raw, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Templating struct {
				List []struct {
					Name    string `json:"name"`
					Options []struct {
						Value string `json:"value"`
					} `json:"options"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		for _, v := range d.Templating.List {
			if v.Name != "source" {
				continue
			}
			var quoted []string
			for _, o := range v.Options {
				if o.Value != "$__all" {
					quoted = append(quoted, "'"+o.Value+"'")
				}
			}
			if got := strings.Join(quoted, ","); got != AllSources {
				t.Errorf("%s: the source variable's options are %s, AllSources %s", b, got, AllSources)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no dashboard has a source variable")
	}
	if got := WithDefaults("FROM ${database}.x WHERE source IN (${source:singlequote})", "db"); got != "FROM db.x WHERE source IN ("+AllSources+")" {
		t.Fatalf("got %q", got)
	}
}

func TestEveryPanelOfOneSelectSpillsALargeGroupByToDisk(t *testing.T) {
	qs, err := ClickHouseQueries("dashboards")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if !SpillsLargeGroupBy(q.SQL) {
			t.Errorf("%s: panel %q does not end with %s", q.File, q.Title, SpillSetting)
		}
	}
}

func TestSpillsLargeGroupByTellsAQueryThatHoldsItsGroupByInMemory(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want bool
	}{
		{"a SELECT ending with the setting spills", "SELECT 1\n" + SpillSetting, true},
		{"a SELECT without it does not", "SELECT 1", false},
		{"a SELECT with another setting does not", "SELECT 1\nSETTINGS max_threads = 1", false},
		{"a UNION ALL is left as it is", "SELECT 1 UNION ALL SELECT 2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SpillsLargeGroupBy(tt.sql); got != tt.want {
				t.Fatalf("SpillsLargeGroupBy(%q) = %v, want %v", tt.sql, got, tt.want)
			}
		})
	}
}
