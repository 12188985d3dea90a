package partition

import (
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

func TestIdleRawPartitionsStopHoldingTheWatermark(t *testing.T) {
	hour := int64(3600_000)
	raw := func(p int32, wm, offset int64) route.Origin {
		return route.Origin{Topic: "raw", Partition: p, WatermarkMs: wm, Offset: offset}
	}
	idle := func(p int32, wm, offset int64) route.Origin {
		o := raw(p, wm, offset)
		o.Idle = true
		return o
	}
	tests := []struct {
		name  string
		steps []route.Origin
		want  int64
	}{
		{"a partition that never reported holds the watermark", []route.Origin{raw(0, t0, 5)}, 0},
		{"a partition that never received a record stops holding once it is idle",
			[]route.Origin{raw(0, t0, 5), idle(1, 0, -1)}, t0},
		{"an idle partition that had progressed stops holding",
			[]route.Origin{raw(0, t0+2*hour, 5), raw(1, t0, 9), idle(1, t0, 9)}, t0 + 2*hour},
		{"a woken partition holds again, and the watermark does not move back",
			[]route.Origin{raw(0, t0+2*hour, 5), idle(1, 0, -1), raw(1, t0, 0), raw(0, t0+3*hour, 6)}, t0 + 2*hour},
		{"a woken partition that caught up lets the watermark move on",
			[]route.Origin{raw(0, t0+2*hour, 5), idle(1, 0, -1), raw(1, t0+4*hour, 0), raw(0, t0+3*hour, 6)}, t0 + 3*hour},
		{"a late copy of an idle bundle from an old owner does not make a woken partition idle",
			[]route.Origin{raw(0, t0+2*hour, 5), raw(1, t0, 9), raw(1, t0+hour, 12), idle(1, t0, 9), raw(0, t0+3*hour, 6)}, t0 + hour},
		{"a late copy of an older bundle does not wake an idle partition",
			[]route.Origin{raw(0, t0+2*hour, 5), raw(1, t0, 9), idle(1, t0, 9), raw(1, t0, 8), raw(0, t0+3*hour, 6)}, t0 + 3*hour},
		{"with one of two partitions idle the other one's progress counts",
			[]route.Origin{raw(0, t0, 5), raw(1, t0+hour, 9), idle(1, t0+hour, 9)}, t0},
		{"with every partition idle the watermark moves to the furthest",
			[]route.Origin{raw(0, t0, 5), raw(1, t0+hour, 9), idle(0, t0, 5), idle(1, t0+hour, 9)}, t0 + hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(DefaultConfig(), 2)
			var out rows.Set
			for _, o := range tt.steps {
				s.Observe(o, &out)
			}
			if got := s.Gauges().WatermarkMs; got != tt.want {
				t.Fatalf("watermark %d, want %d", got, tt.want)
			}
			// The idle state is part of the snapshot: a restored state moves on as this one does.
			r, err := RestoreSnapshot(s.AppendSnapshot(nil), DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			next := raw(0, t0+10*hour, 100)
			s.Observe(next, &out)
			r.Observe(next, &out)
			if a, b := s.Gauges().WatermarkMs, r.Gauges().WatermarkMs; a != b {
				t.Fatalf("after a restore the watermark moved to %d, without one to %d", b, a)
			}
		})
	}
}

func TestAnIdleBundleClosesSessionsThroughApplyBundle(t *testing.T) {
	s := New(DefaultConfig(), 2)
	var out rows.Set
	var b route.Bundle
	user := msg("m1", t0, event.Actor{Role: event.RoleUser, ID: "u1"}, event.Recipient{Type: event.RecipientUser, ID: "a1"})
	for _, tg := range route.Targets(&user, nil) {
		b.Add(0, tg.Kind, &user)
	}
	if _, _, err := s.ApplyBundle(b.Seal(route.Origin{Topic: "raw", Partition: 0, WatermarkMs: t0, Offset: 0}, nil), &user, &out); err != nil {
		t.Fatal(err)
	}
	later := t0 + 24*3600_000
	if _, _, err := s.ApplyBundle(b.Seal(route.Origin{Topic: "raw", Partition: 0, WatermarkMs: later, Offset: 1}, nil), &user, &out); err != nil {
		t.Fatal(err)
	}
	if s.Gauges().OpenSessions != 1 {
		t.Fatalf("%d open sessions before the silent partition went idle, want 1", s.Gauges().OpenSessions)
	}
	out.Reset()
	if _, _, err := s.ApplyBundle(b.Seal(route.Origin{Topic: "raw", Partition: 1, Offset: -1, Idle: true}, nil), &user, &out); err != nil {
		t.Fatal(err)
	}
	if s.Gauges().OpenSessions != 0 || len(out.Sessions) != 1 || !out.Sessions[0].Closed {
		t.Fatalf("open %d, rows %+v: want the session closed once the silent partition is idle", s.Gauges().OpenSessions, out.Sessions)
	}
}
