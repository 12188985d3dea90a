package secret

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// CheckAddr checks that addr is a plain host:port, as the variable name holds it. People paste
// connection URLs such as clickhouse://user:password@host:9000 or host:9000?password=... into
// address variables; such an address is refused without being printed, since it may hold a
// password.
func CheckAddr(name, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	ok := err == nil && host != "" && !strings.ContainsAny(host, "@/ ")
	if ok {
		p, err := strconv.Atoi(port)
		ok = err == nil && p > 0 && p < 65536
	}
	switch {
	case ok:
		return nil
	case strings.ContainsAny(addr, "@?") || strings.Contains(addr, "://"):
		return fmt.Errorf("%s: must be host:port without a scheme, credentials or options (the value is not shown: it may hold a password)", name)
	}
	return fmt.Errorf("%s: must be host:port, got %q", name, addr)
}
