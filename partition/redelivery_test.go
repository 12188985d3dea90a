package partition

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// hourly is the raw record at offset i of raw partition 0: a user's message i hours after t0,
// each its own session (gap 30 minutes), so that any of them applied behind a watermark hours
// later is late.
func hourly(i int64) event.Event {
	return msg(fmt.Sprintf("m%d", i), t0+i*3600_000, event.Actor{Role: event.RoleUser, ID: "u1"},
		event.Recipient{Type: event.RecipientUser, ID: "a1"})
}

// copyOf is one copy of a bundle for raw partition "raw"/partition: the events of the hourly
// records from..to, the watermark of the record at to, covering the raw offsets up to last.
type copyOf struct {
	partition        int32
	from, to, last   int64
	withoutEventsTil int64 // the records before it routed nothing to this partition
}

func (c copyOf) bundle() []byte {
	var b route.Bundle
	wm := int64(0)
	for i := c.from; i <= c.to; i++ {
		ev := hourly(i)
		wm = ev.AtMs
		if i < c.withoutEventsTil {
			continue
		}
		for _, tg := range route.Targets(&ev, nil) {
			b.Add(i, tg.Kind, &ev)
		}
	}
	return b.Seal(route.Origin{Topic: "raw", Partition: c.partition, WatermarkMs: wm, Offset: c.last}, nil)
}

func TestEveryRawRecordIsAppliedOnceInRawOrder(t *testing.T) {
	tests := []struct {
		name     string
		bundles  []copyOf
		applied  []int // events applied of each bundle; each message has two (message, activity)
		messages []string
	}{
		{"a bundle covering what an earlier bundle of its raw partition covered is skipped",
			[]copyOf{{from: 0, to: 4, last: 4}, {from: 0, to: 4, last: 4}},
			[]int{10, 0}, []string{"m0", "m1", "m2", "m3", "m4"}},
		{"a lost owner's bundle arriving after the new owner's copy changes nothing",
			[]copyOf{{from: 0, to: 9, last: 9}, {from: 0, to: 4, last: 4}},
			[]int{20, 0}, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}},
		{"a lost owner's bundle arriving first leaves the new owner only the records after it",
			[]copyOf{{from: 0, to: 4, last: 4}, {from: 0, to: 9, last: 9}},
			[]int{10, 10}, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}},
		{"overlapping bundles apply only the records after the earlier one",
			[]copyOf{{from: 0, to: 5, last: 5}, {from: 3, to: 9, last: 9}},
			[]int{12, 8}, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}},
		{"a bundle covers the records of its batch that routed nothing to its partition",
			[]copyOf{{from: 0, to: 2, last: 6}, {from: 0, to: 8, last: 8, withoutEventsTil: 3}},
			[]int{6, 4}, []string{"m0", "m1", "m2", "m7", "m8"}},
		{"raw partitions are told apart",
			[]copyOf{{from: 0, to: 4, last: 4}, {partition: 1, from: 5, to: 6, last: 6}},
			[]int{10, 4}, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(DefaultConfig(), 1)
			var out rows.Set
			var ev event.Event
			skippedAll := 0
			for i, c := range tt.bundles {
				applied, skipped, err := s.ApplyBundle(c.bundle(), &ev, &out)
				if err != nil || applied != tt.applied[i] {
					t.Fatalf("bundle %d: applied %d, want %d (err %v)", i, applied, tt.applied[i], err)
				}
				skippedAll += skipped
			}
			var got []string
			for _, m := range out.Messages {
				got = append(got, m.MsgID)
			}
			if !slices.Equal(got, tt.messages) {
				t.Fatalf("message rows %v, want %v", got, tt.messages)
			}
			st := s.Stats()
			if st.Sessions.Late != 0 || st.Join.Duplicates != 0 {
				t.Fatalf("%d late activities and %d duplicate messages in data that arrives in order", st.Sessions.Late, st.Join.Duplicates)
			}
			if st.Redelivered != uint64(skippedAll) {
				t.Fatalf("%d redelivered, want the %d skipped", st.Redelivered, skippedAll)
			}
		})
	}
}

func TestALateOldCopyMovesNothingBack(t *testing.T) {
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	if _, _, err := s.ApplyBundle(copyOf{from: 0, to: 9, last: 9}.bundle(), &ev, &out); err != nil {
		t.Fatal(err)
	}
	before, gauges := s.AppendSnapshot(nil), s.Gauges()
	out.Reset()
	applied, skipped, err := s.ApplyBundle(copyOf{from: 0, to: 4, last: 4}.bundle(), &ev, &out)
	if err != nil || applied != 0 || skipped != 10 || out.Len() != 0 {
		t.Fatalf("applied %d, skipped %d, %d rows, err %v; want everything skipped", applied, skipped, out.Len(), err)
	}
	if s.Gauges() != gauges {
		t.Fatalf("gauges %+v, were %+v", s.Gauges(), gauges)
	}
	// Only the count of redelivered events differs.
	s.redelivered = 0
	if !bytes.Equal(s.AppendSnapshot(nil), before) {
		t.Fatal("the old copy changed the state")
	}
}

func TestWithoutOffsetsAnOldCopyWouldBeLate(t *testing.T) {
	// The same old copy applied event by event, as before raw offsets were tracked, is late:
	// this is what skipping prevents.
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	if _, _, err := s.ApplyBundle(copyOf{from: 0, to: 9, last: 9}.bundle(), &ev, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := route.EachEvent(copyOf{from: 0, to: 4, last: 4}.bundle(), &ev, func(_ int64, k route.Kind, e *event.Event) {
		s.Apply(k, e, &out)
	}); err != nil {
		t.Fatal(err)
	}
	if late := s.Stats().Sessions.Late; late == 0 {
		t.Fatal("no late activity: the scenario does not show what skipping prevents")
	}
}

func TestACorruptBundleIsNotObserved(t *testing.T) {
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	value := copyOf{from: 0, to: 4, last: 4}.bundle()
	applied, _, err := s.ApplyBundle(value[:len(value)-1], &ev, &out)
	if err == nil || applied != 9 {
		t.Fatalf("applied %d, err %v; want the events before the damage and an error", applied, err)
	}
	// The intact copy applies every record again: the damaged one did not count as covering them.
	if applied, _, err := s.ApplyBundle(value, &ev, &out); err != nil || applied != 10 {
		t.Fatalf("applied %d of the intact copy, err %v", applied, err)
	}
	if s.Gauges().WatermarkMs != hourly(4).AtMs {
		t.Fatalf("watermark %d", s.Gauges().WatermarkMs)
	}
}
