package processor

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/route"
)

// Idleness of raw partitions. A raw partition that receives nothing would hold back the
// watermark of every repartition partition forever: sessions would never close and join expiry
// never run. So when a raw partition's owner has had no new record for CHATPULSE_IDLE_TIMEOUT of
// processing time, and knows of none waiting, it sends an idle bundle to every repartition
// partition; their states then leave the raw partition out of the least progress until one of
// its bundles without the flag comes, which the owner sends with its next records. The decision
// is made once, by the owner, and travels in the repartition log, so a replay moves every
// watermark exactly as the first run did. The price: a partition's events that arrive after it
// woke and are older than a watermark that moved on without it count as late.

// idleness is a raw partition's clock of processing time since its last record.
type idleness struct {
	// since is when the partition last had a record processed, or was assigned.
	since time.Time
	// sent says an idle bundle has gone out since the last record.
	sent bool
	// last is the last raw offset routed in this assignment, -1 before the first.
	last int64
}

func newIdleness() idleness { return idleness{since: time.Now(), last: -1} }

// routed records that the records up to offset were routed: the partition is not idle.
func (i *idleness) routed(offset int64) {
	i.since, i.sent, i.last = time.Now(), false, offset
}

// idleEvery is how often an owner looks whether its raw partition has become idle.
func idleEvery(timeout time.Duration) time.Duration { return max(timeout/4, 100*time.Millisecond) }

// checkIdle sends the idle bundles of the raw partition when it has had no record for the idle
// timeout and no record is known to wait: not queued for the worker, and none beyond what was
// processed as of the latest fetch. While a repartition partition of this member restores, the
// clock stands still: fetching may not have started, and a partition with records waiting
// must not be taken for an idle one.
func (t *rawTask) checkIdle() {
	timeout := t.w.p.cfg.IdleTimeout
	if timeout == 0 || t.idle.sent {
		return
	}
	if t.w.p.restoringAny() {
		t.idle.since = time.Now()
		return
	}
	if time.Since(t.idle.since) < timeout || len(t.w.recs) > 0 {
		return
	}
	if lag, known := t.w.progress.lag(); known && lag > 0 {
		return
	}
	last := t.idle.last
	if last < 0 {
		// Nothing routed in this assignment: the previous owner routed up to the committed
		// offset. A state that has applied more ignores the flag (see partition.State.Observe).
		if o, ok := t.w.cl.CommittedOffsets()[t.w.topic][t.w.partition]; ok && o.Offset > 0 {
			last = o.Offset - 1
		}
	}
	origin := route.Origin{Topic: t.w.topic, Partition: t.w.partition, WatermarkMs: t.watermark, Offset: last, Idle: true}
	recs := make([]*kgo.Record, t.w.p.cfg.Partitions)
	var empty route.Bundle
	for p := range recs {
		recs[p] = &kgo.Record{Topic: t.w.p.cfg.RepartitionTopic(), Partition: int32(p), Value: empty.Seal(origin, nil)}
	}
	if !t.w.retry("produce idle bundles", func(ctx context.Context) error {
		return t.w.cl.ProduceSync(ctx, recs...).FirstErr()
	}) {
		return
	}
	t.idle.sent = true
	t.w.p.stats.IdleMarks.Add(1)
	t.w.log.Info("raw partition idle; it stops holding the watermark until its next record",
		"idle_for", time.Since(t.idle.since).Round(time.Second), "last_offset", last)
}

// restoringAny says whether a repartition partition of this member is still being restored.
func (p *Processor) restoringAny() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.workers {
		if w.restoring.Load() {
			return true
		}
	}
	return false
}
