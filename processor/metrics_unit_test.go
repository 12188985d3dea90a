package processor

import (
	"maps"
	"testing"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/partition"
)

func TestRecordLag(t *testing.T) {
	tests := []struct {
		name      string
		end, next int64
		want      int64
		known     bool
	}{
		{"records after the next offset are the lag", 120, 100, 20, true},
		{"a partition processed to its end has no lag", 100, 100, 0, true},
		{"a high watermark older than the processing counts as no lag", 90, 100, 0, true},
		{"the lag is unknown before a fetch has returned records", -1, -1, 0, false},
		{"the lag is unknown while only the high watermark is known", 50, -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := recordLag(tt.end, tt.next)
			if got != tt.want || known != tt.known {
				t.Errorf("recordLag(%d, %d) = %d, %v; want %d, %v", tt.end, tt.next, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestStateBytes(t *testing.T) {
	tests := []struct {
		name   string
		gauges partition.Gauges
		want   int64
	}{
		{"an empty state holds nothing", partition.Gauges{WatermarkMs: 1}, 0},
		{"a million held messages take about 84 MB", partition.Gauges{Messages: 1_000_000}, 84_000_000},
		{"every kind of entry adds its measured size", partition.Gauges{Messages: 10, Early: 2, OpenSessions: 3},
			10*heldMessageBytes + 2*pendingEntryBytes + 3*openSessionBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stateBytes(tt.gauges); got != tt.want {
				t.Errorf("stateBytes(%+v) = %d, want %d", tt.gauges, got, tt.want)
			}
		})
	}
}

func TestFormatCounts(t *testing.T) {
	two := []event.Event{{Kind: event.KindMessage}, {Kind: event.KindReaction}}
	tests := []struct {
		name    string
		format  decode.Format
		events  []event.Event
		records map[TopicFormat]uint64
		byKind  map[TopicFormatKind]uint64
	}{
		{"a decoded record counts under its format with each event's kind", decode.FormatVoipbin, two,
			map[TopicFormat]uint64{{"raw", "voipbin"}: 1},
			map[TopicFormatKind]uint64{{"raw", "voipbin", "message"}: 1, {"raw", "voipbin", "reaction"}: 1}},
		{"a record of no determined format counts as unknown", decode.FormatAuto, nil,
			map[TopicFormat]uint64{{"raw", "unknown"}: 1}, map[TopicFormatKind]uint64{}},
		{"a dead-lettered record of a known format counts without events", decode.FormatChatlayer, nil,
			map[TopicFormat]uint64{{"raw", "chatlayer"}: 1}, map[TopicFormatKind]uint64{}},
		{"a format beyond the known ones counts as unknown", decode.Format(200), two[:1],
			map[TopicFormat]uint64{{"raw", "unknown"}: 1}, map[TopicFormatKind]uint64{{"raw", "unknown", "message"}: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c formatCounts
			c.add(tt.format, tt.events)
			s := newStats()
			s.addFormats("raw", &c)
			if got := s.RecordsByFormat(); !equalMaps(got, tt.records) {
				t.Errorf("records by format %v, want %v", got, tt.records)
			}
			if got := s.EventsByKind(); !equalMaps(got, tt.byKind) {
				t.Errorf("events by kind %v, want %v", got, tt.byKind)
			}
		})
	}
}

func equalMaps[K comparable](a, b map[K]uint64) bool { return maps.Equal(a, b) }

// BenchmarkFormatCountsAdd measures what counting by format adds to each raw record.
func BenchmarkFormatCountsAdd(b *testing.B) {
	b.ReportAllocs()
	evs := []event.Event{{Kind: event.KindMessage}, {Kind: event.KindReaction}}
	var c formatCounts
	for b.Loop() {
		c.add(decode.FormatVoipbin, evs)
	}
}
