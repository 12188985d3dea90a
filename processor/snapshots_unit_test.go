package processor

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestTheSnapshotRingAllowsAPurgeOnlyBelowTheOldestKeptSnapshot(t *testing.T) {
	cfg := DefaultConfig()
	r := newSnapshotRing(3)
	write := func(offset int64) {
		rec := r.record(cfg, 4, offset, []byte("state"))
		r.wrote(rec)
	}
	if _, ok := r.purgeable(); ok {
		t.Fatal("an empty ring allows a purge")
	}
	write(10)
	write(20)
	if _, ok := r.purgeable(); ok {
		t.Fatal("a ring with a slot not written in this assignment allows a purge")
	}
	write(30)
	if at, ok := r.purgeable(); !ok || at != 11 {
		t.Fatalf("purgeable %d %v, want 11: every kept snapshot's records from its offset on stay", at, ok)
	}
	write(40) // overwrites the slot of 10
	if at, ok := r.purgeable(); !ok || at != 21 {
		t.Fatalf("purgeable %d %v, want 21", at, ok)
	}
	r.wrote(&kgo.Record{Key: []byte("snapshot"), Value: make([]byte, 8)})
	r.wrote(&kgo.Record{Key: []byte("snapshot.7"), Value: make([]byte, 8)})
	if at, _ := r.purgeable(); at != 21 {
		t.Fatalf("records of other keys moved the purge point to %d", at)
	}
}

func TestLimitsFollowTheTopicsMaxMessageBytes(t *testing.T) {
	tests := []struct {
		name                      string
		repartition, dlq, state   int32
		batch, bundle, dead, snap int
	}{
		{"topics with Kafka's defaults and the state topic as created cap batches at 1 MiB", 1048588, 1048588, stateMaxMessageBytes,
			1048588, 256 << 10, 1048588 - 8*recordOverhead, maxSnapshotBytes},
		{"a dead-letter topic of 1 MiB keeps dead letters and their headers below its limit", 4 << 20, 1 << 20, stateMaxMessageBytes,
			1 << 20, 256 << 10, 1<<20 - 8*recordOverhead, maxSnapshotBytes},
		{"an existing state topic of 2 MiB caps snapshots below it", 1048588, 1048588, 2 << 20,
			1048588, 256 << 10, 1048588 - 8*recordOverhead, 2<<20 - recordOverhead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimits(tt.repartition, tt.dlq, tt.state)
			if int(l.batch) != tt.batch || l.bundle != tt.bundle || l.deadLetter != tt.dead || l.snapshot != tt.snap {
				t.Fatalf("limits %+v", l)
			}
		})
	}
}
