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
	"sync"
	"syscall"
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
	log      *slog.Logger
	bin      string
	dir      string
	tcpPort  int
	httpPort int
	opts     clickHouseOptions
	tlsPort  int // set only with WithTLS

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	closed bool
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
	dir, err := os.MkdirTemp("", "chatpulse-clickhouse-")
	if err != nil {
		return nil, fmt.Errorf("clickhouse temp dir: %w", err)
	}
	ch := &ClickHouse{log: log, bin: bin, dir: dir}
	for _, o := range opts {
		o(&ch.opts)
	}
	if err := ch.setUp(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := ch.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return ch, nil
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

// Dir is the server's temporary directory: configuration, data and server.log.
func (c *ClickHouse) Dir() string { return c.dir }

// Stop asks the server to shut down and kills it when it has not exited after 10 s.
func (c *ClickHouse) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(syscall.SIGTERM)
}

// Kill ends the server at once with SIGKILL, as a crash would.
func (c *ClickHouse) Kill() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(syscall.SIGKILL)
}

// Restart stops the server if it runs and starts it again on the same ports with the same data.
func (c *ClickHouse) Restart(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("restart clickhouse: closed")
	}
	if err := c.stopLocked(syscall.SIGTERM); err != nil {
		return err
	}
	return c.startLocked(ctx)
}

// Close stops the server and removes its directory. Closing twice is a no-op.
func (c *ClickHouse) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	stopErr := c.stopLocked(syscall.SIGTERM)
	if err := os.RemoveAll(c.dir); err != nil {
		return errors.Join(stopErr, fmt.Errorf("remove clickhouse dir: %w", err))
	}
	return stopErr
}

func (c *ClickHouse) start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked(ctx)
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
		"{dir}", c.dir, "{secure}", secure+c.queryLogConfig()).Replace(clickHouseConfig)
	if err := os.WriteFile(filepath.Join(c.dir, "config.xml"), []byte(config), 0o644); err != nil {
		return fmt.Errorf("write clickhouse config: %w", err)
	}
	users := strings.Replace(clickHouseUsers, "{users}", c.usersConfig(), 1)
	if err := os.WriteFile(filepath.Join(c.dir, "users.xml"), []byte(users), 0o644); err != nil {
		return fmt.Errorf("write clickhouse users: %w", err)
	}
	return nil
}

// freePorts asks the kernel for n distinct free loopback ports. All listeners stay open until
// every port is known so that the kernel cannot hand the same port out twice.
func freePorts(n int) ([]int, error) {
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

func (c *ClickHouse) logPath() string { return filepath.Join(c.dir, "server.log") }

func (c *ClickHouse) startLocked(ctx context.Context) error {
	logFile, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("clickhouse log: %w", err)
	}
	cmd := exec.Command(c.bin, "--config-file="+filepath.Join(c.dir, "config.xml"))
	cmd.Dir = c.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Its own process group lets Stop and Kill reach every process the server forks; the parent
	// death signal ends the server when the test binary itself is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start clickhouse: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	c.cmd, c.exited = cmd, exited
	c.log.Info("clickhouse starting", "pid", cmd.Process.Pid, "tcp", c.Addr(), "http", c.HTTPAddr(), "dir", c.dir)
	if err := c.waitReady(ctx, exited); err != nil {
		_ = c.stopLocked(syscall.SIGKILL)
		return fmt.Errorf("%w\nserver log tail:\n%s", err, c.logTail())
	}
	c.log.Info("clickhouse ready", "tcp", c.Addr())
	return nil
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

// stopLocked signals the process group and waits for the server to exit; SIGTERM escalates to
// SIGKILL after the grace period. A server that is not running is already stopped.
func (c *ClickHouse) stopLocked(sig syscall.Signal) error {
	if c.cmd == nil {
		return nil
	}
	pid, exited := c.cmd.Process.Pid, c.exited
	c.cmd, c.exited = nil, nil
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal clickhouse: %w", err)
	}
	if sig != syscall.SIGKILL {
		select {
		case <-exited:
			return nil
		case <-time.After(clickHouseStopGrace):
			c.log.Warn("clickhouse did not stop in time, killing it", "pid", pid)
			if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("kill clickhouse: %w", err)
			}
		}
	}
	<-exited
	return nil
}

func (c *ClickHouse) logTail() string {
	b, err := os.ReadFile(c.logPath())
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	if len(b) > clickHouseLogTail {
		b = b[len(b)-clickHouseLogTail:]
	}
	return string(b)
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
        </default>
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
