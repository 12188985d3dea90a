package processor

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
)

// DecodeOnly reads the input topics from the start and decodes every record, one goroutine per
// partition as the pipeline does, and does nothing else. It is the ceiling the full pipeline's
// throughput is measured against. It returns the events decoded once want records were read.
func DecodeOnly(ctx context.Context, cfg Config, want int, extra ...kgo.Opt) (int, error) {
	cl, err := newClient(cfg.Dial, extra,
		kgo.ConsumeTopics(cfg.InputTopics.Topics()...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(cfg.FetchMaxBytes),
		kgo.FetchMaxPartitionBytes(cfg.FetchMaxPartitionBytes),
	)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var (
		dispatched int
		events     atomic.Int64
		wg         sync.WaitGroup
		queues     = map[tp]chan []*kgo.Record{}
	)
	drain := func() int {
		for _, q := range queues {
			close(q)
		}
		wg.Wait()
		return int(events.Load())
	}
	for dispatched < want {
		fetches := cl.PollRecords(ctx, 10_000)
		if err := ctx.Err(); err != nil {
			return drain(), err
		}
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			key := tp{p.Topic, p.Partition}
			q := queues[key]
			if q == nil {
				q = make(chan []*kgo.Record, queuedBatches)
				queues[key] = q
				format := cfg.InputTopics[p.Topic]
				wg.Add(1)
				go func() {
					defer wg.Done()
					var evs []event.Event
					for recs := range q {
						n := 0
						for _, r := range recs {
							evs, _ = decode.Decode(format, decode.Record{Value: r.Value, TimestampMs: r.Timestamp.UnixMilli()}, evs[:0])
							n += len(evs)
						}
						events.Add(int64(n))
					}
				}()
			}
			q <- p.Records
			dispatched += len(p.Records)
		})
	}
	return drain(), nil
}
