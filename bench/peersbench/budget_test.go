package peersbench

import (
	"slices"
	"testing"
)

func TestChatpulsesMemoryLimitIsItsSoftLimitButNeverAboveTheHeapBudget(t *testing.T) {
	for _, c := range []struct {
		name   string
		budget Budget
		want   string
	}{
		{"without a soft limit the heap budget is the limit", Budget{Threads: 2, HeapMiB: 1024}, "GOMEMLIMIT=1024MiB"},
		{"a soft limit below the budget is the limit", Budget{Threads: 2, HeapMiB: 1024, GoSoftLimitMiB: 256}, "GOMEMLIMIT=256MiB"},
		{"a soft limit above the budget gives way to it", Budget{Threads: 2, HeapMiB: 512, GoSoftLimitMiB: 2048}, "GOMEMLIMIT=512MiB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := c.budget.GoEnv()
			if !slices.Contains(env, c.want) || !slices.Contains(env, "GOMAXPROCS=2") {
				t.Errorf("GoEnv() = %v, want %s and GOMAXPROCS=2", env, c.want)
			}
		})
	}
}
