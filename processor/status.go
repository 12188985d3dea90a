package processor

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/partition"
)

// Status is what this member owns and how far each owned partition has got, read from the
// figures its workers keep for the metrics. It holds counts and offsets only, never a record's
// contents or a credential.
type Status struct {
	Group string
	// MemberID and Generation are the member's identity in the group; empty and 0 until it
	// has been assigned partitions.
	MemberID   string
	Generation int32
	// Ready is nil when the member serves, or why it does not (Processor.Ready).
	Ready      error
	Partitions []PartitionStatus // by topic, then partition
	// Records, Events and DeadLetters count what this member processed since it started.
	Records, Events, DeadLetters uint64
	DeadLettersBy                map[string]uint64
	// Restores counts the partition states rebuilt since the member started, SnapshotRestores
	// those that started from a snapshot, RestoreTime their total time.
	Restores, SnapshotRestores uint64
	RestoreTime                time.Duration
}

// PartitionStatus is one owned partition. Raw partitions carry the record counts, repartition
// partitions the state figures.
type PartitionStatus struct {
	Topic       string
	Partition   int32
	Repartition bool
	// Lag is the records fetched or fetchable not yet processed; LagKnown is false until a
	// fetch has returned records of the partition.
	Lag      int64
	LagKnown bool

	// Raw partitions: records processed, of which decoded and dead-lettered.
	Records, Decoded, DeadLettered uint64

	// Repartition partitions.
	Restoring bool
	// RestoreTook is how long rebuilding the state took (snapshot load and replay), 0 while
	// restoring.
	RestoreTook time.Duration
	// WatermarkMs is the state's event-time watermark in Unix milliseconds, 0 until known.
	WatermarkMs int64
	State       StateSize
	// Snapshot is the snapshot the state was restored from, nil when it was rebuilt from the
	// log.
	Snapshot *SnapshotInfo
}

// StateSize is the size of a repartition partition's state.
type StateSize struct {
	Messages, Pending, Sessions int
	// Bytes estimates the heap the state holds.
	Bytes int64
}

// SnapshotInfo describes the snapshot a partition's state was restored from.
type SnapshotInfo struct {
	Offset  int64 // the repartition offset it reflects
	Bytes   int
	Loading time.Duration
}

