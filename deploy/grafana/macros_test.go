package grafana

import (
	"strings"
	"testing"
	"time"
)

func TestDashboardMacrosExpandAsThePluginDoes(t *testing.T) {
	r := Range{From: time.Date(2024, 2, 13, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 2, 23, 23, 59, 59, 999e6, time.UTC), Interval: 1500 * time.Millisecond}
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
		{"an argument list must be closed", "$__timeFilter(sent_at", "", "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandMacros(tt.in, r)
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
	if got, err := ExpandMacros("$__interval_s", Range{Interval: 200 * time.Millisecond}); err != nil || got != "1" {
		t.Fatalf("an interval under a second expands to %q (%v), want 1", got, err)
	}
}
