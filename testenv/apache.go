package testenv

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApacheKafkaVersion is the Apache Kafka release the tests run; scripts/kafka-jars.sh collects
// its jars and docker-compose.yml runs the same version.
//
//go:embed apache_kafka_version
var apacheKafkaVersionFile string

// ApacheKafkaVersion is the version in testenv/apache_kafka_version.
func ApacheKafkaVersion() string { return strings.TrimSpace(apacheKafkaVersionFile) }

const (
	apacheReadyTimeout = 90 * time.Second
	apacheStopGrace    = 10 * time.Second
	apacheLogTail      = 6 << 10
	// apacheClusterID is any 16 bytes in base64url; one fixed ID keeps restarts simple.
	apacheClusterID = "Y2hhdHB1bHNlLXRlc3RzLQ"
)

// apacheJVMFlags keep a broker small and quick to start on two shared cores: a 512 MiB heap, the
// serial collector and the client compiler only (start-up matters more than peak throughput).
var apacheJVMFlags = []string{
	"-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
	"-Djava.awt.headless=true",
}

// ApacheOption adds to an Apache Kafka cluster's configuration.
type ApacheOption func(*apacheOptions)

type apacheOptions struct {
	nodes   int
	started int // nodes started at first; 0 starts all
	tls     *KeyPair
	users   []SASLUser
	extra   map[string]string
}

// SASLUser is a user the brokers admit with SASL: PLAIN with this password, and SCRAM-SHA-256
// and SCRAM-SHA-512 with credentials made at format time.
type SASLUser struct{ Name, Password string }

// Nodes sets the number of nodes, each a combined broker and controller. With three or more,
// topics are replicated three times and need two in-sync replicas for a write.
func Nodes(n int) ApacheOption { return func(o *apacheOptions) { o.nodes = n } }

// Started starts only the first n nodes; Start starts the others. With three nodes, two are a
// controller quorum, and topics that need three replicas cannot be created until the third runs.
func Started(n int) ApacheOption { return func(o *apacheOptions) { o.started = n } }

// SecureListener makes the client listener SASL_SSL: TLS with kp, and SASL PLAIN, SCRAM-SHA-256
// and SCRAM-SHA-512 for users. The brokers talk to each other on a plaintext listener of their own.
func SecureListener(kp KeyPair, users ...SASLUser) ApacheOption {
	return func(o *apacheOptions) { o.tls, o.users = &kp, users }
}

// BrokerSetting sets one server.properties entry on every node.
func BrokerSetting(key, value string) ApacheOption {
	return func(o *apacheOptions) { o.extra[key] = value }
}

// ApacheKafka is a cluster of Apache Kafka nodes in KRaft mode, each a JVM child process that is
// broker and controller at once, on free loopback ports with a temporary directory. Nodes can be
// killed and restarted; every node dies with the process that started it.
type ApacheKafka struct {
	log     *slog.Logger
	dir     string
	java    string
	libs    string
	opts    apacheOptions
	nodes   []*apacheNode
	version string
}

type apacheNode struct {
	id                               int32
	clientPort, internalPort, ctPort int
	dir                              string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// ApacheKafkaLibs is the directory holding the broker's jars, as scripts/kafka-jars.sh fills
// it: $CHATPULSE_KAFKA_HOME/libs, or the user cache directory's chatpulse/kafka-VERSION/libs.
func ApacheKafkaLibs() (string, error) {
	home := os.Getenv("CHATPULSE_KAFKA_HOME")
	if home == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("kafka jars: %w", err)
		}
		home = filepath.Join(cache, "chatpulse", "kafka-"+ApacheKafkaVersion())
	}
	libs := filepath.Join(home, "libs")
	if _, err := os.Stat(filepath.Join(libs, ".complete")); err != nil {
		return "", fmt.Errorf("apache kafka %s jars not found in %s; collect them with scripts/kafka-jars.sh (make test-deps)", ApacheKafkaVersion(), libs)
	}
	return libs, nil
}

func javaBinary() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", "java"); fileExists(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", errors.New("java not found on PATH; install it with scripts/deps.sh test (make test-deps)")
	}
	return p, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// ApacheAvailable says why Apache Kafka cannot be started here, or nil when it can.
func ApacheAvailable() error {
	if _, err := javaBinary(); err != nil {
		return err
	}
	_, err := ApacheKafkaLibs()
	return err
}

