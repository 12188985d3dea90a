package testenv

import (
	"net"
	"slices"
	"strconv"
	"testing"
)

func TestFreePortsAreDistinctBindableAndOutsideTheEphemeralRange(t *testing.T) {
	start := ephemeralStart()
	below := start-lowestPort >= 1000 // else freePorts takes the kernel's ports
	ports, err := freePorts(12)
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(ports)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != 12 {
		t.Fatalf("ports repeat: %v", ports)
	}
	for _, p := range ports {
		if below && (p < lowestPort || p >= start) {
			t.Errorf("port %d is outside %d-%d", p, lowestPort, start-1)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d cannot be bound after freePorts returned: %v", p, err)
			continue
		}
		l.Close()
	}
}
