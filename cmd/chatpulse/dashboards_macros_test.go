package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The ClickHouse plugin's macros (grafana/clickhouse-datasource v4, pkg/macros), as it expands
// them on the backend after Grafana has replaced the template variables. A macro is $__name,
// optionally followed by a parenthesized argument list. Times are the query's time range as the
// plugin receives it (UTC); toDateTime takes whole seconds (Unix time, truncated).
//
//	$__fromTime          toDateTime(<from>)
//	$__toTime            toDateTime(<to>)
//	$__timeFilter(c)     c >= toDateTime(<from>) AND c <= toDateTime(<to>)
//	$__dateFilter(c)     c >= toDate('<from date>') AND c <= toDate('<to date>')
//	$__interval_s        the query interval in whole seconds, at least 1
//
// The plugin's other macros expand to functions ClickHouse 18.16 lacks: $__timeInterval and
// $__timeGroup to toStartOfInterval, $__timeInterval_ms to toDateTime64, $__fromTime_ms,
// $__toTime_ms and $__timeFilter_ms to fromUnixTimestamp64Milli. The dashboards use none of
// them, nor the plugin's rest ($__dateTimeFilter, $__dt, $__timeFrom, $__timeTo, $__table,
// $__column) or Grafana's own $__interval and $__range family, so expandMacros rejects every
// $__ name not listed above.
var macroRef = regexp.MustCompile(`\$__(\w+)`)

// macroArg is the only argument form the dashboards use: a plain column name, which the
// plugin passes through unchanged.
var macroArg = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// panelTime is what Grafana sends with a query: the time range and the interval.
type panelTime struct {
	from, to time.Time
	interval time.Duration
}

func expandMacros(sql string, pt panelTime) (string, error) {
	var b strings.Builder
	rest := sql
	for {
		loc := macroRef.FindStringSubmatchIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:loc[0]])
		name := rest[loc[2]:loc[3]]
		rest = rest[loc[1]:]
		var args []string
		if strings.HasPrefix(rest, "(") {
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return "", fmt.Errorf("$__%s: unclosed argument list", name)
			}
			for _, a := range strings.Split(rest[1:end], ",") {
				args = append(args, strings.TrimSpace(a))
			}
			rest = rest[end+1:]
		}
		from, to := pt.from.UTC(), pt.to.UTC()
		dateTime := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
		date := func(t time.Time) string { return fmt.Sprintf("toDate('%s')", t.Format("2006-01-02")) }
		column := func() (string, error) {
			if len(args) != 1 || !macroArg.MatchString(args[0]) {
				return "", fmt.Errorf("$__%s: want one column name, got %q", name, args)
			}
			return args[0], nil
		}
		switch name {
		case "fromTime", "toTime", "interval_s":
			if args != nil {
				return "", fmt.Errorf("$__%s takes no arguments", name)
			}
			switch name {
			case "fromTime":
				b.WriteString(dateTime(from))
			case "toTime":
				b.WriteString(dateTime(to))
			default:
				b.WriteString(strconv.Itoa(int(math.Max(pt.interval.Seconds(), 1))))
			}
		case "timeFilter", "dateFilter":
			c, err := column()
			if err != nil {
				return "", err
			}
			lo, hi := dateTime(from), dateTime(to)
			if name == "dateFilter" {
				lo, hi = date(from), date(to)
			}
			fmt.Fprintf(&b, "%s >= %s AND %s <= %s", c, lo, c, hi)
		default:
			return "", fmt.Errorf("macro $__%s is not one whose expansion runs on ClickHouse 18.16", name)
		}
	}
}

