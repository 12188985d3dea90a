package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Query is the raw SQL of one ClickHouse target of a dashboard panel.
type Query struct {
	File  string // the dashboard's file name, such as "groups.json"
	Title string // the panel's title
	SQL   string
}

// panel is a panel or a row; a collapsed row holds its panels in Panels.
type panel struct {
	Title   string `json:"title"`
	Targets []struct {
		RawSQL string `json:"rawSql"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

// SpillSetting ends every dashboard query, README query and metric that is one SELECT: a
// GROUP BY beyond 400 MB is written to disk instead of held in memory, so that a query over a
// long range stays within about 1 GiB.
const SpillSetting = "SETTINGS max_bytes_before_external_group_by = 400000000"

// SpillsLargeGroupBy reports whether sql is one SELECT that ends with SpillSetting, or a UNION
// ALL, whose parts a trailing SETTINGS clause would not all reach.
func SpillsLargeGroupBy(sql string) bool {
	return strings.Contains(sql, "UNION ALL") || strings.HasSuffix(strings.TrimSpace(sql), "\n"+SpillSetting)
}

// ClickHouseQueries returns the raw SQL targets of every dashboard in dir (*.json), by file
// name and then in panel order.
func ClickHouseQueries(dir string) ([]Query, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no dashboards in %s", dir)
	}
	var out []Query
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var d struct {
			Panels []panel `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				for _, t := range p.Targets {
					if strings.TrimSpace(t.RawSQL) != "" {
						out = append(out, Query{File: filepath.Base(f), Title: p.Title, SQL: t.RawSQL})
					}
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
	}
	return out, nil
}

// AllSources is what Grafana puts for ${source:singlequote} when the dashboards' source variable
// is at its default, All: every source, each quoted.
const AllSources = "'causalfoundry','expertflow','chatlayer','voipbin'"

// WithDefaults replaces the dashboards' template variables as Grafana does at their defaults,
// with database as ${database}.
func WithDefaults(sql, database string) string {
	return strings.NewReplacer("${database}", database, "${source:singlequote}", AllSources).Replace(sql)
}
