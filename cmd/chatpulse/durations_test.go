package main

import (
	"testing"
	"time"
)

func TestDurationsReadAtAGlance(t *testing.T) {
	for _, tt := range []struct {
		name string
		d    time.Duration
		want string
	}{
		{"zero is zero milliseconds", 0, "0ms"},
		{"under a second is in milliseconds", 850 * time.Millisecond, "850ms"},
		{"a sub-millisecond time rounds to whole milliseconds", 1400 * time.Microsecond, "1ms"},
		{"just under a second rounds up to seconds", 999700 * time.Microsecond, "1.0s"},
		{"a few seconds keep a tenth", 7540 * time.Millisecond, "7.5s"},
		{"ten seconds and more are whole seconds", 42 * time.Second, "42s"},
		{"minutes carry two-digit seconds", 5*time.Minute + 7*time.Second, "5m07s"},
		{"59.6 seconds round to a minute", 59600 * time.Millisecond, "1m00s"},
		{"hours carry two-digit minutes", 3*time.Hour + 12*time.Minute + 20*time.Second, "3h12m"},
		{"just under an hour rounds to an hour", time.Hour - 200*time.Millisecond, "1h00m"},
		{"days carry two-digit hours", 51 * time.Hour, "2d03h"},
		{"a negative duration keeps its sign", -1500 * time.Millisecond, "-1.5s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortDuration(tt.d); got != tt.want {
				t.Errorf("shortDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestBytesReadAtAGlance(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int64
		want string
	}{
		{"under a KiB is in bytes", 1023, "1023 B"},
		{"KiB keep a tenth", 1536, "1.5 KiB"},
		{"MiB", 5 << 20, "5.0 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := shortBytes(tt.n); got != tt.want {
				t.Errorf("shortBytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}