// StartApacheKafka formats and starts a cluster (one node unless Nodes says otherwise) and waits
// until every node answers a metadata request that lists them all.
func StartApacheKafka(ctx context.Context, log *slog.Logger, opts ...ApacheOption) (*ApacheKafka, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	java, err := javaBinary()
	if err != nil {
		return nil, err
	}
	libs, err := ApacheKafkaLibs()
	if err != nil {
		return nil, err
	}
	o := apacheOptions{nodes: 1, extra: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := os.MkdirTemp("", "chatpulse-apache-kafka-")
	if err != nil {
		return nil, fmt.Errorf("kafka temp dir: %w", err)
	}
	k := &ApacheKafka{log: log, dir: dir, java: java, libs: libs, opts: o}
	if err := k.setUp(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var errs []error
	for i, n := range k.nodes {
		if o.started > 0 && i >= o.started {
			break
		}
		errs = append(errs, k.startNode(n))
	}
	if err := errors.Join(errs...); err != nil {
		k.Close()
		return nil, err
	}
	if err := k.WaitReady(ctx); err != nil {
		k.Close()
		return nil, err
	}
	k.version = k.loggedVersion()
	log.Info("apache kafka ready", "version", k.version, "nodes", len(k.nodes), "brokers", k.Brokers())
	return k, nil
}

// setUp picks the ports, writes every node's configuration and formats its storage.
func (k *ApacheKafka) setUp(ctx context.Context) error {
	ports, err := freePorts(3 * k.opts.nodes)
	if err != nil {
		return err
	}
	for i := range k.opts.nodes {
		n := &apacheNode{id: int32(i + 1), clientPort: ports[3*i], internalPort: ports[3*i+1], ctPort: ports[3*i+2],
			dir: filepath.Join(k.dir, "node-"+strconv.Itoa(i+1))}
		k.nodes = append(k.nodes, n)
	}
	for _, n := range k.nodes {
		if err := os.MkdirAll(filepath.Join(n.dir, "data"), 0o755); err != nil {
			return fmt.Errorf("kafka node dir: %w", err)
		}
		if err := os.WriteFile(filepath.Join(n.dir, "server.properties"), []byte(k.serverProperties(n)), 0o600); err != nil {
			return fmt.Errorf("write server.properties: %w", err)
		}
		if err := os.WriteFile(filepath.Join(n.dir, "log4j2.properties"), []byte(strings.ReplaceAll(apacheLog4j, "{dir}", n.dir)), 0o644); err != nil {
			return fmt.Errorf("write log4j2.properties: %w", err)
		}
	}
	// Each format is a JVM start of its own: run them side by side.
	errs := make([]error, len(k.nodes))
	var wg sync.WaitGroup
	for i, n := range k.nodes {
		wg.Go(func() { errs[i] = k.format(ctx, n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (k *ApacheKafka) jvm(n *apacheNode, main string, args ...string) *exec.Cmd {
	a := append([]string{}, apacheJVMFlags...)
	a = append(a, "-Dlog4j2.configurationFile="+filepath.Join(n.dir, "log4j2.properties"),
		"-cp", filepath.Join(k.libs, "*"), main)
	cmd := exec.Command(k.java, append(a, args...)...)
	cmd.Dir = n.dir
	// Its own process group for signals; the parent death signal ends the JVM with the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// format writes the node's cluster ID and the bootstrap metadata, SCRAM credentials included.
func (k *ApacheKafka) format(ctx context.Context, n *apacheNode) error {
	args := []string{"format", "--cluster-id", apacheClusterID, "--config", filepath.Join(n.dir, "server.properties"), "--ignore-formatted"}
	for _, u := range k.opts.users {
		for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
			args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", mech, u.Name, u.Password))
		}
	}
	cmd := k.jvm(n, "kafka.tools.StorageTool", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("format kafka node %d: %w\n%s", n.id, err, tail(out, apacheLogTail))
	}
	return ctx.Err()
}

func (k *ApacheKafka) serverProperties(n *apacheNode) string {
	var voters []string
	for _, m := range k.nodes {
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", m.id, m.ctPort))
	}
	rf := min(len(k.nodes), 3)
	minISR := max(rf-1, 1)
	clientProtocol := "PLAINTEXT"
	if k.opts.tls != nil {
		clientProtocol = "SASL_SSL"
	}
	p := [][2]string{
		{"process.roles", "broker,controller"},
		{"node.id", strconv.Itoa(int(n.id))},
		{"controller.quorum.voters", strings.Join(voters, ",")},
		{"listeners", fmt.Sprintf("CLIENT://127.0.0.1:%d,INTERNAL://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", n.clientPort, n.internalPort, n.ctPort)},
		{"advertised.listeners", fmt.Sprintf("CLIENT://127.0.0.1:%d,INTERNAL://127.0.0.1:%d", n.clientPort, n.internalPort)},
		{"listener.security.protocol.map", "CLIENT:" + clientProtocol + ",INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"},
		{"controller.listener.names", "CONTROLLER"},
		{"inter.broker.listener.name", "INTERNAL"},
		{"log.dirs", filepath.Join(n.dir, "data")},
		{"auto.create.topics.enable", "false"},
		// Test input is generated with past event times (February 2024). Under the default
		// retention of seven days, counted from record timestamps, a retention pass (30 s after
		// a node starts, then every 5 min) would delete input no worker has read yet.
		{"log.retention.ms", "-1"},
		{"default.replication.factor", strconv.Itoa(rf)},
		{"min.insync.replicas", strconv.Itoa(minISR)},
		{"offsets.topic.replication.factor", strconv.Itoa(rf)},
		{"offsets.topic.num.partitions", "10"},
		{"transaction.state.log.replication.factor", strconv.Itoa(rf)},
		{"transaction.state.log.min.isr", strconv.Itoa(minISR)},
		{"transaction.state.log.num.partitions", "4"},
		{"share.coordinator.state.topic.replication.factor", strconv.Itoa(rf)},
		{"share.coordinator.state.topic.min.isr", strconv.Itoa(minISR)},
		{"group.initial.rebalance.delay.ms", "0"},
		// A killed node is fenced, and its partitions get new leaders, after 4 s, not 9.
		{"broker.session.timeout.ms", "4000"},
		{"broker.heartbeat.interval.ms", "1000"},
		// Let the next-generation group protocol (KIP-848) detect a dead member and pace
		// heartbeats as quickly as the classic protocol does in these tests.
		{"group.consumer.min.session.timeout.ms", "6000"},
		{"group.consumer.session.timeout.ms", "6000"},
		{"group.consumer.min.heartbeat.interval.ms", "500"},
		{"group.consumer.heartbeat.interval.ms", "1000"},
		{"num.network.threads", "2"},
		{"num.io.threads", "2"},
		{"num.recovery.threads.per.data.dir", "1"},
		{"log.cleaner.threads", "1"},
		{"log.cleaner.dedupe.buffer.size", strconv.Itoa(8 << 20)},
	}
	if k.opts.tls != nil {
		p = append(p,
			[2]string{"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"},
			[2]string{"listener.name.client.plain.sasl.jaas.config", plainJAAS(k.opts.users)},
			[2]string{"listener.name.client.scram-sha-256.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;"},
			[2]string{"listener.name.client.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;"},
			[2]string{"listener.name.client.ssl.keystore.type", "PEM"},
			[2]string{"listener.name.client.ssl.keystore.certificate.chain", string(k.opts.tls.CertPEM)},
			[2]string{"listener.name.client.ssl.keystore.key", string(k.opts.tls.KeyPEM)},
		)
	}
	for key, v := range k.opts.extra {
		p = append(p, [2]string{key, v})
	}
	var b strings.Builder
	for _, kv := range p {
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(propertyValue(kv[1]))
		b.WriteByte('\n')
	}
	return b.String()
}

// plainJAAS is the PLAIN login module that admits users with their passwords.
func plainJAAS(users []SASLUser) string {
	var b strings.Builder
	b.WriteString("org.apache.kafka.common.security.plain.PlainLoginModule required")
	for _, u := range users {
		fmt.Fprintf(&b, " user_%s=%q", u.Name, u.Password)
	}
	b.WriteByte(';')
	return b.String()
}

// propertyValue escapes a value for a .properties file: backslashes doubled, line breaks as \n.
func propertyValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(v)
}

func (k *ApacheKafka) startNode(n *apacheNode) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return nil
	}
	out, err := os.OpenFile(filepath.Join(n.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("kafka stdout log: %w", err)
	}
	cmd := k.jvm(n, "kafka.Kafka", filepath.Join(n.dir, "server.properties"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start kafka node %d: %w", n.id, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(exited)
	}()
	n.cmd, n.exited = cmd, exited
	k.log.Info("kafka node starting", "node", n.id, "pid", cmd.Process.Pid, "addr", n.addr())
	return nil
}

func (n *apacheNode) addr() string         { return "127.0.0.1:" + strconv.Itoa(n.clientPort) }
func (n *apacheNode) internalAddr() string { return "127.0.0.1:" + strconv.Itoa(n.internalPort) }

// WaitReady waits until every running node answers a metadata request on the plaintext
// listener the brokers share and that metadata lists every running node.
func (k *ApacheKafka) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, apacheReadyTimeout)
	defer cancel()
	for _, n := range k.nodes {
		if !n.running() {
			continue
		}
		if err := k.waitNode(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (k *ApacheKafka) waitNode(ctx context.Context, n *apacheNode) error {
	want := 0
	for _, m := range k.nodes {
		if m.running() {
			want++
		}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		got, err := brokerCount(ctx, n.internalAddr())
		if err == nil && got >= want {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("metadata lists %d of %d brokers", got, want)
		}
		last = err
		n.mu.Lock()
		exited := n.exited
		n.mu.Unlock()
		select {
		case <-exited:
			return fmt.Errorf("kafka node %d exited before answering\n%s", n.id, n.logTail())
		case <-ctx.Done():
			return fmt.Errorf("kafka node %d did not answer: %w (last: %v)\n%s", n.id, ctx.Err(), last, n.logTail())
		case <-tick.C:
		}
	}
}

// brokerCount asks addr for cluster metadata and counts the brokers it lists.
func brokerCount(ctx context.Context, addr string) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0), kgo.DialTimeout(time.Second))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(rctx, cl)
	if err != nil {
		return 0, err
	}
	return len(resp.Brokers), nil
}

func (n *apacheNode) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// Brokers are the client listener addresses of every node.
func (k *ApacheKafka) Brokers() []string {
	var out []string
	for _, n := range k.nodes {
		out = append(out, n.addr())
	}
	return out
}

// NodeIDs are the node (broker) IDs, 1 to the number of nodes.
func (k *ApacheKafka) NodeIDs() []int32 {
	var out []int32
	for _, n := range k.nodes {
		out = append(out, n.id)
	}
	return out
}

// Version is the version the broker logged at start, e.g. "4.4.0".
func (k *ApacheKafka) Version() string { return k.version }

// String names the broker for test logs.
func (k *ApacheKafka) String() string {
	return fmt.Sprintf("Apache Kafka %s (KRaft, %d node(s), %s)", k.version, len(k.nodes), strings.Join(k.Brokers(), ","))
}

func (k *ApacheKafka) node(id int32) (*apacheNode, error) {
	for _, n := range k.nodes {
		if n.id == id {
			return n, nil
		}
	}
	return nil, fmt.Errorf("kafka: no node %d", id)
}

// Kill ends node id at once with SIGKILL, as a crash would.
func (k *ApacheKafka) Kill(id int32) error {
	n, err := k.node(id)
	if err != nil {
		return err
	}
	return n.stop(syscall.SIGKILL)
}

// Start starts node id again with its data, after Kill, and waits until the cluster lists it.
func (k *ApacheKafka) Start(ctx context.Context, id int32) error {
	n, err := k.node(id)
	if err != nil {
		return err
	}
	if err := k.startNode(n); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, apacheReadyTimeout)
	defer cancel()
	return k.waitNode(ctx, n)
}

// Close stops every node and removes the cluster's directory.
func (k *ApacheKafka) Close() error {
	var errs []error
	for _, n := range k.nodes {
		errs = append(errs, n.stop(syscall.SIGTERM))
	}
	errs = append(errs, os.RemoveAll(k.dir))
	return errors.Join(errs...)
}

// stop signals the node's process group and waits for it to exit; SIGTERM escalates to SIGKILL
// after the grace period.
func (n *apacheNode) stop(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return nil
	}
	pid, exited := n.cmd.Process.Pid, n.exited
	n.cmd, n.exited = nil, nil
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal kafka node %d: %w", n.id, err)
	}
	if sig != syscall.SIGKILL {
		select {
		case <-exited:
			return nil
		case <-time.After(apacheStopGrace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	<-exited
	return nil
}

func (n *apacheNode) logTail() string {
	b, err := os.ReadFile(filepath.Join(n.dir, "server.log"))
	if err != nil {
		b, _ = os.ReadFile(filepath.Join(n.dir, "stdout.log"))
	}
	return string(tail(b, apacheLogTail))
}

// loggedVersion is the version the first node printed at start ("Kafka version: 4.4.0").
func (k *ApacheKafka) loggedVersion() string {
	f, err := os.Open(filepath.Join(k.nodes[0].dir, "server.log"))
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), "Kafka version: "); ok {
			return strings.TrimSpace(strings.Fields(v)[0])
		}
	}
	return "unknown"
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// apacheLog4j sends the broker's log to server.log in the node's directory.
const apacheLog4j = `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
`
