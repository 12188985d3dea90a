package processor

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/partition"
)

// restoredState is a partition's state loaded from its latest usable snapshot.
type restoredState struct {
	state   *partition.State
	offset  int64 // the repartition offset the snapshot reflects
	bytes   int
	loading time.Duration // from the start of the restore until the state was loaded
	read    time.Duration // of loading, the part until the snapshots were read
}

// restore rebuilds a repartition partition's state from the newest usable snapshot in read,
// falling back on older ones (see snapshots.go). read holds the newest snapshot only; when it is
// unusable, the partition's other kept snapshots are read then. It returns the offset to start
// fetching at and the restored state, or 0 and nil when the partition has no usable snapshot and
// must be rebuilt from the beginning of its log.
func (p *Processor) restore(ctx context.Context, part int32, read snapshotsRead, started, readAt time.Time) (int64, *restoredState) {
	if read.err != nil {
		p.log.Warn("snapshots unreadable, replaying the partition", "partition", part, "err", read.err)
		p.replayWithoutSnapshot(part, 0, read.logStart)
		return 0, nil
	}
	tried := map[storedSnapshotID]bool{}
	for {
		for _, s := range read.snaps {
			if tried[s.id()] {
				continue
			}
			tried[s.id()] = true
			if st := p.usable(part, s, read.logStart); st != nil {
				return s.offset + 1, &restoredState{state: st, offset: s.offset, bytes: len(s.state),
					loading: time.Since(started), read: readAt.Sub(started)}
			}
		}
		if read.all {
			p.replayWithoutSnapshot(part, len(tried), read.logStart)
			return 0, nil
		}
		read = p.readSnapshots(ctx, []int32{part}, p.cfg.SnapshotsKept)[part]
		readAt = time.Now()
		if read.err != nil {
			p.log.Warn("older snapshots unreadable, replaying the partition", "partition", part, "err", read.err)
			p.replayWithoutSnapshot(part, len(tried), read.logStart)
			return 0, nil
		}
		read.all = true
	}
}

// restoreResult is where a repartition partition starts and the state it starts with.
type restoreResult struct {
	start int64
	state *restoredState
}

// restoreConcurrency bounds the snapshots decoded at once: each builds a whole state.
const restoreConcurrency = 4

// restoreAll restores the given repartition partitions: their kept snapshots are read
// together, then decoded concurrently, so that an assignment waits for its slowest partition,
// not for the sum of them.
func (p *Processor) restoreAll(ctx context.Context, offsets map[int32]kgo.Offset) map[int32]restoreResult {
	out := make(map[int32]restoreResult, len(offsets))
	if len(offsets) == 0 {
		return out
	}
	started := time.Now()
	parts := make([]int32, 0, len(offsets))
	for part := range offsets {
		parts = append(parts, part)
	}
	reads := p.readSnapshots(ctx, parts, 1)
	readAt := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, restoreConcurrency)
	for _, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			start, st := p.restore(ctx, part, reads[part], started, readAt)
			mu.Lock()
			out[part] = restoreResult{start, st}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// snapshotsRead is what a restore needs to know of one repartition partition: the latest
// snapshot under each kept key read, newest first, whether those are all there are, and the
// first offset of the repartition log that was not purged.
type snapshotsRead struct {
	snaps    []storedSnapshot
	all      bool // no kept snapshot older than snaps' last is left unread
	logStart int64
	err      error
}

// readSnapshots reads, with one client, the newest want of the kept snapshots of each of parts
// and where each repartition partition's log starts. Compaction keeps the latest record of
// every key, but until it runs older snapshots stay in the log, so a partition is read backwards
// from its end, a window at a time, until want snapshots or every kept key have been seen or the
// log's start is reached: the first record of a key seen from the end is its latest. Since a
// partition writes its keys in turn, the last want records normally hold them, and the cost
// follows the size of the state, not the length of the topic. A restore asks for the newest
// snapshot alone and reads the others only if it is unusable. With snapshots off only the log
// start is read.
func readSnapshots(ctx context.Context, cfg Config, parts []int32, want int, extra ...kgo.Opt) map[int32]snapshotsRead {
	out := make(map[int32]snapshotsRead, len(parts))
	failAll := func(err error) map[int32]snapshotsRead {
		for _, part := range parts {
			out[part] = snapshotsRead{err: err}
		}
		return out
	}
	cl, err := newClient(cfg.Dial, extra)
	if err != nil {
		return failAll(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl.Client)
	rep := cfg.RepartitionTopic()
	repStarts, err := adm.ListStartOffsets(ctx, rep)
	if err != nil {
		return failAll(fmt.Errorf("start offsets of %s: %w", rep, err))
	}
	for _, part := range parts {
		s, found := repStarts.Lookup(rep, part)
		if !found || s.Err != nil {
			out[part] = snapshotsRead{err: fmt.Errorf("start offset of %s[%d]: %w", rep, part, errors.Join(s.Err, errNoPartition))}
			continue
		}
		out[part] = snapshotsRead{logStart: s.Offset, all: true}
	}
	if cfg.SnapshotInterval == 0 {
		return out
	}
	topic := cfg.StateTopic()
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return failAll(fmt.Errorf("start offsets of %s: %w", topic, err))
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return failAll(fmt.Errorf("end offsets of %s: %w", topic, err))
	}
	scans := map[int32]*stateScan{}
	for _, part := range parts {
		if out[part].err != nil {
			continue
		}
		s, sok := starts.Lookup(topic, part)
		e, eok := ends.Lookup(topic, part)
		if !sok || !eok || s.Err != nil || e.Err != nil {
			out[part] = snapshotsRead{err: fmt.Errorf("offsets of %s[%d]: %w", topic, part, errors.Join(s.Err, e.Err, errNoPartition))}
			continue
		}
		if e.Offset > s.Offset {
			scans[part] = newStateScan(s.Offset, e.Offset, cfg.SnapshotsKept, want)
		}
	}
	if err := scanBackwards(ctx, cfg, extra, topic, scans); err != nil {
		for part := range scans {
			out[part] = snapshotsRead{err: err}
		}
		return out
	}
	for part, sc := range scans {
		r := out[part]
		r.snaps, r.all = sc.snapshots(), sc.complete()
		out[part] = r
	}
	return out
}

