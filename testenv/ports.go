package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
)

// lowestPort is the bottom of the range freePorts picks from, above the ports services
// commonly listen on.
const lowestPort = 10000

// freePorts picks n distinct free loopback ports below the kernel's ephemeral range. A server
// that testenv kills and restarts keeps its ports, and while it is down, a port of the
// ephemeral range can be taken by the local end of any outgoing connection or by any listener
// on port 0, in this test binary or another running beside it; the restart then fails with
// "Address already in use". Below that range only another pick like this one can take it, one
// chance in twenty thousand. All listeners stay open until every port is known, so that one
// call cannot return a port twice.
func freePorts(n int) ([]int, error) {
	lo, hi := lowestPort, ephemeralStart()
	if hi-lo < 1000 {
		return kernelPorts(n)
	}
	ports := make([]int, 0, n)
	for attempt := 0; len(ports) < n; attempt++ {
		if attempt == 100*n {
			return nil, fmt.Errorf("pick free port: no free port in %d-%d after %d tries", lo, hi-1, attempt)
		}
		p := lo + rand.IntN(hi-lo)
		if slices.Contains(ports, p) {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		defer l.Close()
		ports = append(ports, p)
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
