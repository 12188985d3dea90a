package processor

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Lag returns how many records of the input and repartition topics the group has not committed
// yet. Offsets are committed only after their effects are durable, so a lag of zero means every
// record produced so far is reflected in ClickHouse.
func Lag(ctx context.Context, cfg Config, extra ...kgo.Opt) (int64, error) {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl.Client)
	topics := append(cfg.InputTopics.Topics(), cfg.RepartitionTopic())
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return 0, fmt.Errorf("list end offsets: %w", cl.explain(err))
	}
	committed, err := adm.FetchOffsets(ctx, cfg.Group)
	if err != nil {
		return 0, fmt.Errorf("fetch offsets of group %s: %w", cfg.Group, err)
	}
	var lag int64
	var firstErr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err)
			}
			return
		}
		var at int64
		if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.Err == nil && c.At >= 0 {
			at = c.At
		}
		lag += max(o.Offset-at, 0)
	})
	return lag, firstErr
}