// stateScan is the backwards read of one state partition.
type stateScan struct {
	start  int64 // the partition's first offset
	from   int64 // the window being read starts here
	to     int64 // and ends here (exclusive)
	kept   int
	want   int // snapshots to find before the scan may stop
	latest map[string]storedSnapshot
	seen   map[string]bool // keys whose latest record was read (tombstones too)
}

func newStateScan(start, end int64, kept, want int) *stateScan {
	want = min(max(want, 1), kept)
	sc := &stateScan{start: start, to: end, kept: kept, want: want, latest: map[string]storedSnapshot{}, seen: map[string]bool{}}
	sc.from = max(start, end-int64(want))
	return sc
}

// take reads one record of the window; records are taken in offset order, so a later record
// of a key within the window replaces an earlier one.
func (sc *stateScan) take(r *kgo.Record, window map[string]bool) {
	key := string(r.Key)
	if slot, ok := snapshotSlot(r.Key); (!ok || slot >= sc.kept) && key != legacySnapshotKey {
		return
	}
	if sc.seen[key] {
		return // a later window held its latest record
	}
	window[key] = true
	if len(r.Value) < 8 {
		delete(sc.latest, key)
		return
	}
	sc.latest[key] = storedSnapshot{offset: int64(binary.BigEndian.Uint64(r.Value)), state: r.Value[8:], key: key}
}

// next moves to the window before this one, doubling it; false once want snapshots or every
// kept key were seen, or the partition's start is reached.
func (sc *stateScan) next(window map[string]bool) bool {
	for k := range window {
		sc.seen[k] = true
	}
	if len(sc.latest) >= sc.want || sc.complete() {
		return false
	}
	size := 2 * (sc.to - sc.from)
	sc.to, sc.from = sc.from, max(sc.start, sc.from-size)
	return true
}

// complete says whether no older kept snapshot is left: every kept key was seen, or the
// partition's start was reached.
func (sc *stateScan) complete() bool {
	slotted := 0
	for k := range sc.seen {
		if k != legacySnapshotKey {
			slotted++
		}
	}
	return slotted >= sc.kept || sc.from <= sc.start
}

// snapshots are the latest snapshot of each key read, newest first.
func (sc *stateScan) snapshots() []storedSnapshot {
	out := make([]storedSnapshot, 0, len(sc.latest))
	for _, s := range sc.latest {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b storedSnapshot) int {
		return cmp.Or(cmp.Compare(b.offset, a.offset), strings.Compare(a.key, b.key))
	})
	return out
}

// scanBackwards reads the windows of every scan, all partitions at once with one client per
// round of windows (normally one round), until each is done.
func scanBackwards(ctx context.Context, cfg Config, extra []kgo.Opt, topic string, scans map[int32]*stateScan) error {
	active := map[int32]*stateScan{}
	for part, sc := range scans {
		active[part] = sc
	}
	for len(active) > 0 {
		from := make(map[int32]kgo.Offset, len(active))
		windows := make(map[int32]map[string]bool, len(active))
		reading := map[int32]bool{}
		for part, sc := range active {
			from[part] = kgo.NewOffset().At(sc.from)
			windows[part] = map[string]bool{}
			reading[part] = true
		}
		if err := readWindows(ctx, cfg, extra, topic, from, active, windows, reading); err != nil {
			return err
		}
		for part, sc := range active {
			if !sc.next(windows[part]) {
				delete(active, part)
			}
		}
	}
	return nil
}

// readWindows reads one window of each active scan, starting at from.
func readWindows(ctx context.Context, cfg Config, extra []kgo.Opt, topic string, from map[int32]kgo.Offset,
	active map[int32]*stateScan, windows map[int32]map[string]bool, reading map[int32]bool) error {
	cl, err := newClient(cfg.Dial, extra,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchMaxBytes(maxSnapshotBytes+1<<20),
		kgo.FetchMaxPartitionBytes(maxSnapshotBytes+1<<20),
		// The records are there already; a fetch must not wait for more.
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	for len(reading) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fetches.EachError(func(t string, part int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("read %s[%d]: %w", t, part, err))
		})
		if ferr != nil {
			return ferr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			sc := active[r.Partition]
			if !reading[r.Partition] || r.Offset < sc.from {
				return
			}
			if r.Offset < sc.to {
				sc.take(r, windows[r.Partition])
			}
			// Compaction may have removed the window's last records; a record at or past
			// its end still shows the window is read (the partition's last record stays).
			if r.Offset+1 >= sc.to {
				delete(reading, r.Partition)
			}
		})
	}
	return nil
}
