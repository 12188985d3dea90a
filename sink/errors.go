package sink

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// transientCodes are ClickHouse server exception codes that a later attempt of the same insert
// can get past: overload, timeouts, memory pressure and unavailable servers. Every other
// exception (unknown table or column, type mismatch, syntax, access) repeats forever.
var transientCodes = map[int32]bool{
	159: true, // TIMEOUT_EXCEEDED
	202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
	203: true, // NO_FREE_CONNECTION
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	236: true, // ABORTED
	241: true, // MEMORY_LIMIT_EXCEEDED
	242: true, // TABLE_IS_READ_ONLY
	252: true, // TOO_MANY_PARTS
	279: true, // ALL_CONNECTION_TRIES_FAILED
	285: true, // TOO_FEW_LIVE_REPLICAS
	319: true, // UNKNOWN_STATUS_OF_INSERT
	394: true, // QUERY_WAS_CANCELLED
	425: true, // SYSTEM_ERROR
	439: true, // CANNOT_SCHEDULE_TASK
	999: true, // KEEPER_EXCEPTION
}

// Retryable reports whether err is transient: the same insert may succeed later. Network
// failures, timeouts, refused or reset connections and transient server exceptions are;
// schema errors, bad values and a closed client are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, clickhouse.ErrConnectionClosed) {
		return false
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return transientCodes[ex.Code] || lostShard(ex)
	}
	// A TLS alert from the server refuses our certificate or protocol: no retry changes that.
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, clickhouse.ErrAcquireConnTimeout) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE)
}

// attemptToReadAfterEOF is what a server answers when a connection it relayed an insert on
// broke: on a cluster, a Distributed insert whose shard replica died mid-insert ("while
// receiving packet from <replica>"). Elsewhere the code means a truncated file or value, which
// no retry mends, so only the relayed form is transient.
const attemptToReadAfterEOF int32 = 32

func lostShard(ex *clickhouse.Exception) bool {
	return ex.Code == attemptToReadAfterEOF && strings.Contains(ex.Message, "while receiving packet from")
}

// Server exception codes the schema code tells apart, the same on 18.16 and current releases.
const (
	// duplicateColumnCode answers an ADD COLUMN of an existing column; 18.16 has no ADD
	// COLUMN IF NOT EXISTS, so migrations tolerate it.
	duplicateColumnCode int32 = 44
	// tableExistsCode answers a CREATE TABLE without IF NOT EXISTS of an existing table: the
	// migration lock is taken (migrate_lock.go).
	tableExistsCode int32 = 57
	// unknownTableCode and tableDroppedCode answer a read of a table that is gone or going.
	unknownTableCode int32 = 60
	tableDroppedCode int32 = 218
)

// isServerCode says whether err is a ClickHouse server exception with the given code.
func isServerCode(err error, code int32) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == code
}
