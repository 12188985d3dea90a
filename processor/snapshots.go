package processor

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/partition"
)

// Snapshots of a repartition partition's state live in partition p of the compacted topic
// <group>.state, one record each. A snapshot only shortens a restore: the state it holds is the
// state after applying the repartition log up to its offset, so a restore loads it and replays
// the records after it. It is written only once the rows of every record up to its offset are
// durable, so that the records it lets a restore skip never need writing again.
//
// A partition writes its snapshots under CHATPULSE_SNAPSHOTS_KEPT keys in turn ("snapshot.0",
// "snapshot.1", ...), so compaction, which keeps the latest record of each key, keeps that many
// of the latest snapshots rather than one. A restore tries them newest first and falls back on
// an older one when a newer one is unreadable; the purge (purge.go) keeps every repartition
// record the oldest of them needs.

// StateTopic is the compacted topic of the partitions' state snapshots.
func (c Config) StateTopic() string { return c.Group + ".state" }

// snapshotKeyPrefix leads the key of every snapshot; the slot follows it.
const snapshotKeyPrefix = "snapshot."

// legacySnapshotKey is the one key of every snapshot written before slots; still read.
const legacySnapshotKey = "snapshot"

func snapshotKey(slot int) []byte {
	return strconv.AppendInt([]byte(snapshotKeyPrefix), int64(slot), 10)
}

// snapshotRecord wraps a state snapshot with the repartition offset it reflects.
func snapshotRecord(topic string, partition int32, slot int, offset int64, state []byte) *kgo.Record {
	value := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(state)), uint64(offset))
	return &kgo.Record{Topic: topic, Partition: partition, Key: snapshotKey(slot), Value: append(value, state...)}
}

// snapshotRing picks the key of a partition's next snapshot and remembers which snapshots of
// the current assignment are written. The worker takes snapshots; the snapshot producer's
// callback and the purge read and write it, hence the mutex.
type snapshotRing struct {
	mu   sync.Mutex
	next int
	// written is, per slot, the offset of the snapshot this assignment wrote there, -1 for none.
	written []int64
}

func newSnapshotRing(kept int) *snapshotRing {
	r := &snapshotRing{written: make([]int64, kept)}
	for i := range r.written {
		r.written[i] = -1
	}
	return r
}

// record returns the record of a snapshot in the next slot.
func (r *snapshotRing) record(cfg Config, partition int32, offset int64, state []byte) *kgo.Record {
	r.mu.Lock()
	slot := r.next
	r.next = (r.next + 1) % len(r.written)
	r.mu.Unlock()
	return snapshotRecord(cfg.StateTopic(), partition, slot, offset, state)
}

// wrote records that rec, a snapshot record, is written.
func (r *snapshotRing) wrote(rec *kgo.Record) {
	slot, ok := snapshotSlot(rec.Key)
	if !ok || slot >= len(r.written) || len(rec.Value) < 8 {
		return
	}
	r.mu.Lock()
	r.written[slot] = int64(binary.BigEndian.Uint64(rec.Value))
	r.mu.Unlock()
}

// purgeable is the offset below which no kept snapshot needs the repartition log: the oldest
// kept snapshot's offset plus one, once every slot holds a snapshot this assignment wrote.
// Until then, false: a slot may still hold a snapshot of an earlier owner, as old as any.
func (r *snapshotRing) purgeable() (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	least := r.written[0]
	for _, o := range r.written {
		if o < 0 {
			return 0, false
		}
		least = min(least, o)
	}
	return least + 1, true
}

func snapshotSlot(key []byte) (int, bool) {
	rest, ok := strings.CutPrefix(string(key), snapshotKeyPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// snapshotClient publishes snapshots. TryProduce never blocks: snapshots are published from
// the sink's acknowledgement, which must stay cheap, and a snapshot that finds the buffer full
// is dropped and taken again after a later batch. *kgo.Client is one.
type snapshotClient interface {
	TryProduce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

// newSnapshotProducer is the client that writes snapshots: its batches may be as large as the
// state topic accepts, which the group's client, writing topics of 1 MiB records, must not build.
func newSnapshotProducer(cfg Config, lim limits, extra []kgo.Opt) (*kgo.Client, error) {
	cl, err := newClient(cfg.Dial, extra,
		kgo.ProducerBatchMaxBytes(lim.state),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)
	return cl.Client, err
}

// storedSnapshot is one snapshot read back from the state topic.
type storedSnapshot struct {
	offset int64 // the repartition offset it reflects
	state  []byte
	key    string
}

// storedSnapshotID tells snapshots apart across reads of the state topic: a key holds one
// snapshot per offset.
type storedSnapshotID struct {
	key    string
	offset int64
}

func (s storedSnapshot) id() storedSnapshotID { return storedSnapshotID{s.key, s.offset} }

var errNoPartition = errors.New("no such partition")

// maxSnapshotBytes bounds a snapshot record; a larger state is not snapshotted and its
// partition is restored by replay.
const maxSnapshotBytes = 64 << 20

// usable restores s, or returns nil, saying why, when it cannot serve: unreadable, taken under
// another configuration or input layout, or older than the purged part of the log.
func (p *Processor) usable(part int32, s storedSnapshot, logStart int64) *partition.State {
	log := p.log.With("partition", part, "snapshot_offset", s.offset, "snapshot_key", s.key)
	st, err := partition.RestoreSnapshot(s.state, p.state)
	if err != nil {
		log.Warn("snapshot unusable, trying an older one", "err", err)
		return nil
	}
	if st.Sources() != p.sources {
		// Input partitions were added: the snapshot's watermark would not wait for them.
		log.Warn("snapshot from another input layout, trying an older one", "snapshot_sources", st.Sources(), "sources", p.sources)
		return nil
	}
	// A snapshot older than the purge point (an old owner's, written late) needs records that
	// are gone.
	if s.offset+1 < logStart {
		log.Warn("snapshot needs purged records, trying an older one", "log_start", logStart)
		return nil
	}
	return st
}

// replayWithoutSnapshot logs that a partition is rebuilt from its log, and says so loudly when
// the log is purged: the state is then built from part of the history only.
func (p *Processor) replayWithoutSnapshot(part int32, snapshots int, start int64) {
	if start > 0 {
		p.stats.IncompleteRestores.Add(1)
		p.log.Error("no usable snapshot and the repartition log is purged: state is rebuilt from what is left",
			"partition", part, "snapshots", snapshots, "log_start", start)
		return
	}
	if snapshots > 0 {
		p.log.Warn("no usable snapshot, replaying the partition", "partition", part, "snapshots", snapshots)
	}
}

// closeSnapshotProducer waits briefly for snapshots published by the last acknowledgements
// (those of the final handover among them), then closes the client; a snapshot lost here only
// makes a later restore replay more.
func closeSnapshotProducer(cl *kgo.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = cl.Flush(ctx)
	cl.Close()
}
