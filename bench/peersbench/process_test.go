package peersbench

import (
	"os"
	"testing"
	"time"
)

// TestReadUsageReadsThisProcesssCPUAndMemory reads /proc for this test process after it has
// spent CPU and touched memory, and requires the figures to show both.
func TestReadUsageReadsThisProcesssCPUAndMemory(t *testing.T) {
	before, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU <= before.CPU {
		t.Errorf("CPU %s after spinning, %s before", after.CPU, before.CPU)
	}
	if after.PeakRSS < 64<<20 || after.PeakRSS < after.RSS {
		t.Errorf("peak RSS %d, RSS %d after touching 64 MiB", after.PeakRSS, after.RSS)
	}
	_ = buf[x%len(buf)]
}
