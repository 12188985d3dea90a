package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no error is not retried", nil, false},
		{"a closed connection is retried", fmt.Errorf("insert messages: %w", io.EOF), true},
		{"a truncated answer is retried", io.ErrUnexpectedEOF, true},
		{"a refused connection is retried", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"a reset connection is retried", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"a broken pipe is retried", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"a deadline is retried", context.DeadlineExceeded, true},
		{"an exhausted pool is retried", clickhouse.ErrAcquireConnTimeout, true},
		{"too many parts is retried", fmt.Errorf("insert receipts: %w", &clickhouse.Exception{Code: 252, Name: "DB::Exception"}), true},
		{"a memory limit is retried", &clickhouse.Exception{Code: 241}, true},
		{"a server timeout is retried", &clickhouse.Exception{Code: 159}, true},
		{"a shard replica lost in the middle of a Distributed insert is retried", &clickhouse.Exception{Code: 32,
			Message: "Attempt to read after eof: while receiving packet from 127.0.0.1:39143: Insertion status:\nWrote 1 blocks and 548 rows on shard 1 replica 0"}, true},
		{"a truncated value is not retried", &clickhouse.Exception{Code: 32, Message: "Attempt to read after eof: Cannot parse input"}, false},
		{"an unknown table is not retried", &clickhouse.Exception{Code: 60}, false},
		{"an unknown column is not retried", &clickhouse.Exception{Code: 16}, false},
		{"a type mismatch is not retried", &clickhouse.Exception{Code: 53}, false},
		{"a syntax error is not retried", &clickhouse.Exception{Code: 62}, false},
		{"a wrong password is not retried", &clickhouse.Exception{Code: 516}, false},
		{"a TLS alert from the server is not retried", fmt.Errorf("ping: %w", &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}), false},
		{"an unknown host is retried, as DNS may not know it yet", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "clickhouse", IsNotFound: true}}, true},
		{"a cancelled context is not retried", context.Canceled, false},
		{"a closed client is not retried", clickhouse.ErrConnectionClosed, false},
		{"an unknown error is not retried", errors.New("converting string to UInt8 is unsupported"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retryable(tt.err); got != tt.want {
				t.Fatalf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryableOnRealFailures(t *testing.T) {
	ctx := testContext(t)
	t.Run("an insert into a missing table is not retried", func(t *testing.T) {
		c := openClient(t, testConfig(t, server)) // never migrated
		err := c.Insert(ctx, fixtureSet())
		if err == nil || Retryable(err) {
			t.Fatalf("insert into a missing database: %v (retryable %v)", err, Retryable(err))
		}
	})
	t.Run("an unreachable server is retried", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cfg := DefaultConfig()
		cfg.Addr = addr
		_, err = Open(ctx, cfg, discardLogger())
		if err == nil || !Retryable(err) {
			t.Fatalf("open of a closed port: %v (retryable %v)", err, Retryable(err))
		}
	})
}
