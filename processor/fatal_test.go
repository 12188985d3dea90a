package processor

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestOnlyErrorsARetryMayCureAreRetried(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"a record too large for the topic is final", fmt.Errorf("produce: %w", kerr.MessageTooLarge), false},
		{"a batch too large for the topic is final", kerr.RecordListTooLarge, false},
		{"a denied write is final", kerr.TopicAuthorizationFailed, false},
		{"a leader moving is retried", kerr.NotLeaderForPartition, true},
		{"a broken connection is retried", io.ErrUnexpectedEOF, true},
		{"an unknown error is retried", errors.New("boom"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retriable(tt.err); got != tt.want {
				t.Fatalf("retriable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
