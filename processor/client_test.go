package processor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestUnreachable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"a refused connection is waited for", fmt.Errorf("create topic x: unable to dial: %w", refused), true},
		{"an unknown host is waited for, as DNS may not know it yet",
			&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "kafka", IsNotFound: true}}, true},
		{"a dropped connection is waited for", fmt.Errorf("describe: %w", io.EOF), true},
		{"a broker that is not ready yet is waited for", kerr.CoordinatorNotAvailable, true},
		{"refused credentials are final", fmt.Errorf("%w (mechanism plain): %w", errAuthFailed, io.EOF), false},
		{"an untrusted certificate is final", fmt.Errorf("%w: x", errUntrusted), false},
		{"a connection closed at once, a TLS or SASL mismatch, is final", &kgo.ErrFirstReadEOF{}, false},
		{"a TLS alert from the broker is final", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, false},
		{"a refused request is final", kerr.TopicAuthorizationFailed, false},
		{"a wrong partition count is final", errors.New("CHATPULSE_PARTITIONS is 12 but topic x has 6 partitions"), false},
		{"a cancelled call is final", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unreachable(tt.err); got != tt.want {
				t.Fatalf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
