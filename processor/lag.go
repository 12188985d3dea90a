package processor

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Lag returns how many records of the input and repartition topics the group has not committed
// yet. Offsets are committed only after their effects are durable, so a lag of zero means every
// record produced so far is reflected in ClickHouse.
//
// The committed offsets are read before the end offsets, and that order is what makes a zero
// trustworthy: a raw offset is committed only after the repartition records it produced are
// acknowledged, so once the raw commits read first reach ends read later, every repartition
// record they caused is below the repartition ends read later too. Read the other way round, a
// repartition end read before the raw partitions finished could be "caught up" against commits
// read after. A commit beyond its end can then only mean a truncated partition, and is an error,
// never a lag of zero.
func Lag(ctx context.Context, cfg Config, extra ...kgo.Opt) (int64, error) {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	return readLag(ctx, cl, cfg)
}

// LagMeter reads Lag again and again through one client. A client per reading costs a new
// connection, its handshake and the client's setup every time, which, for a caller polling
// from the worker's process (the pipeline benchmark), counted as the worker's CPU.
type LagMeter struct {
	cl  client
	ctx context.Context // ends when the brokers refuse the credentials, or Close is called
	cfg Config
}

// NewLagMeter opens the client a LagMeter reads through; Close releases it.
func NewLagMeter(ctx context.Context, cfg Config, extra ...kgo.Opt) (*LagMeter, error) {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return nil, err
	}
	return &LagMeter{cl: cl, ctx: ctx, cfg: cfg}, nil
}

// Lag is Lag of the package, read through the meter's client.
func (m *LagMeter) Lag(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(m.ctx, cancel)()
	return readLag(ctx, m.cl, m.cfg)
}

// Close closes the meter's client.
func (m *LagMeter) Close() { m.cl.Close() }

func readLag(ctx context.Context, cl client, cfg Config) (int64, error) {
	adm := kadm.NewClient(cl.Client)
	committed, err := adm.FetchOffsets(ctx, cfg.Group)
	if err != nil {
		return 0, fmt.Errorf("fetch offsets of group %s: %w", cfg.Group, cl.explain(err))
	}
	topics := append(cfg.InputTopics.Topics(), cfg.RepartitionTopic())
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return 0, fmt.Errorf("list end offsets: %w", cl.explain(err))
	}
	return lagOf(committed, ends)
}

// lagOf sums end minus committed over every listed partition; a partition without a commit
// lags by its whole end.
func lagOf(committed kadm.OffsetResponses, ends kadm.ListedOffsets) (int64, error) {
	var lag int64
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			fail(fmt.Errorf("end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err))
			return
		}
		var at int64
		if c, ok := committed.Lookup(o.Topic, o.Partition); ok {
			if c.Err != nil {
				fail(fmt.Errorf("committed offset of %s[%d]: %w", o.Topic, o.Partition, c.Err))
				return
			}
			at = max(c.At, 0) // -1: nothing committed
		}
		if at > o.Offset {
			fail(fmt.Errorf("%s[%d]: committed offset %d is beyond the end %d: %w", o.Topic, o.Partition, at, o.Offset, errCommitBeyondEnd))
			return
		}
		lag += o.Offset - at
	})
	return lag, firstErr
}

// errCommitBeyondEnd is a committed offset past its partition's end: records were lost on the
// broker (an unclean leader election, a deleted and re-created topic).
var errCommitBeyondEnd = errors.New("commit beyond the end of the log")
