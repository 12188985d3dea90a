package sink

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/chatpulse/chatpulse/secret"
)

func TestDefaultConfigMatchesTheDefaultTags(t *testing.T) {
	for _, key := range []string{"CLICKHOUSE_ADDR", "CLICKHOUSE_DATABASE", "CLICKHOUSE_USER",
		"CLICKHOUSE_PASSWORD", "FLUSH_INTERVAL", "FLUSH_IDLE", "FLUSH_ROWS", "SINK_MAX_PENDING_ROWS", "CLICKHOUSE_DIAL_TIMEOUT"} {
		t.Setenv("CHATPULSE_"+key, "")
		os.Unsetenv("CHATPULSE_" + key)
	}
	var got Config
	if err := envconfig.Process("CHATPULSE", &got); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Fatalf("envconfig defaults %+v, DefaultConfig %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" when valid
	}{
		{"the defaults are valid", func(*Config) {}, ""},
		{"an address without a port is rejected", func(c *Config) { c.Addr = "localhost" }, "CHATPULSE_CLICKHOUSE_ADDR: must be host:port"},
		{"an address with a port out of range is rejected", func(c *Config) { c.Addr = "h:70000" }, "CHATPULSE_CLICKHOUSE_ADDR: must be host:port"},
		{"an address without a host is rejected", func(c *Config) { c.Addr = ":9000" }, "CHATPULSE_CLICKHOUSE_ADDR: must be host:port"},
		{"a database name that could inject SQL is rejected", func(c *Config) { c.Database = "x; DROP TABLE y" }, "CHATPULSE_CLICKHOUSE_DATABASE: must match"},
		{"a database name starting with a digit is rejected", func(c *Config) { c.Database = "1db" }, "CHATPULSE_CLICKHOUSE_DATABASE: must match"},
		{"an empty user is rejected", func(c *Config) { c.User = "" }, "CHATPULSE_CLICKHOUSE_USER: must not be empty"},
		{"a zero flush interval is rejected", func(c *Config) { c.FlushInterval = 0 }, "CHATPULSE_FLUSH_INTERVAL: must be positive"},
		{"a negative idle flush delay is rejected", func(c *Config) { c.FlushIdle = -time.Millisecond }, "CHATPULSE_FLUSH_IDLE: must not be negative"},
		{"an idle flush delay of zero turns it off and is accepted", func(c *Config) { c.FlushIdle = 0 }, ""},
		{"a negative flush row count is rejected", func(c *Config) { c.FlushRows = -1 }, "CHATPULSE_FLUSH_ROWS: must be positive"},
		{"a pending bound below the flush size is rejected", func(c *Config) { c.MaxPendingRows = c.FlushRows - 1 }, "CHATPULSE_SINK_MAX_PENDING_ROWS: must be at least CHATPULSE_FLUSH_ROWS"},
		{"a zero dial timeout is rejected", func(c *Config) { c.DialTimeout = 0 }, "CHATPULSE_CLICKHOUSE_DIAL_TIMEOUT: must be positive"},
		{"an IPv6 address is accepted", func(c *Config) { c.Addr = "[::1]:9000" }, ""},
		{"a password is allowed", func(c *Config) { c.Password = secret.New("secret") }, ""},
		{"a pending bound equal to the flush size is accepted", func(c *Config) { c.FlushRows, c.MaxPendingRows, c.FlushInterval = 10, 10, time.Millisecond }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConfigValidateNeverShowsThePassword(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Password = secret.New("hunter2-secret")
	cfg.Addr = "bad"
	cfg.User = ""
	err := cfg.Validate()
	if err == nil || strings.Contains(err.Error(), cfg.Password.Reveal()) {
		t.Fatalf("error %v", err)
	}
}
