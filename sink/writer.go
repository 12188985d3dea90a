package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chatpulse/chatpulse/backoff"
	"github.com/chatpulse/chatpulse/rows"
)

// Writer batches submitted rows into large inserts and tells each submitter, through its ack,
// when its rows are durable. Submit, Flush and Healthy are safe for concurrent use; Run is the
// single goroutine that inserts.
type Writer struct {
	c       *Client
	cfg     Config
	log     *slog.Logger
	metrics *writerMetrics

	kick chan struct{} // wakes Run: rows arrived, the buffer filled, or Flush wants a flush now

	mu sync.Mutex
	// buf and acks are the submissions not yet taken by a flush, in submission order.
	buf  rows.Set
	acks []func()
	// text holds the strings of buf's rows (see text.go).
	text text
	// bufSince is when the oldest submission in buf arrived; zero when buf holds none.
	bufSince time.Time
	// lastSubmit is when the newest submission in buf arrived (see FlushIdle).
	lastSubmit time.Time
	// pending counts the rows submitted and not yet durable, in buf or in the flush under way;
	// it is what MaxPendingRows bounds.
	pending  int
	flushNow bool
	// progress is closed and replaced whenever pending shrinks or the writer stops, waking
	// blocked Submit calls.
	progress chan struct{}
	// blocked counts Submit calls waiting for room.
	blocked int
	health  error
	stopped error
}

// NewWriter returns a writer that inserts through c, batching as cfg says (cfg must pass
// Validate). Run must be started for anything to be written. A nil log discards.
func NewWriter(c *Client, cfg Config, log *slog.Logger) *Writer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{
		c:        c,
		cfg:      cfg,
		log:      log,
		kick:     make(chan struct{}, 1),
		progress: make(chan struct{}),
	}
	w.metrics = newWriterMetrics(func() float64 {
		w.mu.Lock()
		defer w.mu.Unlock()
		return float64(w.pending)
	})
	return w
}

// ErrWriterStopped is returned by Submit and Flush once Run has returned.
var ErrWriterStopped = errors.New("writer stopped")

// Submit copies the rows of set, and their strings, into the writer, so the caller may reuse
// set at once and the waiting rows keep nothing else in memory, and calls ack on the flusher
// goroutine once they, and everything submitted before them, are durable in ClickHouse. ack
// may be nil; an empty set with an ack is a marker that fires after all earlier submissions.
// Acks fire in submission order and must be cheap.
//
// Submit blocks while the writer holds MaxPendingRows rows or more that are not yet durable;
// the bound is checked before adding, so it can be exceeded by at most one set. It returns
// ctx.Err() when ctx ends while blocked, and the writer's error once Run has returned.
func (w *Writer) Submit(ctx context.Context, set *rows.Set, ack func()) error {
	return w.enqueue(ctx, set, ack, false)
}

func (w *Writer) enqueue(ctx context.Context, set *rows.Set, ack func(), flush bool) error {
	n := 0
	if set != nil {
		n = set.Len()
	}
	if n == 0 && ack == nil && !flush {
		return nil
	}
	w.mu.Lock()
	for w.stopped == nil && n > 0 && w.pending >= w.cfg.MaxPendingRows {
		progress := w.progress
		w.blocked++
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			w.mu.Lock()
			w.blocked--
			w.mu.Unlock()
			return ctx.Err()
		case <-progress:
		}
		w.mu.Lock()
		w.blocked--
	}
	if err := w.stopped; err != nil {
		w.mu.Unlock()
		return err
	}
	wasEmpty := w.bufSince.IsZero()
	w.lastSubmit = time.Now()
	if wasEmpty {
		w.bufSince = w.lastSubmit
	}
	if n > 0 {
		w.text.appendDetached(&w.buf, set)
		w.pending += n
	}
	if ack != nil {
		w.acks = append(w.acks, ack)
	}
	w.flushNow = w.flushNow || flush
	wake := wasEmpty || flush || w.buf.Len() >= w.cfg.FlushRows
	w.mu.Unlock()
	if wake {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Flush returns once everything submitted before the call is durable, or with the error that
// keeps it from becoming durable: ctx's, or the writer's once Run has returned. It asks Run to
// flush at once rather than waiting for FlushRows or FlushInterval.
func (w *Writer) Flush(ctx context.Context) error {
	done := make(chan struct{})
	if err := w.enqueue(ctx, nil, func() { close(done) }, true); err != nil {
		return err
	}
	for {
		w.mu.Lock()
		stopped, progress := w.stopped, w.progress
		w.mu.Unlock()
		if stopped != nil {
			select {
			case <-done: // the flush completed before Run returned
				return nil
			default:
				return stopped
			}
		}
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-progress:
		}
	}
}

// Healthy returns nil while inserts succeed, the last insert error while an insert is being
// retried, the last ping's error when an idle writer cannot reach ClickHouse, and the writer's
// final error once Run has returned.
func (w *Writer) Healthy() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped != nil {
		return w.stopped
	}
	return w.health
}

