package backoff

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	transient, final := errors.New("transient"), errors.New("final")
	p := Policy{Min: time.Millisecond, Max: 4 * time.Millisecond}
	tests := []struct {
		name     string
		results  []error // what op returns, attempt by attempt
		want     error
		attempts int
		waits    []time.Duration
	}{
		{"a first success is returned without a wait", []error{nil}, nil, 1, nil},
		{"transient failures are retried with doubling waits up to the ceiling",
			[]error{transient, transient, transient, transient, nil}, nil, 5,
			[]time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}},
		{"a final failure ends the retries", []error{transient, final, nil}, final, 2, []time.Duration{time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attempts := 0
			var waits []time.Duration
			err := Retry(context.Background(), p, func(context.Context) error {
				attempts++
				return tt.results[attempts-1]
			}, func(err error) bool { return errors.Is(err, transient) }, func(attempt int, err error, wait time.Duration) {
				if attempt != attempts || !errors.Is(err, transient) {
					t.Errorf("onRetry(%d, %v) after attempt %d", attempt, err, attempts)
				}
				waits = append(waits, wait)
			})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Retry = %v, want %v", err, tt.want)
			}
			if attempts != tt.attempts || !slices.Equal(waits, tt.waits) {
				t.Errorf("%d attempts with waits %v, want %d with %v", attempts, waits, tt.attempts, tt.waits)
			}
		})
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	attempts := 0
	err := Retry(ctx, Policy{Min: time.Hour, Max: time.Hour}, func(context.Context) error {
		attempts++
		return errors.New("down")
	}, func(error) bool { return true }, func(int, error, time.Duration) { cancel() })
	if !errors.Is(err, context.Canceled) || attempts != 1 {
		t.Fatalf("Retry = %v after %d attempts, want context.Canceled after 1 (no hour-long wait)", err, attempts)
	}
}
