package secret

import (
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		name, addr string
		want       string // "" for valid; else a part of the error
	}{
		{"a host and port is valid", "clickhouse:9000", ""},
		{"an IPv6 host and port is valid", "[::1]:9092", ""},
		{"an address without a port is refused", "localhost", `must be host:port, got "localhost"`},
		{"an address without a host is refused", ":9000", "must be host:port"},
		{"a port out of range is refused", "h:70000", "must be host:port"},
		{"a URL with credentials is refused without being shown", "clickhouse://u:pa55@ch:9000/db", "the value is not shown"},
		{"credentials before a host and port are refused without being shown", "pa55@ch:9000", "the value is not shown"},
		{"a password option is refused without being shown", "ch:9000?username=u&password=pa55", "the value is not shown"},
		{"a scheme is refused", "tcp://ch:9000", "must be host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAddr("CHATPULSE_X_ADDR", tt.addr)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckAddr(%q) = %v, want nil", tt.addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "CHATPULSE_X_ADDR: ") {
				t.Fatalf("CheckAddr(%q) = %v, want an error naming the variable with %s", tt.addr, err, tt.want)
			}
			if strings.Contains(err.Error(), "pa55") {
				t.Fatalf("the error prints the password: %v", err)
			}
		})
	}
}
