package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// lowestPort is the bottom of the range freePorts picks from, above the ports services
// commonly listen on.
const lowestPort = 10000

// handedOut holds every port freePorts returned in this process. Servers bind their ports only
// after all of a cluster's nodes are set up, so a port that is free when picked may already
// belong to a node that has not started yet; a port is therefore never handed out twice.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePorts picks n distinct free loopback ports below the kernel's ephemeral range, none of
// them returned before in this process. A server that testenv kills and restarts keeps its
// ports, and while it is down, a port of the ephemeral range can be taken by the local end of
// any outgoing connection or by any listener on port 0, in this test binary or another running
// beside it; the restart then fails with "Address already in use". Below that range only
// another test binary's pick can take it, one chance in twenty thousand.
func freePorts(n int) ([]int, error) {
	lo, hi := lowestPort, ephemeralStart()
	if hi-lo < 1000 {
		return kernelPorts(n)
	}
	return pickPorts(n, lo, hi)
}

// pickPorts picks n distinct ports in [lo, hi) that can be bound and were not handed out
// before. All listeners stay open until every port is known, so that one call cannot return a
// port twice.
func pickPorts(n, lo, hi int) ([]int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	ports := make([]int, 0, n)
	for attempt := 0; len(ports) < n; attempt++ {
		if attempt == 100*n {
			return nil, fmt.Errorf("pick free port: no free port in %d-%d after %d tries", lo, hi-1, attempt)
		}
		p := lo + rand.IntN(hi-lo)
		if slices.Contains(ports, p) || handedOut.ports[p] {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		defer l.Close()
		ports = append(ports, p)
	}
	for _, p := range ports {
		handedOut.ports[p] = true
	}
	return ports, nil
}

// ephemeralStart is the lowest port the kernel hands out for port 0 and outgoing connections,
// or lowestPort where it cannot be read.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lowestPort
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return lowestPort
	}
	start, err := strconv.Atoi(fields[0])
	if err != nil {
		return lowestPort
	}
	return start
}

// kernelPorts asks the kernel for n distinct free loopback ports.
func kernelPorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// busyPortAttempts is how many times retryBusyPorts sets a server up on new ports.
const busyPortAttempts = 3

// retryBusyPorts runs setUpAndStart, which picks a server's ports and starts it on them, again
// while it fails because a port was bound in between by another process, such as a test binary
// running beside this one, which picks its ports on its own. setUpAndStart cleans up after a
// failure itself.
func retryBusyPorts(setUpAndStart func() error) error {
	for attempt := 1; ; attempt++ {
		err := setUpAndStart()
		if err == nil || attempt == busyPortAttempts || !strings.Contains(err.Error(), addressInUse) {
			return err
		}
	}
}

// addressInUse is what a server logs when it cannot bind a port.
const addressInUse = "Address already in use"
