package main

import "time"

// statusDoc is what /status serves as JSON and the page at / shows: counts, offsets and times
// only, never a record's contents or a configuration value other than the group's name.
type statusDoc struct {
	Now         time.Time `json:"now"`
	Group       string    `json:"group,omitempty"`
	MemberID    string    `json:"member_id,omitempty"`
	Generation  int32     `json:"generation,omitempty"`
	Ready       bool      `json:"ready"`
	ReadyReason string    `json:"ready_reason,omitempty"`

	Records             uint64            `json:"records"`
	Events              uint64            `json:"events"`
	DeadLetters         uint64            `json:"dead_letters"`
	DeadLettersByReason map[string]uint64 `json:"dead_letters_by_reason"`
	Restores            uint64            `json:"restores"`
	SnapshotRestores    uint64            `json:"snapshot_restores"`
	RestoreSeconds      float64           `json:"restore_seconds"`

	Raw         []rawPartitionDoc   `json:"raw_partitions"`
	Repartition []statePartitionDoc `json:"repartition_partitions"`
	Sink        sinkDoc             `json:"sink"`
}

// rawPartitionDoc is an owned raw partition. Lag is null until a fetch has returned records.
type rawPartitionDoc struct {
	Topic        string `json:"topic"`
	Partition    int32  `json:"partition"`
	Lag          *int64 `json:"lag"`
	Records      uint64 `json:"records"`
	Decoded      uint64 `json:"decoded"`
	DeadLettered uint64 `json:"dead_letters"`
}

// statePartitionDoc is an owned repartition partition and its state.
type statePartitionDoc struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Lag       *int64 `json:"lag"`
	// Watermark is null until the state has seen a message; TrailsSeconds is now minus it.
	Watermark     *time.Time `json:"watermark"`
	TrailsSeconds *float64   `json:"watermark_trails_seconds"`
	Restoring     bool       `json:"restoring"`
	Messages      int        `json:"state_messages"`
	Pending       int        `json:"state_pending"`
	Sessions      int        `json:"state_sessions"`
	Bytes         int64      `json:"state_bytes_estimate"`
	// RestoredFrom is "snapshot" or "log"; the snapshot fields are set for a snapshot.
	RestoredFrom        string   `json:"restored_from"`
	RestoreSeconds      float64  `json:"restore_seconds"`
	SnapshotOffset      *int64   `json:"snapshot_offset,omitempty"`
	SnapshotBytes       *int     `json:"snapshot_bytes,omitempty"`
	SnapshotLoadSeconds *float64 `json:"snapshot_load_seconds,omitempty"`
}

// sinkDoc is the sink writer's side.
type sinkDoc struct {
	PendingRows float64 `json:"pending_rows"`
	// LastDurable is when rows last became durable in ClickHouse, null before; LatencySeconds
	// is how long those rows took from submit to durable.
	LastDurable    *time.Time `json:"last_durable"`
	LatencySeconds *float64   `json:"latency_seconds"`
	Batches        uint64     `json:"batches_durable"`
}

// build gathers the worker's status at now.
func (w *workerStatus) build(now time.Time) statusDoc {
	doc := statusDoc{Now: now.UTC(), DeadLettersByReason: map[string]uint64{},
		Raw: []rawPartitionDoc{}, Repartition: []statePartitionDoc{}}
	ready := w.ready.err()
	if proc := w.proc.Load(); proc != nil {
		st := proc.Status()
		doc.Group, doc.MemberID, doc.Generation = st.Group, st.MemberID, st.Generation
		doc.Records, doc.Events, doc.DeadLetters = st.Records, st.Events, st.DeadLetters
		for r, n := range st.DeadLettersBy {
			doc.DeadLettersByReason[r] = n
		}
		doc.Restores, doc.SnapshotRestores, doc.RestoreSeconds = st.Restores, st.SnapshotRestores, st.RestoreTime.Seconds()
		for _, p := range st.Partitions {
			var lag *int64
			if p.LagKnown {
				lag = &p.Lag
			}
			if !p.Repartition {
				doc.Raw = append(doc.Raw, rawPartitionDoc{Topic: p.Topic, Partition: p.Partition, Lag: lag,
					Records: p.Records, Decoded: p.Decoded, DeadLettered: p.DeadLettered})
				continue
			}
			d := statePartitionDoc{Topic: p.Topic, Partition: p.Partition, Lag: lag, Restoring: p.Restoring,
				Messages: p.State.Messages, Pending: p.State.Pending, Sessions: p.State.Sessions, Bytes: p.State.Bytes,
				RestoredFrom: "log", RestoreSeconds: p.RestoreTook.Seconds()}
			if p.WatermarkMs > 0 {
				wm := time.UnixMilli(p.WatermarkMs).UTC()
				trails := now.Sub(wm).Seconds()
				d.Watermark, d.TrailsSeconds = &wm, &trails
			}
			if s := p.Snapshot; s != nil {
				load := s.Loading.Seconds()
				d.RestoredFrom, d.SnapshotOffset, d.SnapshotBytes, d.SnapshotLoadSeconds = "snapshot", &s.Offset, &s.Bytes, &load
			}
			doc.Repartition = append(doc.Repartition, d)
		}
	}
	doc.Ready = ready == nil
	if ready != nil {
		doc.ReadyReason = ready.Error()
	}
	s := w.sinkStatus()
	doc.Sink = sinkDoc{PendingRows: s.Pending, Batches: s.Batches}
	if !s.LastDurable.IsZero() {
		at, took := s.LastDurable.UTC(), s.LastLatency.Seconds()
		doc.Sink.LastDurable, doc.Sink.LatencySeconds = &at, &took
	}
	return doc
}
