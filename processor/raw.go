package processor

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/pseudonym"
	"github.com/chatpulse/chatpulse/route"
)

// FormatHeader, when present on a raw record, names its format and overrides the topic's.
const FormatHeader = "chatpulse-format"

// rawTask decodes a raw partition's records, routes every event to the repartition partition
// that owns its key, and dead-letters what cannot be decoded. Events of one batch bound for the
// same partition travel as one bundle record. The raw offset is committed only after everything
// a batch produced is acknowledged, so a crash repeats work but loses none.
type rawTask struct {
	w       *worker
	format  decode.Format
	events  []event.Event
	targets []route.Target
	bundles []route.Bundle // by repartition partition
	full    []int32        // partitions whose bundle reached its size during the current record
	records []kgo.Record
	spare   [][]byte     // bundle buffers to reuse once the batch is acknowledged
	reasons []string     // dead-letter reasons of the batch, counted once it is committed
	counts  formatCounts // records and events of the batch by format, counted once committed
	// watermark is the highest message time decoded from this raw partition; every batch tells
	// every repartition partition about it, so that their states know how far input has got.
	// Receipts, reactions and the like do not move it: a receipt may arrive before its message
	// while stamped hours after it, and would make the partition's later messages late.
	watermark int64
	logs      limiter
	// pseudonyms replaces user ids before anything is routed; nil when pseudonymization is off.
	pseudonyms *pseudonym.Pseudonymizer
	idle       idleness
}

func newRawTask(w *worker, f decode.Format) *rawTask {
	t := &rawTask{w: w, format: f, bundles: make([]route.Bundle, w.p.cfg.Partitions), idle: newIdleness()}
	// New has validated the key, so it reads without error here.
	if key, _ := w.p.cfg.pseudonymizeKey(); !key.IsZero() {
		t.pseudonyms = pseudonym.New([]byte(key.Reveal()))
	}
	return t
}

func (t *rawTask) process(recs []*kgo.Record) {
	t.records, t.reasons, t.counts = t.records[:0], t.reasons[:0], formatCounts{}
	var events, routed, dead int
	for _, rec := range recs {
		n, ok := t.route(rec)
		events += n
		if !ok {
			dead++
		}
	}
	// Every bundle covers the batch up to its last record, even one that routed nothing to its
	// partition, so that the partition knows every record up to it as applied.
	last := recs[len(recs)-1].Offset
	for p := range t.bundles {
		routed += t.bundles[p].Count()
		t.seal(int32(p), last)
	}
	t.events = t.events[:0]
	out := make([]*kgo.Record, len(t.records))
	for i := range t.records {
		out[i] = &t.records[i]
	}
	produced := t.w.retry("produce routed events", func(ctx context.Context) error {
		return t.w.cl.ProduceSync(ctx, out...).FirstErr()
	})
	for i := range t.records {
		if t.records[i].Topic != t.w.p.cfg.DLQTopic {
			t.spare = append(t.spare, t.records[i].Value)
		}
	}
	if !produced {
		return
	}
	t.w.mark(recs[len(recs)-1])
	t.idle.routed(recs[len(recs)-1].Offset)
	s := t.w.p.stats
	s.addRaw(TopicPartition{t.w.topic, t.w.partition}, len(recs), dead)
	s.addDeadLetters(t.reasons)
	s.addFormats(t.w.topic, &t.counts)
	s.Events.Add(uint64(events))
	s.Routed.Add(uint64(routed))
}

// route decodes one raw record and adds its events to the bundles of their partitions, or
// queues its dead letter; it returns the number of events and whether the record decoded.
func (t *rawTask) route(rec *kgo.Record) (int, bool) {
	format, err := t.recordFormat(rec)
	// actual is the format the record is decoded as; FormatAuto when none could be determined,
	// and then Decode reports why.
	actual := decode.FormatAuto
	if err == nil {
		actual = format
		if format == decode.FormatAuto && len(rec.Value) <= decode.MaxRecordBytes {
			actual, _ = decode.Detect(rec.Value)
		}
		t.events, err = decode.Decode(actual, decode.Record{Value: rec.Value, TimestampMs: rec.Timestamp.UnixMilli()}, t.events[:0])
	}
	if err != nil {
		t.counts.add(actual, nil)
		t.deadLetter(rec, format, err)
		return 0, false
	}
	t.counts.add(actual, t.events)
	n := t.w.p.cfg.Partitions
	for i := range t.events {
		ev := &t.events[i]
		if t.pseudonyms != nil {
			t.pseudonyms.Event(ev)
		}
		if ev.Kind == event.KindMessage {
			t.watermark = max(t.watermark, ev.AtMs)
		}
		t.targets = route.Targets(ev, t.targets[:0])
		for _, tg := range t.targets {
			p := tg.Key.Partition(n)
			before := t.bundles[p].Len()
			t.bundles[p].Add(rec.Offset, tg.Kind, ev)
			if limit := t.w.p.limits.bundle; before < limit && t.bundles[p].Len() >= limit {
				t.full = append(t.full, p)
			}
		}
	}
	// A full bundle is closed only after the whole record: a partition skips or applies the
	// events of a raw record together, by its offset, so they must not be split over bundles.
	for _, p := range t.full {
		t.seal(p, rec.Offset)
	}
	t.full = t.full[:0]
	return len(t.events), true
}

