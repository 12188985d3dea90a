package testenv

import (
	"errors"
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

func TestAPortIsHandedOutOnceEvenAfterItsListenerIsClosed(t *testing.T) {
	// Four consecutive ports nothing listens on and no pick returned, below the range freePorts
	// uses.
	lo := 0
	for base := 9000; base < lowestPort && lo == 0; base += 4 {
		if allBindable(base, base+4) {
			lo = base
		}
	}
	if lo == 0 {
		t.Fatal("no four consecutive free ports in 9000-9999")
	}
	first, err := pickPorts(2, lo, lo+4)
	if err != nil {
		t.Fatal(err)
	}
	second, err := pickPorts(2, lo, lo+4)
	if err != nil {
		t.Fatalf("the two ports not handed out yet were not picked: %v", err)
	}
	all := slices.Sorted(slices.Values(append(first, second...)))
	if want := []int{lo, lo + 1, lo + 2, lo + 3}; !slices.Equal(all, want) {
		t.Fatalf("two picks of two gave %v and %v, want the four ports %v once each", first, second, want)
	}
	if got, err := pickPorts(1, lo, lo+4); err == nil {
		t.Fatalf("a third pick returned %v, every port of the range was handed out already", got)
	}
}

// allBindable reports whether every port in [lo, hi) can be listened on now and was not handed
// out.
func allBindable(lo, hi int) bool {
	for p := lo; p < hi; p++ {
		handedOut.Lock()
		given := handedOut.ports[p]
		handedOut.Unlock()
		if given {
			return false
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

func TestASetUpIsRetriedOnNewPortsOnlyWhileAPortWasTaken(t *testing.T) {
	busy := errors.New("clickhouse exited before answering /ping\nNet Exception: Address already in use: 127.0.0.1:11302")
	other := errors.New("clickhouse exited before answering /ping\nCannot open file config.xml")
	tests := []struct {
		name      string
		failures  []error
		wantCalls int
		wantErr   error
	}{
		{"a start that succeeds runs once", nil, 1, nil},
		{"a taken port twice, then a start on new ports", []error{busy, busy}, 3, nil},
		{"a port taken on every attempt gives up with the last error", []error{busy, busy, busy, busy}, busyPortAttempts, busy},
		{"any other failure is returned at once", []error{other, busy}, 1, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := retryBusyPorts(func() error {
				calls++
				if calls <= len(tt.failures) {
					return tt.failures[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls || err != tt.wantErr {
				t.Fatalf("%d calls, error %v; want %d calls, error %v", calls, err, tt.wantCalls, tt.wantErr)
			}
		})
	}
}
