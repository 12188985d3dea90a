package gen

import (
	"bytes"
	"cmp"
	"slices"
)

// The stream: every rendered record gets an arrival, which is both its place in record order
// and its Kafka timestamp; sorting by arrival gives the raw topic.

const (
	jitterMs       = 2 * second // an in-order record arrives this soon after its event
	maxEarly       = 2 * hour   // an out-of-order record precedes its message by at most this
	minLate        = 2 * hour
	maxLate        = 16 * hour // with receipt times at most 7 h after the message: within a day
	threeCopyShare = 0.3       // of duplicated records, emitted three times instead of twice
)

type emission struct {
	arrival int64
	seq     int // creation order, breaks ties so the order is total
	rec     Record
}

type stream struct {
	g      rng
	format string
	ems    []emission
	// copyWithin bounds how long after its original an exact copy arrives; 0 lets it arrive
	// anywhere up to the end of the stream.
	copyWithin int64
}

func newStream(g rng, format string, p profile) *stream {
	s := &stream{g: g, format: format}
	if p.engage {
		s.copyWithin = resendWithin
	}
	return s
}

func (s *stream) emit(arrival int64, value []byte) {
	s.ems = append(s.ems, emission{
		arrival: arrival,
		seq:     len(s.ems),
		rec:     Record{Key: s.g.bytes(16), Value: value, TimestampMs: arrival, Format: s.format},
	})
}

// finish mixes in poison records, rendered by bad for the i-th one stamped at ms, and exact
// duplicates of the valid records, then sorts the stream into topic order. It returns how
// many poison records and extra copies it added.
func (s *stream) finish(cfg Config, bad func(i int, ms int64) []byte) (poison, dups int) {
	g := s.g
	valid := len(s.ems)
	lo, hi := s.ems[0].arrival, s.ems[0].arrival
	for _, e := range s.ems {
		lo, hi = min(lo, e.arrival), max(hi, e.arrival)
	}
	poison = int(float64(valid)*cfg.BadRate + 0.5)
	for i := range poison {
		ms := g.between(max(lo, cfg.Start.UnixMilli()), hi)
		s.emit(ms, bad(i, ms))
	}
	for i := range valid {
		if !g.chance(cfg.DuplicateRate) {
			continue
		}
		copies := 1
		if g.chance(threeCopyShare) {
			copies = 2
		}
		for range copies {
			orig := s.ems[i]
			dup := orig.rec
			dup.Key, dup.Value = bytes.Clone(orig.rec.Key), bytes.Clone(orig.rec.Value)
			last := hi
			if s.copyWithin > 0 {
				last = min(hi, orig.arrival+s.copyWithin)
			}
			s.ems = append(s.ems, emission{arrival: g.between(orig.arrival, last), seq: len(s.ems), rec: dup})
			dups++
		}
	}
	slices.SortFunc(s.ems, func(a, b emission) int {
		return cmp.Or(cmp.Compare(a.arrival, b.arrival), cmp.Compare(a.seq, b.seq))
	})
	return poison, dups
}

// records renders the model, mixes in poison and duplicates and returns the topic order.
func (w *world) records(g rng, cfg Config) ([]emission, Stats, int) {
	s := newStream(g, FormatCausalFoundry, w.prof)
	var st Stats
	for _, e := range w.groupEvents {
		s.emit(e.at, renderGroupEvent(g, e))
	}
	st.GroupEvents = len(w.groupEvents)
	for _, m := range w.msgs {
		m.arrival = messageArrival(g, m)
		s.emit(m.arrival, renderMessage(g, m))
		st.Messages++
		if m.parent != nil {
			st.Replies++
			st.count(m.place)
		}
		for _, r := range m.receipts {
			s.emit(dependentArrival(g, m.arrival, r.at.ms, r.place), renderReceipt(g, r))
			st.Receipts++
			st.count(r.place)
			if r.skewed {
				st.Skewed++
			}
		}
		for _, r := range m.reactions {
			s.emit(dependentArrival(g, m.arrival, r.at.ms, r.place), renderReaction(g, r))
			st.Reactions++
			st.count(r.place)
		}
	}
	for _, r := range w.orphans {
		s.emit(r.at.ms+g.between(0, jitterMs), renderReceipt(g, r))
	}
	st.OrphanReceipts = len(w.orphans)

	poison, dups := s.finish(cfg, func(i int, ms int64) []byte {
		return renderPoison(g, w, poisonKind(i%int(poisonKinds)), ms)
	})
	st.Duplicates = dups
	return s.ems, st, poison
}

// messageArrival places a message shortly after its time, or a reply before its parent when
// the model says so.
func messageArrival(g rng, m *message) int64 {
	if m.parent == nil {
		return m.at.ms + g.between(0, jitterMs)
	}
	return dependentArrival(g, m.parent.arrival, m.at.ms, m.place)
}

// dependentArrival places an event relative to the arrival of the message it refers to.
func dependentArrival(g rng, msgArrival, at int64, p placement) int64 {
	switch p {
	case outOfOrder:
		return msgArrival - g.between(second, maxEarly)
	case late:
		return max(at, msgArrival) + g.between(minLate, maxLate)
	}
	return max(at, msgArrival) + g.between(1, jitterMs)
}

func (st *Stats) count(p placement) {
	switch p {
	case outOfOrder:
		st.OutOfOrder++
	case late:
		st.Late++
	}
}