// seal turns partition p's bundle, covering the raw records up to the one at last, into a
// record to produce. A bundle without events is sent too, once this partition has decoded
// anything: it carries the raw partition's progress.
func (t *rawTask) seal(p int32, last int64) {
	if t.bundles[p].Count() == 0 && t.watermark == 0 {
		return
	}
	var buf []byte
	if n := len(t.spare); n > 0 {
		buf, t.spare = t.spare[n-1], t.spare[:n-1]
	}
	origin := route.Origin{Topic: t.w.topic, Partition: t.w.partition, WatermarkMs: t.watermark, Offset: last}
	t.records = append(t.records, kgo.Record{
		Topic:     t.w.p.cfg.RepartitionTopic(),
		Partition: p,
		Value:     t.bundles[p].Seal(origin, buf),
	})
}

func (t *rawTask) recordFormat(rec *kgo.Record) (decode.Format, error) {
	for _, h := range rec.Headers {
		if h.Key == FormatHeader {
			f, err := decode.ParseFormat(string(h.Value))
			if err != nil {
				return t.format, &decode.Error{Reason: decode.ReasonUnknownFormat, Err: err}
			}
			return f, nil
		}
	}
	return t.format, nil
}

// Dead-letter headers; the original record's headers come first, unchanged.
const (
	HeaderReason    = "chatpulse.reason"
	HeaderError     = "chatpulse.error"
	HeaderTopic     = "chatpulse.source.topic"
	HeaderPartition = "chatpulse.source.partition"
	HeaderOffset    = "chatpulse.source.offset"
	HeaderFormat    = "chatpulse.format"
	// HeaderTruncated holds the original value's size when the dead letter keeps only its start.
	HeaderTruncated = "chatpulse.truncated"
)

// maxDeadLetterValue keeps a dead letter below the 1 MiB record limit brokers use by default
// (limits.deadLetter lowers it for a dead-letter topic that accepts less):
// a poison record larger than that could never be written, and retrying it would stall its
// partition. Larger values keep their first maxDeadLetterValue bytes.
const maxDeadLetterValue = 900 << 10

func (t *rawTask) deadLetter(rec *kgo.Record, format decode.Format, err error) {
	reason := classify(err)
	t.reasons = append(t.reasons, reason)
	t.records = append(t.records, dlqRecord(t.w.p.cfg, t.w.p.limits.deadLetter, rec, format.String(), reason, err))
	t.logs.do(func(suppressed int) {
		t.w.log.Warn("dead-lettered record", "offset", rec.Offset, "reason", reason, "err", err, "suppressed", suppressed)
	})
}

func dlqRecord(cfg Config, maxValue int, rec *kgo.Record, format, reason string, err error) kgo.Record {
	headers := make([]kgo.RecordHeader, 0, len(rec.Headers)+7)
	headers = append(headers, rec.Headers...)
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderReason, Value: []byte(reason)},
		kgo.RecordHeader{Key: HeaderError, Value: []byte(err.Error())},
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(rec.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: strconv.AppendInt(nil, int64(rec.Partition), 10)},
		kgo.RecordHeader{Key: HeaderOffset, Value: strconv.AppendInt(nil, rec.Offset, 10)},
		kgo.RecordHeader{Key: HeaderFormat, Value: []byte(format)},
	)
	value := rec.Value
	if len(value) > maxValue {
		headers = append(headers, kgo.RecordHeader{Key: HeaderTruncated, Value: strconv.AppendInt(nil, int64(len(value)), 10)})
		value = value[:maxValue]
	}
	return kgo.Record{
		Topic:     cfg.DLQTopic,
		Partition: rec.Partition % cfg.Partitions,
		Key:       rec.Key,
		Value:     value,
		Headers:   headers,
		Timestamp: rec.Timestamp,
	}
}
