package grafana

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
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
// $__column) or Grafana's own $__interval and $__range family, so ExpandMacros rejects every
// $__ name not listed above.
var macroRef = regexp.MustCompile(`\$__(\w+)`)

// macroArg is the only argument form the dashboards use: a plain column name, which the
// plugin passes through unchanged.
var macroArg = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Range is what Grafana sends with a query: the time range and the interval.
type Range struct {
	From, To time.Time
	Interval time.Duration
}

// ExpandMacros expands the plugin's macros in sql for r.
func ExpandMacros(sql string, r Range) (string, error) {
	var b strings.Builder
	rest := sql
	from, to := r.From.UTC(), r.To.UTC()
	dateTime := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	date := func(t time.Time) string { return fmt.Sprintf("toDate('%s')", t.Format(time.DateOnly)) }
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
				b.WriteString(strconv.Itoa(int(math.Max(r.Interval.Seconds(), 1))))
			}
		case "timeFilter", "dateFilter":
			if len(args) != 1 || !macroArg.MatchString(args[0]) {
				return "", fmt.Errorf("$__%s: want one column name, got %q", name, args)
			}
			lo, hi := dateTime(from), dateTime(to)
			if name == "dateFilter" {
				lo, hi = date(from), date(to)
			}
			fmt.Fprintf(&b, "%s >= %s AND %s <= %s", args[0], lo, args[0], hi)
		default:
			return "", fmt.Errorf("macro $__%s is not one whose expansion runs on ClickHouse 18.16", name)
		}
	}
}
