package peersbench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Budget is the heap and thread budget every processor of a comparison gets: chatpulse as
// GOMAXPROCS and GOMEMLIMIT, a peer as -Xms/-Xmx, -XX:ActiveProcessorCount and its stream
// threads (Kafka Streams) or parallelism (Flink). Off-heap state (RocksDB) has a budget of its
// own in each peer, StateMemory.
type Budget struct {
	Threads     int
	HeapMiB     int
	StateMemory int // MiB: PEERS_ROCKSDB_MEMORY_BYTES and PEERS_MANAGED_MEMORY
	// GoSoftLimitMiB, when set, is chatpulse's GOMEMLIMIT instead of HeapMiB: a soft limit
	// within the heap budget, at which Go's collector runs more often rather than let the
	// heap grow to twice what is live (GOGC=100). It never gives chatpulse more memory than
	// HeapMiB, only less.
	GoSoftLimitMiB int
}

// DefaultBudget is the comparison's budget: two cores, as the test machine has, 1 GiB of heap and
// 256 MiB for RocksDB (the peers' defaults). chatpulse runs with a soft limit of 256 MiB, an
// operator's setting for a lean worker: its live heap through the benchmark's backlog is about
// 90-110 MB (BENCHMARKS.md, "Against Kafka Streams and Flink").
var DefaultBudget = Budget{Threads: 2, HeapMiB: 1024, StateMemory: 256, GoSoftLimitMiB: 256}

// JVMArgs are the JVM flags of the budget: a fixed heap (no resizing pauses mid-run) and the
// processor count the JVM sizes its GC and common pools by.
func (b Budget) JVMArgs() []string {
	return []string{
		fmt.Sprintf("-Xms%dm", b.HeapMiB), fmt.Sprintf("-Xmx%dm", b.HeapMiB),
		fmt.Sprintf("-XX:ActiveProcessorCount=%d", b.Threads),
	}
}

// GoEnv is the same budget for chatpulse: GOMEMLIMIT is the soft limit when one is set, and
// never above the heap budget.
func (b Budget) GoEnv() []string {
	limit := b.HeapMiB
	if b.GoSoftLimitMiB > 0 {
		limit = min(limit, b.GoSoftLimitMiB)
	}
	return []string{"GOMAXPROCS=" + strconv.Itoa(b.Threads), fmt.Sprintf("GOMEMLIMIT=%dMiB", limit)}
}

// Peer is one peer application set up for a run: its jar, environment and topics.
type Peer struct {
	Name       string
	Jar        string
	Env        []string
	Group      string   // the consumer group whose commits show progress
	Progress   []string // the topics that group must have committed to the end
	Output     string   // compacted message_facts topic
	DeadLetter string
	// PreCreate are topics the harness creates before the start (Flink creates none).
	PreCreate []string
}

// Run names a run's topics and directories: every peer gets topics and groups of its own.
type Run struct {
	Brokers    []string
	Input      string
	Partitions int32
	Dir        string // state and checkpoint directories, logs
	Budget     Budget
	// Commit is Kafka Streams' commit interval and Flink's checkpoint interval: how soon output
	// becomes visible under exactly-once.
	Commit time.Duration
}

// KafkaStreams is the Kafka Streams application for r.
func (r Run) KafkaStreams(jar string) Peer {
	app := "peer-streams-" + r.Input
	out := r.Input + ".facts.streams"
	dlq := r.Input + ".dlq.streams"
	return Peer{
		Name: "kafka-streams", Jar: jar, Group: app, Output: out, DeadLetter: dlq,
		Progress: []string{r.Input, app + "-updates-by-msg-id-repartition"},
		Env: []string{
			"PEERS_BOOTSTRAP_SERVERS=" + strings.Join(r.Brokers, ","),
			"PEERS_APPLICATION_ID=" + app,
			"PEERS_INPUT_TOPIC=" + r.Input,
			"PEERS_OUTPUT_TOPIC=" + out,
			"PEERS_DEAD_LETTER_TOPIC=" + dlq,
			"PEERS_THREADS=" + strconv.Itoa(r.Budget.Threads),
			"PEERS_COMMIT_INTERVAL_MS=" + strconv.FormatInt(r.Commit.Milliseconds(), 10),
			"PEERS_ROCKSDB_MEMORY_BYTES=" + strconv.Itoa(r.Budget.StateMemory<<20),
			"PEERS_STATE_DIR=" + r.Dir + "/streams-state",
			"PEERS_OUTPUT_PARTITIONS=" + strconv.Itoa(int(r.Partitions)),
			"PEERS_REPLICATION_FACTOR=1",
			"PEERS_GROUP_INSTANCE_ID=" + app + "-0",
		},
	}
}

// Flink is the Flink job for r, in its embedded local cluster.
func (r Run) Flink(jar string) Peer {
	group := "peer-flink-" + r.Input
	out := r.Input + ".facts.flink"
	dlq := r.Input + ".dlq.flink"
	return Peer{
		Name: "flink", Jar: jar, Group: group, Output: out, DeadLetter: dlq,
		Progress:  []string{r.Input},
		PreCreate: []string{out, dlq},
		Env: []string{
			"PEERS_BOOTSTRAP_SERVERS=" + strings.Join(r.Brokers, ","),
			"PEERS_GROUP_ID=" + group,
			"PEERS_TRANSACTIONAL_ID_PREFIX=" + group,
			"PEERS_INPUT_TOPIC=" + r.Input,
			"PEERS_OUTPUT_TOPIC=" + out,
			"PEERS_DEAD_LETTER_TOPIC=" + dlq,
			"PEERS_PARALLELISM=" + strconv.Itoa(r.Budget.Threads),
			"PEERS_CHECKPOINT_INTERVAL_MS=" + strconv.FormatInt(r.Commit.Milliseconds(), 10),
			"PEERS_CHECKPOINT_DIR=file://" + r.Dir + "/flink-checkpoints",
			fmt.Sprintf("PEERS_MANAGED_MEMORY=%dm", r.Budget.StateMemory),
		},
	}
}

// Start runs the peer's jar with the run's budget; extraEnv goes after the peer's own.
func (r Run) Start(p Peer, extraEnv ...string) (*Process, error) {
	args := append(r.Budget.JVMArgs(), "-jar", p.Jar)
	return StartProcess(p.Name, r.Dir, append(append([]string{}, p.Env...), extraEnv...), args...)
}
