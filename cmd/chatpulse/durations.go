package main

import (
	"fmt"
	"time"
)

// shortDuration writes d the way a person reads it at a glance, to about two significant
// units: 850ms, 7.5s, 42s, 5m07s, 3h12m, 2d03h. Negative durations keep their sign.
func shortDuration(d time.Duration) string {
	if d < 0 {
		return "-" + shortDuration(-d)
	}
	if ms := d.Round(time.Millisecond); ms < time.Second {
		return fmt.Sprintf("%dms", ms/time.Millisecond)
	}
	switch {
	case d < 10*time.Second:
		r := d.Round(100 * time.Millisecond)
		if r < 10*time.Second {
			return fmt.Sprintf("%.1fs", r.Seconds())
		}
		d = r
	}
	switch {
	case d < time.Minute:
		s := d.Round(time.Second)
		if s < time.Minute {
			return fmt.Sprintf("%ds", s/time.Second)
		}
		d = s
	}
	switch {
	case d < time.Hour:
		s := d.Round(time.Second)
		if s < time.Hour {
			return fmt.Sprintf("%dm%02ds", s/time.Minute, s%time.Minute/time.Second)
		}
		d = s
	}
	m := d.Round(time.Minute)
	if m < 24*time.Hour {
		return fmt.Sprintf("%dh%02dm", m/time.Hour, m%time.Hour/time.Minute)
	}
	h := d.Round(time.Hour)
	return fmt.Sprintf("%dd%02dh", h/(24*time.Hour), h%(24*time.Hour)/time.Hour)
}

// shortBytes writes n bytes in the largest binary unit that keeps a digit before the point.
func shortBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
