package processor

import (
	"errors"
	"strings"
	"testing"
)

func TestReady(t *testing.T) {
	tests := []struct {
		name      string
		joined    bool
		waiting   error
		restoring []bool // one worker per entry, with its restoring flag
		want      string // "" for ready
	}{
		{"a member without an assignment is not ready", false, nil, nil, "not assigned partitions yet"},
		{"a member that cannot reach the brokers says so", false, errors.New("dial tcp: connection refused"), nil,
			"waiting for Kafka: dial tcp: connection refused"},
		{"a member rebuilding a partition's state is not ready", true, nil, []bool{false, true}, "restoring the state of raw[1]"},
		{"a member whose partitions are restored is ready", true, nil, []bool{false, false}, ""},
		{"a member that owns no partition after an assignment is ready", true, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Processor{joined: tt.joined, waiting: tt.waiting, workers: map[tp]*worker{}}
			for i, restoring := range tt.restoring {
				w := &worker{}
				w.restoring.Store(restoring)
				p.workers[tp{"raw", int32(i)}] = w
			}
			err := p.Ready()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Ready() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Ready() = %v, want %q", err, tt.want)
			}
		})
	}
}
