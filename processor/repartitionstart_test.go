package processor

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestARepartitionPartitionStartsWithTheCommittedEpochOnlyUpToTheCommittedOffset(t *testing.T) {
	for _, tt := range []struct {
		name      string
		start     int64
		committed kgo.EpochOffset
		want      kgo.EpochOffset // Offset -2 is the log's start
	}{
		{"a start before the committed offset carries its epoch", 500, kgo.EpochOffset{Epoch: 7, Offset: 900}, kgo.EpochOffset{Epoch: 7, Offset: 500}},
		{"a start at the committed offset carries its epoch", 900, kgo.EpochOffset{Epoch: 7, Offset: 900}, kgo.EpochOffset{Epoch: 7, Offset: 900}},
		{"a start past the committed offset carries none, as a later epoch may have begun", 901, kgo.EpochOffset{Epoch: 7, Offset: 900}, kgo.EpochOffset{Epoch: -1, Offset: 901}},
		{"a commit without an epoch gives none", 500, kgo.EpochOffset{Epoch: -1, Offset: 900}, kgo.EpochOffset{Epoch: -1, Offset: 500}},
		{"nothing committed gives none", 500, kgo.EpochOffset{Epoch: -1, Offset: -1}, kgo.EpochOffset{Epoch: -1, Offset: 500}},
		{"a start at zero is the log's start", 0, kgo.EpochOffset{Epoch: 7, Offset: 900}, kgo.EpochOffset{Epoch: -1, Offset: -2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := repartitionStart(tt.start, tt.committed).EpochOffset(); got != tt.want {
				t.Fatalf("repartitionStart(%d, %+v) = %+v, want %+v", tt.start, tt.committed, got, tt.want)
			}
		})
	}
}
