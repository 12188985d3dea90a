package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	clickHouseDefaultBinary = "/usr/sbin/clickhouse-server"
	clickHouseReadyTimeout  = 30 * time.Second
	clickHouseStopGrace     = 10 * time.Second
	clickHouseLogTail       = 4 << 10
)

// ClickHouse is a clickhouse-server child process with its own temporary directory holding the
// configuration, the data and the server log. Its methods are safe for concurrent use.
type ClickHouse struct {
	server
	bin      string
	tcpPort  int
	httpPort int
	opts     clickHouseOptions
	tlsPort  int // set only with WithTLS
}

// StartClickHouse starts a fresh server on free loopback ports and waits until it answers.
func StartClickHouse(ctx context.Context, log *slog.Logger, opts ...ClickHouseOption) (*ClickHouse, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bin, err := clickHouseBinary()
	if err != nil {
		return nil, err
	}
	var ch *ClickHouse
	err = retryBusyPorts(func() error {
		dir, err := os.MkdirTemp("", "chatpulse-clickhouse-")
		if err != nil {
			return fmt.Errorf("clickhouse temp dir: %w", err)
		}
		ch = newClickHouse(log, bin, dir)
		for _, o := range opts {
			o(&ch.opts)
		}
		if err := ch.setUp(); err != nil {
			os.RemoveAll(dir)
			return err
		}
		if err := ch.start(ctx); err != nil {
			os.RemoveAll(dir)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// newClickHouse is a server that is not set up yet, in dir.
func newClickHouse(log *slog.Logger, bin, dir string) *ClickHouse {
	ch := &ClickHouse{bin: bin}
	ch.server = server{name: "clickhouse", log: log, dir: dir, grace: clickHouseStopGrace, tail: clickHouseLogTail,
		command: ch.command, ready: ch.waitReady}
	return ch
}

// ClickHouseForTest starts a server for one test and closes it when the test ends; a server
// that cannot start fails the test.
func ClickHouseForTest(t T, opts ...ClickHouseOption) *ClickHouse {
	t.Helper()
	ch, err := StartClickHouse(context.Background(), nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ch.Close(); err != nil {
			t.Error(err)
		}
	})
	return ch
}

// MustStartClickHouse starts a server shared by the tests of a package from TestMain and
// returns it with the function that closes it. It panics when the server cannot start, which
// fails the test binary.
func MustStartClickHouse() (*ClickHouse, func()) {
	ch, err := StartClickHouse(context.Background(), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		panic(err)
	}
	return ch, func() {
		if err := ch.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// Addr is the native protocol address, "127.0.0.1:port".
func (c *ClickHouse) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.tcpPort)) }

// HTTPAddr is the HTTP interface address, "127.0.0.1:port".
func (c *ClickHouse) HTTPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.httpPort))
}

func clickHouseBinary() (string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(clickHouseDefaultBinary); err == nil {
		return clickHouseDefaultBinary, nil
	}
	return "", errors.New("clickhouse-server not found on PATH or at " + clickHouseDefaultBinary +
		"; install it with: apt-get install -y clickhouse-server")
}

// setUp picks the ports and writes the configuration once, so that a restart reuses both.
func (c *ClickHouse) setUp() error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	c.tcpPort, c.httpPort = ports[0], ports[1]
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(c.dir, sub), 0o755); err != nil {
			return fmt.Errorf("clickhouse dir: %w", err)
		}
	}
	secure, err := c.secureConfig(ports[2])
	if err != nil {
		return err
	}
	config := strings.NewReplacer("{tcp_port}", strconv.Itoa(c.tcpPort), "{http_port}", strconv.Itoa(c.httpPort),
		"{dir}", c.dir, "{secure}", secure+c.queryLogConfig()+c.workLogConfig()).Replace(clickHouseConfig)
	if err := os.WriteFile(filepath.Join(c.dir, "config.xml"), []byte(config), 0o644); err != nil {
		return fmt.Errorf("write clickhouse config: %w", err)
	}
	users := strings.NewReplacer("{users}", c.usersConfig(), "{profile}", c.workLogProfile()).Replace(clickHouseUsers)
	if err := os.WriteFile(filepath.Join(c.dir, "users.xml"), []byte(users), 0o644); err != nil {
		return fmt.Errorf("write clickhouse users: %w", err)
	}
	return nil
}

// command runs the server on its configuration; it logs to the console, which is server.log.
func (c *ClickHouse) command() *exec.Cmd {
	return exec.Command(c.bin, "--config-file="+filepath.Join(c.dir, "config.xml"))
}

func (c *ClickHouse) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, clickHouseReadyTimeout)
	defer cancel()
	// No keep-alive: the server waits for open HTTP connections when it shuts down.
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + c.HTTPAddr() + "/ping"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ping(ctx, client, url) {
			return nil
		}
		select {
		case <-exited:
			return errors.New("clickhouse exited before answering /ping")
		case <-ctx.Done():
			return fmt.Errorf("clickhouse did not answer /ping: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func ping(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte("Ok."))
}

// clickHouseConfig is the server configuration; {tcp_port}, {http_port} and {dir} are filled in.
// Logging goes to the console, which the launcher sends to server.log. On SIGTERM the server
// waits for open connections: keep_alive_timeout (HTTP) and the profile's poll_interval
// (native, in clickHouseUsers) are short so that a stop takes about a second, not ten.
const clickHouseConfig = `<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <console>1</console>
    </logger>
    <tcp_port>{tcp_port}</tcp_port>
    <http_port>{http_port}</http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{dir}/data/</path>
    <tmp_path>{dir}/tmp/</tmp_path>
    <user_files_path>{dir}/user_files/</user_files_path>
    <format_schema_path>{dir}/format_schemas/</format_schema_path>
    <users_config>{dir}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <keep_alive_timeout>1</keep_alive_timeout>
{secure}</yandex>
`

const clickHouseUsers = `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <poll_interval>1</poll_interval>
{profile}        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
{users}    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`
