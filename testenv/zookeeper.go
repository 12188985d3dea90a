package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// zooKeeperJar is Debian's zookeeper package; its manifest's Class-Path names every jar it
// needs, so it is the whole class path but for a logging backend. A variable so that a test can
// make it missing.
var zooKeeperJar = "/usr/share/java/zookeeper.jar"

const (
	zooKeeperLogBackend = "/usr/share/java/slf4j-simple.jar"
	zooKeeperMain       = "org.apache.zookeeper.server.ZooKeeperServerMain"
	// A JVM that starts while other servers start too may take this long on two busy cores.
	zooKeeperReadyTimeout = 90 * time.Second
	zooKeeperStopGrace    = 10 * time.Second
	zooKeeperLogTail      = 4 << 10
)

// ZooKeeper is a standalone ZooKeeper server (Debian's zookeeper package) as a child process with
// its own temporary directory holding the configuration, the data and the log. Its methods are
// safe for concurrent use.
type ZooKeeper struct {
	server
	java string
	port int
}

// StartZooKeeper starts a fresh server on a free loopback port and waits until it serves.
func StartZooKeeper(ctx context.Context, log *slog.Logger) (*ZooKeeper, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	java, err := zooKeeperInstalled()
	if err != nil {
		return nil, err
	}
	var z *ZooKeeper
	err = retryBusyPorts(func() error {
		dir, err := os.MkdirTemp("", "chatpulse-zookeeper-")
		if err != nil {
			return fmt.Errorf("zookeeper temp dir: %w", err)
		}
		z = &ZooKeeper{java: java}
		z.server = server{name: "zookeeper", log: log, dir: dir, grace: zooKeeperStopGrace, tail: zooKeeperLogTail,
			command: z.command, ready: z.waitReady}
		if err := z.setUp(); err != nil {
			os.RemoveAll(dir)
			return err
		}
		if err := z.start(ctx); err != nil {
			os.RemoveAll(dir)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return z, nil
}

// zooKeeperForTest tells whether Debian's zookeeper package is installed. Without it, it fails
// t in CI (CI=true), where every component must be installed, and skips t elsewhere.
func zooKeeperForTest(t T) bool {
	t.Helper()
	if _, err := zooKeeperInstalled(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and a test component is missing: %v", err)
		} else {
			t.Skipf("skipped: %v", err)
		}
		return false
	}
	return true
}

// zooKeeperInstalled returns the java binary when Debian's zookeeper package is installed.
func zooKeeperInstalled() (string, error) {
	if _, err := os.Stat(zooKeeperJar); err != nil {
		return "", fmt.Errorf("zookeeper not found at %s; install it with scripts/deps.sh test (Debian package zookeeper): %w", zooKeeperJar, err)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("zookeeper needs java: %w", err)
	}
	return java, nil
}

// Addr is the client address, "127.0.0.1:port".
func (z *ZooKeeper) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(z.port)) }

// Port is the client port.
func (z *ZooKeeper) Port() int { return z.port }

// setUp picks the port and writes zoo.cfg once, so that a restart reuses both.
func (z *ZooKeeper) setUp() error {
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	z.port = ports[0]
	if err := os.MkdirAll(filepath.Join(z.dir, "data"), 0o755); err != nil {
		return fmt.Errorf("zookeeper dir: %w", err)
	}
	cfg := strings.NewReplacer("{dir}", z.dir, "{port}", strconv.Itoa(z.port)).Replace(zooKeeperConfig)
	if err := os.WriteFile(z.cfgPath(), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("write zoo.cfg: %w", err)
	}
	return nil
}

func (z *ZooKeeper) cfgPath() string { return filepath.Join(z.dir, "zoo.cfg") }

// command runs the server on zoo.cfg. A small serial-GC heap and the client compiler only: a
// test server holds a few hundred znodes, and the JVM shares two cores with everything else.
func (z *ZooKeeper) command() *exec.Cmd {
	cp := zooKeeperJar
	if _, err := os.Stat(zooKeeperLogBackend); err == nil {
		cp += ":" + zooKeeperLogBackend
	}
	return exec.Command(z.java, "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-cp", cp, zooKeeperMain, z.cfgPath())
}

func (z *ZooKeeper) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, zooKeeperReadyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if zooKeeperServing(ctx, z.Addr()) {
			return nil
		}
		select {
		case <-exited:
			return errors.New("zookeeper exited before serving")
		case <-ctx.Done():
			return fmt.Errorf("zookeeper did not serve: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// zooKeeperServing asks the server's srvr command; a server that has not loaded its data yet
// answers that it is not serving requests, one that has names its mode.
func zooKeeperServing(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, "srvr"); err != nil {
		return false
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Mode: ") {
			return true
		}
	}
	return false
}

// zooKeeperConfig is zoo.cfg; {dir} and {port} are filled in. A short tick lets sessions expire
// and reconnect in seconds after a kill (the negotiated session timeout is 2 to 20 ticks). The
// log is written without fsync: a killed process loses nothing the kernel already has, and
// these tests kill processes, not machines. The admin HTTP server would need a port of its own.
const zooKeeperConfig = `tickTime=500
dataDir={dir}/data
clientPort={port}
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=no
admin.enableServer=false
4lw.commands.whitelist=srvr
`
