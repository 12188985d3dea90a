package processor

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/pseudonym"
	"github.com/chatpulse/chatpulse/secret"
)

// Config is how the processor reaches Kafka and what it reads.
type Config struct {
	Dial
	InputTopics TopicFormats `envconfig:"INPUT_TOPICS" default:"chat.events=auto"`
	Group       string       `envconfig:"GROUP" default:"chatpulse"`
	// Partitions is the partition count of the internal topics; it fixes which partition owns
	// which key, so it cannot change once the topics exist.
	Partitions        int32  `envconfig:"PARTITIONS" default:"12"`
	ReplicationFactor int16  `envconfig:"REPLICATION_FACTOR" default:"-1"`
	DLQTopic          string `envconfig:"DLQ_TOPIC" default:"chatpulse.dlq"`
	// DLQRetention is how long the dead-letter topic keeps a record when chatpulse creates it;
	// 0 keeps every record. Dead letters hold raw input, ids and content included.
	DLQRetention   time.Duration `envconfig:"DLQ_RETENTION" default:"0"`
	SessionTimeout time.Duration `envconfig:"KAFKA_SESSION_TIMEOUT" default:"45s"`
	// GroupProtocol is the consumer group protocol: GroupClassic (JoinGroup and SyncGroup, the
	// members assign) or GroupConsumer (KIP-848, Kafka 4.0+: the broker assigns, and a member's
	// session timeout is the broker's group.consumer.session.timeout.ms).
	GroupProtocol string `envconfig:"KAFKA_GROUP_PROTOCOL" default:"classic"`
	// InstanceID, when set, makes the member static (group.instance.id, KIP-345): restarted
	// with the same id within the session timeout, it gets its partitions back at once instead
	// of after the session timeout and a rebalance. A static member does not leave the group
	// when it stops, so its partitions wait for it (or for the session timeout). Each member
	// needs an id of its own, stable across restarts (a StatefulSet's pod name).
	InstanceID string `envconfig:"KAFKA_INSTANCE_ID"`
	// CommitInterval is how often kgo's autocommit commits what is marked and not committed
	// yet; offsets are normally committed sooner, as their work is done (commit.go).
	CommitInterval time.Duration `envconfig:"COMMIT_INTERVAL" default:"2s"`
	// CommitSpacing is the least time between two commits of work as it is done.
	CommitSpacing time.Duration `envconfig:"COMMIT_SPACING" default:"100ms"`
	// FetchMaxBytes bounds the bytes one fetch may return. An uncompressed record shares its
	// response's buffer, so one record waiting in a partition's queue keeps the whole response
	// in memory; small fetches keep that small.
	FetchMaxBytes int32 `envconfig:"KAFKA_FETCH_MAX_BYTES" default:"4194304"`
	// FetchMaxPartitionBytes bounds the bytes one fetch returns for one partition, and so the
	// size of the batches that wait in a partition's queue; a record batch larger than it is
	// still returned whole.
	FetchMaxPartitionBytes int32 `envconfig:"KAFKA_FETCH_MAX_PARTITION_BYTES" default:"262144"`
	// HandoffTimeout bounds how long a member that gives partitions up (on rebalance or
	// shutdown) waits for the sink to make their rows durable before committing what is.
	HandoffTimeout time.Duration `envconfig:"HANDOFF_TIMEOUT" default:"20s"`
	// SnapshotInterval is how often a partition's state is snapshotted, so that a restore
	// replays only what came after the latest snapshot; 0 turns snapshots off.
	SnapshotInterval time.Duration `envconfig:"SNAPSHOT_INTERVAL" default:"30s"`
	// PseudonymizeKey, when set, replaces every user id right after decoding by its keyed
	// hash (see package pseudonym); it may come from a file instead.
	// IdleTimeout is how long a raw partition may receive nothing before it stops holding back
	// the watermark (see idle.go); 0 makes every raw partition hold it for ever.
	IdleTimeout time.Duration `envconfig:"IDLE_TIMEOUT" default:"1m"`
	// PurgeInterval is how often the records of <group>.repartition that no restore can need
	// are deleted (see purge.go); 0 keeps every record.
	PurgeInterval time.Duration `envconfig:"PURGE_INTERVAL" default:"1m"`
	// SnapshotsKept is how many snapshots of each partition the state topic keeps, the latest
	// first; a restore falls back on an older one when a newer one is unreadable.
	SnapshotsKept       int          `envconfig:"SNAPSHOTS_KEPT" default:"3"`
	PseudonymizeKey     secret.Value `envconfig:"PSEUDONYMIZE_KEY"`
	PseudonymizeKeyFile secret.File  `envconfig:"PSEUDONYMIZE_KEY_FILE"`
}