// Run inserts submitted rows until ctx ends or an insert fails for good. It flushes when
// FlushRows rows wait, when the oldest waiting submission is FlushInterval old, when Flush
// asks, or when no submission came for FlushIdle and the last insert is FlushInterval old
// (see Config.FlushIdle). A retryable insert error is retried with backoff from 100 ms up to 10 s, forever; the
// batch is kept and Submit blocks at MaxPendingRows meanwhile.
//
// Run returns ctx.Err() when ctx ends, without a final flush: submissions that were not acked
// were not written, or not known to be, and their owners must submit them again. It returns
// the wrapped insert error when an insert cannot succeed. Either way, later and blocked
// Submit and Flush calls fail with that error. Run must be called once.
func (w *Writer) Run(ctx context.Context) error {
	err := w.run(ctx)
	w.mu.Lock()
	w.stopped = fmt.Errorf("%w: %w", ErrWriterStopped, err)
	w.signalProgressLocked()
	w.mu.Unlock()
	return err
}

func (w *Writer) run(ctx context.Context) error {
	var (
		batch rows.Set // the set being flushed; swapped with buf to keep both capacities
		acks  []func()
		timer = time.NewTimer(time.Hour)
		// lastInsert is when the latest flush that inserted rows began.
		lastInsert time.Time
		// check pings ClickHouse while no rows come, so that Healthy reports an outage before
		// there is something to write.
		check = time.NewTicker(healthCheckInterval)
	)
	timer.Stop()
	defer timer.Stop()
	defer check.Stop()
	for {
		w.mu.Lock()
		now := time.Now()
		wake, due := w.dueLocked(now, lastInsert)
		if due {
			batch, w.buf = w.buf, batch
			w.text.reset() // batch's rows keep their strings' chunks alive
			acks, w.acks = w.acks, acks[:0]
			w.bufSince, w.flushNow = time.Time{}, false
			if batch.Len() > 0 {
				lastInsert = now
			}
		} else if !wake.IsZero() {
			timer.Reset(wake.Sub(now))
		}
		w.mu.Unlock()

		if !due {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-w.kick:
			case <-timer.C:
			case <-check.C:
				w.checkHealth(ctx)
			}
			timer.Stop()
			continue
		}
		inserted := batch.Len() > 0
		if err := w.flush(ctx, &batch); err != nil {
			return err
		}
		if inserted {
			check.Reset(healthCheckInterval) // the insert just showed that ClickHouse answers
		}
		for i, ack := range acks {
			ack()
			acks[i] = nil
		}
	}
}

// dueLocked reports whether what waits in buf is to be flushed now and, if not, when to look
// again (zero: when a submission wakes Run). lastInsert is when the latest insert began.
func (w *Writer) dueLocked(now, lastInsert time.Time) (wake time.Time, due bool) {
	if w.flushNow || w.buf.Len() >= w.cfg.FlushRows {
		return time.Time{}, true
	}
	if w.bufSince.IsZero() {
		return time.Time{}, false
	}
	wake = w.bufSince.Add(w.cfg.FlushInterval)
	if w.cfg.FlushIdle > 0 {
		// The input has gone quiet when no submission came for FlushIdle; a buffer of markers
		// alone costs no insert, so it need not respect the spacing of inserts.
		quiet := w.lastSubmit.Add(w.cfg.FlushIdle)
		if w.buf.Len() > 0 {
			quiet = later(quiet, lastInsert.Add(w.cfg.FlushInterval))
		}
		if quiet.Before(wake) {
			wake = quiet
		}
	}
	if !now.Before(wake) {
		return time.Time{}, true
	}
	return wake, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// flush inserts batch until it is durable, retrying transient errors, then releases its rows
// from the pending count and empties it.
func (w *Writer) flush(ctx context.Context, batch *rows.Set) error {
	n := batch.Len()
	if n > 0 {
		if err := w.insertWithRetry(ctx, batch); err != nil {
			return err
		}
	}
	batch.Reset()
	w.mu.Lock()
	w.pending -= n
	if n > 0 {
		w.health = nil // only an insert shows that ClickHouse answers
	}
	w.signalProgressLocked()
	w.mu.Unlock()
	return nil
}

func (w *Writer) insertWithRetry(ctx context.Context, batch *rows.Set) error {
	var done tablesDone
	attempts := 0
	err := backoff.Retry(ctx, backoff.Default, func(ctx context.Context) error {
		attempts++
		started := time.Now()
		err := w.c.insert(ctx, batch, &done)
		if err == nil {
			w.metrics.inserted(batch, time.Since(started))
		} else if ctx.Err() == nil {
			w.metrics.failed(err)
		}
		return err
	}, Retryable, func(attempt int, err error, wait time.Duration) {
		w.mu.Lock()
		w.health = fmt.Errorf("insert into clickhouse: %w", err)
		w.mu.Unlock()
		w.log.Warn("clickhouse insert failed, retrying", "attempt", attempt, "backoff", wait, "rows", batch.Len(), "error", err)
	})
	switch {
	case err == nil:
		if attempts > 1 {
			w.log.Info("clickhouse insert recovered", "attempt", attempts, "rows", batch.Len())
		}
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("write %d rows: %w", batch.Len(), err)
}

// healthCheckInterval is how long the writer stays idle before it pings ClickHouse.
const healthCheckInterval = 5 * time.Second

// checkHealth pings ClickHouse and keeps the outcome for Healthy.
func (w *Writer) checkHealth(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.DialTimeout)
	defer cancel()
	err := w.c.Ping(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("ping clickhouse: no answer within %s", w.cfg.DialTimeout)
	}
	w.mu.Lock()
	w.health = err
	w.mu.Unlock()
}

func (w *Writer) signalProgressLocked() {
	close(w.progress)
	w.progress = make(chan struct{})
}
