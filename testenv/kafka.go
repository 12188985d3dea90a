package testenv

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Kafka is an in-process Kafka protocol broker: consumer groups, transactions and fault
// injection behave as a real cluster's do, without a JVM.
type Kafka struct {
	cluster *kfake.Cluster
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

// KafkaForTest starts a cluster that is closed when the test ends.
func KafkaForTest(t testing.TB, opts ...kfake.Opt) *Kafka {
	t.Helper()
	k, err := StartKafka(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

// Brokers are the addresses clients bootstrap from.
func (k *Kafka) Brokers() []string { return k.cluster.ListenAddrs() }

// Cluster is the underlying broker, for fault injection.
func (k *Kafka) Cluster() *kfake.Cluster { return k.cluster }

// Close stops the broker.
func (k *Kafka) Close() { k.cluster.Close() }
