package backoff

import (
	"context"
	"time"
)

// Policy is how long to wait after the first failure, and at most after any failure.
type Policy struct {
	Min, Max time.Duration
}

// Default waits 100 ms after the first failure, then twice as long each time, at most 10 s.
var Default = Policy{Min: 100 * time.Millisecond, Max: 10 * time.Second}

// Retry runs op until it returns nil, returns an error that retryable rejects, or ctx ends, and
// returns that error, or ctx's. Before waiting after a retryable failure it calls onRetry, when
// not nil, with the attempt that failed (from 1), its error and the wait.
func Retry(ctx context.Context, p Policy, op func(context.Context) error, retryable func(error) bool,
	onRetry func(attempt int, err error, wait time.Duration)) error {
	wait := p.Min
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		if onRetry != nil {
			onRetry(attempt, err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, p.Max)
	}
}