// The consumer group protocols of CHATPULSE_KAFKA_GROUP_PROTOCOL.
const (
	GroupClassic  = "classic"
	GroupConsumer = "consumer"
)

// DefaultConfig returns the configuration the default tags describe.
func DefaultConfig() Config {
	return Config{
		Dial:                   Dial{Brokers: []string{"127.0.0.1:9092"}, SASLMechanism: SASLNone},
		InputTopics:            TopicFormats{"chat.events": decode.FormatAuto},
		Group:                  "chatpulse",
		Partitions:             12,
		ReplicationFactor:      -1,
		DLQTopic:               "chatpulse.dlq",
		SessionTimeout:         45 * time.Second,
		GroupProtocol:          GroupClassic,
		CommitInterval:         2 * time.Second,
		CommitSpacing:          100 * time.Millisecond,
		FetchMaxBytes:          4 << 20,
		FetchMaxPartitionBytes: 256 << 10,
		HandoffTimeout:         20 * time.Second,
		SnapshotInterval:       30 * time.Second,
		IdleTimeout:            time.Minute,
		PurgeInterval:          time.Minute,
		SnapshotsKept:          3,
	}
}

// RepartitionTopic is the internal topic that carries routed events, named after the group so
// that two deployments never share one.
func (c Config) RepartitionTopic() string { return c.Group + ".repartition" }

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// Validate reports the first setting the processor cannot work with, naming its variable.
func (c Config) Validate() error {
	errs := c.Dial.validate()
	if key, err := c.pseudonymizeKey(); err != nil {
		errs = append(errs, err)
	} else if !key.IsZero() && key.Len() < pseudonym.MinKeyLen {
		errs = append(errs, fmt.Errorf("CHATPULSE_PSEUDONYMIZE_KEY: must be at least %d bytes, got %d", pseudonym.MinKeyLen, key.Len()))
	}
	if len(c.InputTopics) == 0 {
		errs = append(errs, errors.New("CHATPULSE_INPUT_TOPICS: at least one topic=format is required"))
	}
	if !topicName.MatchString(c.Group) {
		errs = append(errs, fmt.Errorf("CHATPULSE_GROUP: %q is not a valid group name (letters, digits, . _ -)", c.Group))
	}
	if c.Partitions < 1 || c.Partitions > 10000 {
		errs = append(errs, fmt.Errorf("CHATPULSE_PARTITIONS: must be between 1 and 10000, got %d", c.Partitions))
	}
	if c.ReplicationFactor == 0 || c.ReplicationFactor < -1 {
		errs = append(errs, fmt.Errorf("CHATPULSE_REPLICATION_FACTOR: must be -1 (broker default) or positive, got %d", c.ReplicationFactor))
	}
	if !topicName.MatchString(c.DLQTopic) {
		errs = append(errs, fmt.Errorf("CHATPULSE_DLQ_TOPIC: %q is not a valid topic name", c.DLQTopic))
	}
	if c.DLQRetention != 0 && c.DLQRetention < time.Hour {
		errs = append(errs, fmt.Errorf("CHATPULSE_DLQ_RETENTION: must be 0 (keep every record) or at least 1h, got %s", c.DLQRetention))
	}
	for t := range c.InputTopics {
		if t == c.DLQTopic || t == c.RepartitionTopic() || t == c.StateTopic() {
			errs = append(errs, fmt.Errorf("CHATPULSE_INPUT_TOPICS: %q is an internal topic of chatpulse", t))
		}
	}
	if c.SessionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_SESSION_TIMEOUT: must be at least 1s, got %s", c.SessionTimeout))
	}
	if !validInstanceID(c.InstanceID) {
		errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_INSTANCE_ID: at most 249 of the characters a-z A-Z 0-9 . _ -, got %q", c.InstanceID))
	}
	if c.GroupProtocol != GroupClassic && c.GroupProtocol != GroupConsumer {
		errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_GROUP_PROTOCOL: must be %s or %s, got %q", GroupClassic, GroupConsumer, c.GroupProtocol))
	}
	if c.FetchMaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_FETCH_MAX_BYTES: must be at least 1048576, got %d", c.FetchMaxBytes))
	}
	if c.FetchMaxPartitionBytes < 64<<10 || c.FetchMaxPartitionBytes > c.FetchMaxBytes {
		errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_FETCH_MAX_PARTITION_BYTES: must be between 65536 and CHATPULSE_KAFKA_FETCH_MAX_BYTES (%d), got %d", c.FetchMaxBytes, c.FetchMaxPartitionBytes))
	}
	if c.HandoffTimeout < time.Second {
		errs = append(errs, fmt.Errorf("CHATPULSE_HANDOFF_TIMEOUT: must be at least 1s, got %s", c.HandoffTimeout))
	}
	if c.SnapshotInterval < 0 {
		errs = append(errs, fmt.Errorf("CHATPULSE_SNAPSHOT_INTERVAL: must not be negative, got %s", c.SnapshotInterval))
	}
	if c.IdleTimeout != 0 && c.IdleTimeout < time.Second {
		errs = append(errs, fmt.Errorf("CHATPULSE_IDLE_TIMEOUT: must be 0 (never idle) or at least 1s, got %s", c.IdleTimeout))
	}
	if c.PurgeInterval != 0 && c.PurgeInterval < time.Second {
		errs = append(errs, fmt.Errorf("CHATPULSE_PURGE_INTERVAL: must be 0 (keep every record) or at least 1s, got %s", c.PurgeInterval))
	}
	if c.SnapshotsKept < 2 || c.SnapshotsKept > 100 {
		errs = append(errs, fmt.Errorf("CHATPULSE_SNAPSHOTS_KEPT: must be between 2 and 100, got %d", c.SnapshotsKept))
	}
	if c.PurgeInterval != 0 && c.SnapshotInterval == 0 {
		errs = append(errs, errors.New("CHATPULSE_PURGE_INTERVAL: purging needs snapshots; set CHATPULSE_SNAPSHOT_INTERVAL above 0 or the purge interval to 0"))
	}
	if c.CommitInterval <= 0 {
		errs = append(errs, fmt.Errorf("CHATPULSE_COMMIT_INTERVAL: must be positive, got %s", c.CommitInterval))
	}
	if c.CommitSpacing < time.Millisecond {
		errs = append(errs, fmt.Errorf("CHATPULSE_COMMIT_SPACING: must be at least 1ms, got %s", c.CommitSpacing))
	}
	return errors.Join(errs...)
}

