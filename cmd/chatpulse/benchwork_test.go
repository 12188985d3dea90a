package main

import (
	"os"
	"testing"
	"time"
)

func TestThreadCPULineListsTheThreadNamesThatUsedCPULargestFirst(t *testing.T) {
	before := map[string]time.Duration{"TCPHandler": time.Second, "BackgrProcPool": 2 * time.Second, "idle": time.Second}
	after := map[string]time.Duration{"TCPHandler": 3 * time.Second, "BackgrProcPool": 2500 * time.Millisecond, "idle": time.Second,
		"SystemLogFlush": time.Second}
	want := "TCPHandler 2.0s, SystemLogFlush 1.0s, BackgrProcPool 0.5s"
	if got := threadCPULine(before, after); got != want {
		t.Fatalf("threadCPULine = %q, want %q", got, want)
	}
}

func TestThreadCPUSumsToTheProcessCPU(t *testing.T) {
	deadline := time.Now().Add(200 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	threads := threadCPU(os.Getpid())
	var sum time.Duration
	for _, d := range threads {
		sum += d
	}
	// Threads that ended took their time with them, and the two readings are not at one instant.
	total := processCPU(os.Getpid())
	if len(threads) == 0 || sum <= 0 || sum > total+50*time.Millisecond {
		t.Fatalf("threads %v sum to %s, the process used %s", threads, sum, total)
	}
}
