package processor

import (
	"errors"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
)

// Stats counts what this member did; partition workers add to it after each batch.
type Stats struct {
	Records          atomic.Uint64 // raw records routed or dead-lettered, as the brokers acknowledged
	Events           atomic.Uint64 // canonical events decoded from them
	Routed           atomic.Uint64 // repartition records produced
	DeadLettered     atomic.Uint64
	Applied          atomic.Uint64 // repartition records applied to state and written
	Replayed         atomic.Uint64 // repartition records replayed to rebuild state
	Messages         atomic.Uint64
	Duplicates       atomic.Uint64
	Joined           atomic.Uint64
	Held             atomic.Uint64
	Expired          atomic.Uint64
	NegativeLatency  atomic.Uint64
	LateActivity     atomic.Uint64 // session activity that arrived after its session could change
	Redelivered      atomic.Uint64 // routed events skipped: another copy of their raw record was applied
	Restores         atomic.Uint64 // partitions whose state was rebuilt after an assignment
	SnapshotRestores atomic.Uint64 // of those, how many started from a snapshot
	RestoreNanos     atomic.Uint64 // time spent rebuilding state
	Snapshots        atomic.Uint64 // snapshots written
	Superseded       atomic.Uint64 // held messages replaced by a conflicting copy that ranks lower
	IdleMarks        atomic.Uint64 // times a raw partition was found idle and stopped holding the watermark
	Purged           atomic.Uint64 // repartition records deleted below what any restore needs
	// IncompleteRestores counts partitions rebuilt without a usable snapshot from a purged log.
	IncompleteRestores atomic.Uint64

	mu       sync.Mutex
	byReason map[string]uint64
	raw      map[TopicPartition]RawCounts
	byFormat map[TopicFormat]uint64
	byKind   map[TopicFormatKind]uint64
}

// TopicFormat names the raw records of one topic in one format. Format is the record's format:
// the topic's, the header's override or the detected one, and "unknown" when none could be
// determined.
type TopicFormat struct {
	Topic, Format string
}

// TopicFormatKind names the events of one kind decoded from records of one topic and format.
type TopicFormatKind struct {
	Topic, Format, Kind string
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// RawCounts accounts for the records of one raw partition that this member processed: every
// one was either decoded or dead-lettered.
type RawCounts struct {
	Records, Decoded, DeadLettered uint64
}

func newStats() *Stats {
	return &Stats{byReason: make(map[string]uint64), raw: make(map[TopicPartition]RawCounts),
		byFormat: make(map[TopicFormat]uint64), byKind: make(map[TopicFormatKind]uint64)}
}

// RecordsByFormat returns the processed raw records per topic and format.
func (s *Stats) RecordsByFormat() map[TopicFormat]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byFormat)
}

// EventsByKind returns the events decoded from processed raw records per topic, format and kind.
func (s *Stats) EventsByKind() map[TopicFormatKind]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byKind)
}

// addFormats counts a processed batch of topic by format and event kind.
func (s *Stats) addFormats(topic string, c *formatCounts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for f := range c.records {
		if c.records[f] == 0 {
			continue
		}
		format := formatLabel(decode.Format(f))
		s.byFormat[TopicFormat{topic, format}] += c.records[f]
		for k, n := range c.events[f] {
			if n > 0 {
				s.byKind[TopicFormatKind{topic, format, event.Kind(k).String()}] += n
			}
		}
	}
}

// RawPartitions returns the per-partition accounting of raw records.
func (s *Stats) RawPartitions() map[TopicPartition]RawCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[TopicPartition]RawCounts, len(s.raw))
	for k, v := range s.raw {
		m[k] = v
	}
	return m
}

// addRaw counts a processed batch of a raw partition: routed, acknowledged and marked for commit.
func (s *Stats) addRaw(tp TopicPartition, records, dead int) {
	s.Records.Add(uint64(records))
	s.mu.Lock()
	c := s.raw[tp]
	c.Records += uint64(records)
	c.Decoded += uint64(records - dead)
	c.DeadLettered += uint64(dead)
	s.raw[tp] = c
	s.mu.Unlock()
}

// DeadLetteredBy returns the dead-letter counts per reason.
func (s *Stats) DeadLetteredBy() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]uint64, len(s.byReason))
	for k, v := range s.byReason {
		m[k] = v
	}
	return m
}

// ReasonInternalCorrupt is the dead-letter reason of a repartition record that cannot be read.
const ReasonInternalCorrupt = "internal_corrupt"

// classify returns the dead-letter reason of err. Every error that reaches a dead letter is
// poison: retrying the same bytes can never succeed.
func classify(err error) string {
	if errors.Is(err, route.ErrCorrupt) {
		return ReasonInternalCorrupt
	}
	if reason := decode.ReasonOf(err); reason != "" {
		return string(reason)
	}
	return "unclassified"
}

// addDeadLetters counts written dead letters by reason.
func (s *Stats) addDeadLetters(reasons []string) {
	if len(reasons) == 0 {
		return
	}
	s.DeadLettered.Add(uint64(len(reasons)))
	s.mu.Lock()
	for _, r := range reasons {
		s.byReason[r]++
	}
	s.mu.Unlock()
}
