package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Kafka is an in-process Kafka protocol broker: consumer groups, transactions and fault
// injection behave as a real cluster's do, without a JVM.
type Kafka struct {
	cluster *kfake.Cluster
	apache  *ApacheKafka // set instead of cluster when the broker is Apache Kafka
}

// StartKafka starts a one-broker cluster on a free loopback port. Topics are not created
// automatically: chatpulse creates its own, and tests create their inputs explicitly.
func StartKafka(opts ...kfake.Opt) (*Kafka, error) {
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.Ports(0)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("start kafka: %w", err)
	}
	return &Kafka{cluster: c}, nil
}

// StartKafkaAt starts a one-broker cluster on port (0 picks a free one) that keeps its topics
// and committed offsets in dataDir across restarts, or in memory when dataDir is "".
func StartKafkaAt(port int, dataDir string) (*Kafka, error) {
	opts := []kfake.Opt{kfake.Ports(port)}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	return StartKafka(opts...)
}

// KafkaForTest starts a cluster that is closed when the test ends.
func KafkaForTest(t T, opts ...kfake.Opt) *Kafka {
	t.Helper()
	k, err := StartKafka(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

// Brokers are the addresses clients bootstrap from.
func (k *Kafka) Brokers() []string {
	if k.apache != nil {
		return k.apache.Brokers()
	}
	return k.cluster.ListenAddrs()
}

// Cluster is the underlying kfake broker, for fault injection; nil on Apache Kafka.
func (k *Kafka) Cluster() *kfake.Cluster { return k.cluster }

// Apache is the underlying Apache Kafka cluster; nil on kfake.
func (k *Kafka) Apache() *ApacheKafka { return k.apache }

// Close stops the broker.
func (k *Kafka) Close() {
	if k.apache != nil {
		_ = k.apache.Close()
		return
	}
	k.cluster.Close()
}

// KafkaProcess is a broker running as a child process (`chatpulse broker`), so that a test can
// kill it and start it again on the same port and data directory.
type KafkaProcess struct {
	proc *process
	addr string
	bin  string
	dir  string
}

// StartKafkaProcess runs `bin broker` with a data directory of its own (dir, or a new temporary
// one when dir is "") and waits until it listens.
func StartKafkaProcess(ctx context.Context, bin, dir string) (*KafkaProcess, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "chatpulse-kafka-")
		if err != nil {
			return nil, fmt.Errorf("start kafka process: %w", err)
		}
		dir = d
	}
	k := &KafkaProcess{bin: bin, dir: dir}
	if err := k.start(ctx, 0); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *KafkaProcess) start(ctx context.Context, port int) error {
	cmd := exec.Command(k.bin, "broker", "-port", strconv.Itoa(port), "-data-dir", filepath.Join(k.dir, "data"))
	// Pdeathsig ends the broker with the test binary that started it, even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("start kafka process: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start kafka process: %w", err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case addr, ok := <-line:
		if !ok {
			_ = cmd.Wait()
			return errors.New("start kafka process: broker exited before listening")
		}
		k.addr = addr
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return ctx.Err()
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return errors.New("start kafka process: broker did not listen within 30s")
	}
	k.proc = &process{cmd: cmd}
	return nil
}

// Brokers are the addresses clients bootstrap from.
func (k *KafkaProcess) Brokers() []string { return []string{k.addr} }

// Kill ends the broker with SIGKILL.
func (k *KafkaProcess) Kill() error { return k.proc.signal(syscall.SIGKILL) }

// Restart kills the broker and starts it again on the same port with the same data.
func (k *KafkaProcess) Restart(ctx context.Context) error {
	if err := k.Kill(); err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(k.addr)
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(port)
	return k.start(ctx, p)
}

// Close stops the broker and removes its data directory.
func (k *KafkaProcess) Close() error {
	err := k.proc.signal(syscall.SIGTERM)
	return errors.Join(err, os.RemoveAll(k.dir))
}

// process is a child process that is signalled and reaped once.
type process struct {
	cmd  *exec.Cmd
	once sync.Once
	err  error
}

func (p *process) signal(sig syscall.Signal) error {
	p.once.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
		err := p.cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			p.err = err
		}
	})
	return p.err
}

// Pid is the broker process's id.
func (k *KafkaProcess) Pid() int { return k.proc.cmd.Process.Pid }
