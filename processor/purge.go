package processor

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The purge keeps <group>.repartition bounded, as Kafka Streams purges its repartition topics.
// A record there serves two readers: the owner applying it for the first time, and a restore
// that rebuilds a partition's state from a snapshot onwards. Every CHATPULSE_PURGE_INTERVAL,
// for each repartition partition it owns, a member deletes (DeleteRecords) the records below
// both
//   - the committed offset: records from there on have rows that may not be durable yet, and
//   - the oldest of the CHATPULSE_SNAPSHOTS_KEPT snapshots the state topic keeps, all written
//     by this assignment: a restore starts after one of them, the newest that is usable, and
//     falls back on older ones, so none of them may need a purged record.
// Until the current owner has written every kept slot, nothing is purged. A restore checks the
// log's start and skips a snapshot that needs purged records (an old owner's written late).

// purges remembers, per repartition partition, the offset the log was last purged to.
type purges struct {
	mu   sync.Mutex
	done map[int32]int64
}

// startPurging runs the purge until ctx ends; the returned func stops it and waits.
func (p *Processor) startPurging(ctx context.Context, cl *kgo.Client) func() {
	if p.cfg.PurgeInterval == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.cfg.PurgeInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.purge(ctx, kadm.NewClient(cl))
			}
		}
	}()
	return func() { cancel(); <-done }
}

// purgePoints returns, per owned repartition partition, the offset below which no restore
// needs a record, when it is beyond the last purge.
func (p *Processor) purgePoints(committed map[int32]kgo.EpochOffset) kadm.Offsets {
	topic := p.cfg.RepartitionTopic()
	points := kadm.Offsets{}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.purges.mu.Lock()
	defer p.purges.mu.Unlock()
	for key, w := range p.workers {
		if key.topic != topic || w.ring == nil {
			continue
		}
		kept, ok := w.ring.purgeable()
		c, found := committed[key.partition]
		if !ok || !found {
			continue
		}
		at := min(kept, c.Offset)
		if at <= p.purges.done[key.partition] {
			continue
		}
		points.Add(kadm.Offset{Topic: topic, Partition: key.partition, At: at, LeaderEpoch: -1})
	}
	return points
}

func (p *Processor) purge(ctx context.Context, adm *kadm.Client) {
	points := p.purgePoints(p.client.CommittedOffsets()[p.cfg.RepartitionTopic()])
	if len(points) == 0 {
		return
	}
	resp, err := adm.DeleteRecords(ctx, points)
	if err != nil {
		p.log.Warn("purge of the repartition log failed; retried next interval", "err", err)
		return
	}
	p.purges.mu.Lock()
	defer p.purges.mu.Unlock()
	if p.purges.done == nil {
		p.purges.done = map[int32]int64{}
	}
	resp.Each(func(r kadm.DeleteRecordsResponse) {
		if r.Err != nil {
			p.log.Warn("purge of the repartition log failed; retried next interval", "partition", r.Partition, "err", r.Err)
			return
		}
		if was := p.purges.done[r.Partition]; r.LowWatermark > was {
			p.stats.Purged.Add(uint64(r.LowWatermark - max(was, 0)))
			p.purges.done[r.Partition] = r.LowWatermark
		}
	})
}
