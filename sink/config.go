package sink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/chatpulse/chatpulse/secret"
	"github.com/chatpulse/chatpulse/tlsconf"
)

// Config says where ClickHouse is and how the writer batches. The envconfig keys are read with
// the CHATPULSE_ prefix.
type Config struct {
	Addr          string        `envconfig:"CLICKHOUSE_ADDR" default:"127.0.0.1:9000"`
	Database      string        `envconfig:"CLICKHOUSE_DATABASE" default:"chatpulse"`
	User          string        `envconfig:"CLICKHOUSE_USER" default:"default"`
	Password      secret.Value  `envconfig:"CLICKHOUSE_PASSWORD"`
	PasswordFile  secret.File   `envconfig:"CLICKHOUSE_PASSWORD_FILE"`
	FlushInterval time.Duration `envconfig:"FLUSH_INTERVAL" default:"1s"`
	FlushRows     int           `envconfig:"FLUSH_ROWS" default:"50000"`
	// FlushIdle is how long no submission may arrive before the writer flushes what waits
	// without waiting out FlushInterval: the input has gone quiet, so nothing more will join
	// the batch. It applies only once the last insert is FlushInterval old, so inserts are
	// never more frequent than interval batching makes them; 0 turns it off, and so does a value
	// of FlushInterval or more.
	FlushIdle      time.Duration `envconfig:"FLUSH_IDLE" default:"20ms"`
	MaxPendingRows int           `envconfig:"SINK_MAX_PENDING_ROWS" default:"100000"`
	DialTimeout    time.Duration `envconfig:"CLICKHOUSE_DIAL_TIMEOUT" default:"5s"`
	// Cluster, when set, is the name of a cluster in the servers' remote_servers: migrations
	// create the sharded, replicated schema of docs/cluster.md on it. Empty is one server.
	Cluster string `envconfig:"CLICKHOUSE_CLUSTER"`
	// TLS connects over the native protocol's TLS port (tcp_port_secure, 9440 by default).
	TLS                   bool   `envconfig:"CLICKHOUSE_TLS"`
	TLSCAFile             string `envconfig:"CLICKHOUSE_TLS_CA_FILE"`
	TLSCertFile           string `envconfig:"CLICKHOUSE_TLS_CERT_FILE"`
	TLSKeyFile            string `envconfig:"CLICKHOUSE_TLS_KEY_FILE"`
	TLSServerName         string `envconfig:"CLICKHOUSE_TLS_SERVER_NAME"`
	TLSInsecureSkipVerify bool   `envconfig:"CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY"`
}

var clickHouseTLSVars = tlsconf.VarsFor("CHATPULSE_CLICKHOUSE_TLS")

func (c Config) tlsConfig() (*tls.Config, error) {
	return tlsconf.Settings{
		Enabled: c.TLS, CAFile: c.TLSCAFile, CertFile: c.TLSCertFile, KeyFile: c.TLSKeyFile,
		ServerName: c.TLSServerName, InsecureSkipVerify: c.TLSInsecureSkipVerify,
	}.Config(clickHouseTLSVars)
}

func (c Config) password() (secret.Value, error) {
	return secret.Pick("CHATPULSE_CLICKHOUSE_PASSWORD", c.Password, "CHATPULSE_CLICKHOUSE_PASSWORD_FILE", c.PasswordFile)
}

// DefaultConfig returns the values of the default tags.
func DefaultConfig() Config {
	return Config{
		Addr:           "127.0.0.1:9000",
		Database:       "chatpulse",
		User:           "default",
		FlushInterval:  time.Second,
		FlushRows:      50000,
		FlushIdle:      20 * time.Millisecond,
		MaxPendingRows: 100_000,
		DialTimeout:    5 * time.Second,
	}
}

// identifier is what a database or view name must look like: it is spliced into SQL unquoted.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports every invalid field, each named by its full environment variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("CHATPULSE_%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if err := secret.CheckAddr("CHATPULSE_CLICKHOUSE_ADDR", c.Addr); err != nil {
		errs = append(errs, err)
	}
	if !identifier.MatchString(c.Database) {
		bad("CLICKHOUSE_DATABASE", "must match %s, got %q", identifier, c.Database)
	}
	if c.Cluster != "" && !identifier.MatchString(c.Cluster) {
		bad("CLICKHOUSE_CLUSTER", "must be empty or match %s, got %q", identifier, c.Cluster)
	}
	if c.User == "" {
		bad("CLICKHOUSE_USER", "must not be empty")
	}
	if c.FlushInterval <= 0 {
		bad("FLUSH_INTERVAL", "must be positive, got %s", c.FlushInterval)
	}
	if c.FlushIdle < 0 {
		bad("FLUSH_IDLE", "must not be negative (0 turns it off), got %s", c.FlushIdle)
	}
	if c.FlushRows <= 0 {
		bad("FLUSH_ROWS", "must be positive, got %d", c.FlushRows)
	}
	if c.MaxPendingRows < c.FlushRows {
		bad("SINK_MAX_PENDING_ROWS", "must be at least CHATPULSE_FLUSH_ROWS (%d), got %d", c.FlushRows, c.MaxPendingRows)
	}
	if c.DialTimeout <= 0 {
		bad("CLICKHOUSE_DIAL_TIMEOUT", "must be positive, got %s", c.DialTimeout)
	}
	if _, err := c.password(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.tlsConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
