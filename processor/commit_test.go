package processor

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// countingKafka counts the commits sent through memKafka.
type countingKafka struct {
	*memKafka
	commits atomic.Int32
}

func (k *countingKafka) CommitMarkedOffsets(ctx context.Context) error {
	k.commits.Add(1)
	return k.memKafka.CommitMarkedOffsets(ctx)
}

func (k *countingKafka) committedAt(key tp) (int64, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	o, ok := k.committed[key]
	return o, ok
}

// TestAMarkIsCommittedAtOnceAndLaterMarksAfterTheSpacing drives the committer directly: the
// commit interval is an hour, so only the committer can commit within the test.
func TestAMarkIsCommittedAtOnceAndLaterMarksAfterTheSpacing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CommitInterval, cfg.CommitSpacing = time.Hour, time.Hour
	kafka := &countingKafka{memKafka: newMemKafka()}
	p := &Processor{cfg: cfg, log: slog.New(slog.DiscardHandler), commits: make(chan struct{}, 1)}
	w := &worker{p: p, kafka: kafka, topic: "raw", partition: 3}
	stop := p.startCommitting(context.Background(), kafka)
	defer stop()
	key := tp{"raw", 3}
	waitCommitted := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			if o, ok := kafka.committedAt(key); ok && o == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		o, _ := kafka.committedAt(key)
		t.Fatalf("committed offset %d within a minute, want %d", o, want)
	}

	w.mark(&kgo.Record{Offset: 9})
	waitCommitted(10)
	// The next mark comes well within the hour's spacing: it waits, however slow the machine.
	w.mark(&kgo.Record{Offset: 19})
	time.Sleep(300 * time.Millisecond)
	if o, _ := kafka.committedAt(key); o != 10 {
		t.Fatalf("a mark within the spacing was committed at once (offset %d)", o)
	}
	if n := kafka.commits.Load(); n != 1 {
		t.Fatalf("%d commits, want 1", n)
	}
}

// TestACommitFollowsTheFirstMarkAfterTheSpacingHasPassed: marks that come while the committer
// waits out the spacing are committed together once it has passed.
func TestACommitFollowsTheFirstMarkAfterTheSpacingHasPassed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CommitInterval, cfg.CommitSpacing = time.Hour, 50*time.Millisecond
	kafka := &countingKafka{memKafka: newMemKafka()}
	p := &Processor{cfg: cfg, log: slog.New(slog.DiscardHandler), commits: make(chan struct{}, 1)}
	w := &worker{p: p, kafka: kafka, topic: "raw", partition: 0}
	stop := p.startCommitting(context.Background(), kafka)
	defer stop()
	for off := int64(0); off < 100; off++ {
		w.mark(&kgo.Record{Offset: off})
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if o, _ := kafka.committedAt(tp{"raw", 0}); o == 100 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if o, _ := kafka.committedAt(tp{"raw", 0}); o != 100 {
		t.Fatalf("committed offset %d within a minute, want 100", o)
	}
	// A hundred marks in a row take far fewer commits: each commit takes every mark before it.
	if n := kafka.commits.Load(); n > 50 {
		t.Fatalf("%d commits for 100 marks", n)
	}
}
