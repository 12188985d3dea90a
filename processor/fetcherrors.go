package processor

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchFailure is the latest fetch error of a partition.
type fetchFailure struct {
	err error
	// dataLoss is sticky: records the partition held are gone (the broker's log was truncated
	// below the offset being fetched), and a repartition partition's state or a raw partition's
	// routed events miss them for good. Readiness reports it until the partition's assignment
	// ends, so that an operator sees it, not only a log line.
	dataLoss bool
	at       time.Time
}

// fetchErrorHold is how long any other fetch error keeps the member unready without happening
// again: kgo returns a partition only with records or an error, so an idle partition may never
// show the successful fetch that would clear it.
const fetchErrorHold = time.Minute

// current reports whether the failure still makes the member unready.
func (f fetchFailure) current(now time.Time) bool {
	return f.dataLoss || now.Sub(f.at) < fetchErrorHold
}

// fetched records the outcome of a poll for one partition: an error makes the member unready
// and counts in chatpulse_fetch_errors_total; a later successful fetch clears it, except data
// loss.
func (p *Processor) fetched(key tp, err error) {
	if err != nil && errors.Is(err, context.Canceled) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		if f, ok := p.fetchErrs[key]; ok && !f.dataLoss {
			delete(p.fetchErrs, key)
		}
		return
	}
	reason := fetchErrorReason(err)
	p.metrics.fetchErrors.WithLabelValues(key.topic, reason).Inc()
	if f, ok := p.fetchErrs[key]; !ok || !f.dataLoss {
		p.fetchErrs[key] = fetchFailure{err: err, dataLoss: reason == "data_loss", at: time.Now()}
	}
	p.log.Warn("fetch", "topic", key.topic, "partition", key.partition, "reason", reason, "err", err)
}

// fetchErrorReason is the label of a fetch error: data_loss, the Kafka error code's name, or
// other.
func fetchErrorReason(err error) string {
	var loss *kgo.ErrDataLoss
	if errors.As(err, &loss) {
		return "data_loss"
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return "other"
}
