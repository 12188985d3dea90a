package processor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
)

// retriable says whether a failed produce may succeed if tried again. A broker error Kafka
// marks as final (a record or batch too large for the topic, a record the broker rejects, a
// denied authorization) fails the same way every time: retrying it would stall the partition
// for ever, so it ends the member instead (see fatal). Everything else, the brokers being
// unreachable included, is retried with backoff.
func retriable(err error) bool {
	var ke *kerr.Error
	return !errors.As(err, &ke) || ke.Retriable
}

// fatal is the first error no retry cures. It stops the member: Run cancels its poll loop,
// hands its partitions back without committing the failed work, and returns the error, so
// that the failure is seen and the configuration fixed instead of a partition stalling.
type fatal struct {
	once  sync.Once
	err   error
	abort context.CancelCauseFunc
}

// fail records err, if it is the first, and stops the member.
func (f *fatal) fail(err error) {
	f.once.Do(func() {
		f.err = err
		if f.abort != nil {
			f.abort(err)
		}
	})
}

// cause is the error that stopped the member, or nil.
func (f *fatal) cause(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stopped: %w", err)
	}
	return nil
}