// Status returns the member's status now; it is safe to call while Run runs.
func (p *Processor) Status() Status {
	s := p.stats
	st := Status{
		Group:            p.cfg.Group,
		Ready:            p.Ready(),
		Records:          s.Records.Load(),
		Events:           s.Events.Load(),
		DeadLetters:      s.DeadLettered.Load(),
		DeadLettersBy:    s.DeadLetteredBy(),
		Restores:         s.Restores.Load(),
		SnapshotRestores: s.SnapshotRestores.Load(),
		RestoreTime:      time.Duration(s.RestoreNanos.Load()),
	}
	raw := s.RawPartitions()
	repartition := p.cfg.RepartitionTopic()
	p.mu.Lock()
	cl := p.client
	for key, w := range p.workers {
		ps := PartitionStatus{Topic: key.topic, Partition: key.partition, Repartition: key.topic == repartition}
		ps.Lag, ps.LagKnown = w.progress.lag()
		if ps.Repartition {
			g := w.gauges.load()
			ps.Restoring = w.restoring.Load()
			ps.RestoreTook = time.Duration(w.restoreTook.Load())
			ps.WatermarkMs = g.WatermarkMs
			ps.State = StateSize{Messages: g.Messages, Pending: g.Early, Sessions: g.OpenSessions, Bytes: stateBytes(g)}
			if r := w.restored; r != nil {
				ps.Snapshot = &SnapshotInfo{Offset: r.offset, Bytes: r.bytes, Loading: r.loading}
			}
		} else {
			c := raw[TopicPartition{key.topic, key.partition}]
			ps.Records, ps.Decoded, ps.DeadLettered = c.Records, c.Decoded, c.DeadLettered
		}
		st.Partitions = append(st.Partitions, ps)
	}
	p.mu.Unlock()
	if cl != nil {
		st.MemberID, st.Generation = cl.GroupMetadata()
	}
	slices.SortFunc(st.Partitions, func(a, b PartitionStatus) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return st
}

// GroupStatus is the consumer group as the brokers describe it: its members, who owns which
// partition and how far the group's commits trail each partition's end.
type GroupStatus struct {
	Group   string
	State   string // the coordinator's state of the group: Stable, PreparingRebalance, Empty...
	Members []GroupMember
	// Partitions are every partition of the input and repartition topics, by topic then
	// partition.
	Partitions []GroupPartition
}

// GroupMember is one member of the group.
type GroupMember struct {
	MemberID, ClientID, Host string
}

// GroupPartition is one partition the group consumes.
type GroupPartition struct {
	Topic     string
	Partition int32
	// Member is the member that owns the partition, empty when none does.
	Member string
	// Committed is the group's committed offset, -1 when none; End the partition's end offset;
	// Lag their difference, or the whole partition when nothing is committed.
	Committed, End, Lag int64
	// Repartition partitions: the event-time watermark of the latest snapshot in the state
	// topic (Unix milliseconds) and the repartition offset that snapshot reflects; HasSnapshot
	// is false when the partition has none yet.
	HasSnapshot    bool
	WatermarkMs    int64
	SnapshotOffset int64
}

// DescribeGroup asks the brokers for the group's members, their partitions and the lag of each
// input and repartition partition, and reads each repartition partition's watermark from its
// latest snapshot.
func DescribeGroup(ctx context.Context, cfg Config, state partition.Config, extra ...kgo.Opt) (GroupStatus, error) {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return GroupStatus{}, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl.Client)
	lags, err := adm.Lag(ctx, cfg.Group)
	if err != nil {
		return GroupStatus{}, fmt.Errorf("describe group %s: %w", cfg.Group, cl.explain(err))
	}
	lag, ok := lags[cfg.Group]
	if !ok {
		return GroupStatus{}, fmt.Errorf("describe group %s: no answer", cfg.Group)
	}
	if err := lag.Error(); err != nil {
		return GroupStatus{}, fmt.Errorf("describe group %s: %w", cfg.Group, err)
	}
	gs := GroupStatus{Group: cfg.Group, State: lag.State}
	for _, m := range lag.Members {
		gs.Members = append(gs.Members, GroupMember{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost})
	}
	topics := append(cfg.InputTopics.Topics(), cfg.RepartitionTopic())
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return GroupStatus{}, fmt.Errorf("list end offsets: %w", cl.explain(err))
	}
	var firstErr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			firstErr = cmp.Or(firstErr, fmt.Errorf("end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err))
			return
		}
		gp := GroupPartition{Topic: o.Topic, Partition: o.Partition, Committed: -1, End: o.Offset, Lag: o.Offset}
		if l, ok := lag.Lag.Lookup(o.Topic, o.Partition); ok {
			if l.Member != nil {
				gp.Member = l.Member.MemberID
			}
			if l.Commit.At >= 0 {
				gp.Committed = l.Commit.At
				gp.Lag = max(o.Offset-l.Commit.At, 0)
			}
		}
		gs.Partitions = append(gs.Partitions, gp)
	})
	if firstErr != nil {
		return GroupStatus{}, firstErr
	}
	slices.SortFunc(gs.Partitions, func(a, b GroupPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	var parts []int32
	for _, gp := range gs.Partitions {
		if gp.Topic == cfg.RepartitionTopic() {
			parts = append(parts, gp.Partition)
		}
	}
	reads := readSnapshots(ctx, cfg, parts, cfg.SnapshotsKept, extra...)
	for i := range gs.Partitions {
		gp := &gs.Partitions[i]
		if gp.Topic != cfg.RepartitionTopic() {
			continue
		}
		read := reads[gp.Partition]
		if read.err != nil {
			return GroupStatus{}, fmt.Errorf("snapshot of %s[%d]: %w", gp.Topic, gp.Partition, read.err)
		}
		// The newest snapshot that decodes: the one a restore would start from.
		for _, snap := range read.snaps {
			st, err := partition.RestoreSnapshot(snap.state, state)
			if err != nil {
				continue
			}
			gp.HasSnapshot, gp.WatermarkMs, gp.SnapshotOffset = true, st.Gauges().WatermarkMs, snap.offset
			break
		}
	}
	return gs, nil
}