func (c Config) pseudonymizeKey() (secret.Value, error) {
	return secret.Pick("CHATPULSE_PSEUDONYMIZE_KEY", c.PseudonymizeKey, "CHATPULSE_PSEUDONYMIZE_KEY_FILE", c.PseudonymizeKeyFile)
}

// TopicFormats maps each input topic to the format of its records.
type TopicFormats map[string]decode.Format

// Decode parses "topic=format,topic=format"; it lets envconfig read the variable.
func (tf *TopicFormats) Decode(value string) error {
	m := TopicFormats{}
	for _, part := range strings.Split(value, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		topic, name, ok := strings.Cut(part, "=")
		topic, name = strings.TrimSpace(topic), strings.TrimSpace(name)
		if !ok || topic == "" {
			return fmt.Errorf("%q is not topic=format", part)
		}
		if !topicName.MatchString(topic) {
			return fmt.Errorf("%q is not a valid topic name", topic)
		}
		f, err := decode.ParseFormat(name)
		if err != nil {
			return fmt.Errorf("topic %s: %w", topic, err)
		}
		if _, dup := m[topic]; dup {
			return fmt.Errorf("topic %s is listed twice", topic)
		}
		m[topic] = f
	}
	*tf = m
	return nil
}

// String renders the mapping in the form Decode reads, topics sorted.
func (tf TopicFormats) String() string {
	parts := make([]string, 0, len(tf))
	for t, f := range tf {
		parts = append(parts, t+"="+f.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Topics returns the input topics, sorted.
func (tf TopicFormats) Topics() []string {
	ts := make([]string, 0, len(tf))
	for t := range tf {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// validInstanceID accepts what the brokers accept as a group.instance.id (the rule of topic
// names); empty means a dynamic member.
func validInstanceID(id string) bool {
	if len(id) > 249 || id == "." || id == ".." {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