// templateRef is a Grafana template variable reference: $name, ${name} or ${name:format}.
var templateRef = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)\]\]`)

// expandVariables replaces the dashboard's template variables as Grafana does before the query
// reaches the plugin, with each variable at its default: database is the demo's database and
// source is "All", which Grafana expands to every option of the custom variable but All. Only
// the forms the dashboards use are accepted: ${database} and ${source:singlequote}
// ('a','b',...). References starting with $__ are macros and stay for expandMacros.
func expandVariables(sql string, vars []templateVar, db string) (string, error) {
	var errs []error
	out := templateRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := templateRef.FindStringSubmatch(ref)
		if m[3] != "" && strings.HasPrefix(m[3], "__") {
			return ref
		}
		name, format := m[1], m[2]
		i := slices.IndexFunc(vars, func(v templateVar) bool { return v.Name == name })
		switch {
		case name == "database" && format == "" && i >= 0 && vars[i].Type == "textbox":
			return db
		case name == "source" && format == "singlequote" && i >= 0 && vars[i].Type == "custom":
			var quoted []string
			for _, o := range vars[i].Options {
				if o.Value != "$__all" {
					quoted = append(quoted, "'"+o.Value+"'")
				}
			}
			return strings.Join(quoted, ",")
		}
		errs = append(errs, fmt.Errorf("template variable reference %s is not ${database} or ${source:singlequote} of the dashboard", ref))
		return ref
	})
	return out, errors.Join(errs...)
}

func TestDashboardMacrosExpandAsThePluginDoes(t *testing.T) {
	pt := panelTime{from: time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC), to: time.Date(2024, 2, 23, 23, 59, 59, 999e6, time.UTC), interval: 1500 * time.Millisecond}
	tests := []struct {
		name, in, want, err string
	}{
		{"a time filter compares the column with whole seconds", "WHERE $__timeFilter(sent_at)",
			"WHERE sent_at >= toDateTime(1707782400) AND sent_at <= toDateTime(1708732799)", ""},
		{"the range's ends are DateTimes", "$__fromTime - 60, $__toTime",
			"toDateTime(1707782400) - 60, toDateTime(1708732799)", ""},
		{"a date filter compares the column with the days", "$__dateFilter(day) AND x",
			"day >= toDate('2024-02-13') AND day <= toDate('2024-02-23') AND x", ""},
		{"the interval is truncated to seconds", "intDiv(s, $__interval_s) * $__interval_s", "intDiv(s, 1) * 1", ""},
		{"toStartOfInterval does not exist on 18.16", "$__timeInterval(sent_at)", "", "$__timeInterval"},
		{"DateTime64 does not exist on 18.16", "$__fromTime_ms", "", "$__fromTime_ms"},
		{"a filter takes a column name only", "$__timeFilter(toDateTime(x))", "", "want one column name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandMacros(tt.in, pt)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %q, %v; want an error naming %s", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := expandMacros("$__interval_s", panelTime{interval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got, _ := expandMacros("$__interval_s", panelTime{interval: 200 * time.Millisecond}); got != "1" {
		t.Fatalf("an interval under a second expands to %q, want 1", got)
	}
}

func TestDashboardVariablesExpandAsGrafanaDoes(t *testing.T) {
	source := templateVar{Name: "source", Type: "custom", Query: "causalfoundry,expertflow"}
	for _, v := range []string{"$__all", "causalfoundry", "expertflow"} {
		source.Options = append(source.Options, struct {
			Value string `json:"value"`
		}{v})
	}
	vars := []templateVar{{Name: "database", Type: "textbox", Query: "chatpulse"}, source}
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"the database is the test's", "FROM ${database}.message_facts", "FROM analytics.message_facts", true},
		{"All sources are every option, each quoted", "source IN (${source:singlequote})", "source IN ('causalfoundry','expertflow')", true},
		{"macros are left to the plugin", "$__timeFilter(sent_at) AND x > $__interval_s", "$__timeFilter(sent_at) AND x > $__interval_s", true},
		{"an unquoted source list is rejected", "source IN ($source)", "", false},
		{"an unknown variable is rejected", "FROM ${db}.message_facts", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandVariables(tt.in, vars, "analytics")
			if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
				t.Fatalf("got %q, %v; want %q (ok %v)", got, err, tt.want, tt.ok)
			}
		})
	}
}
