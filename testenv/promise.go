package testenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// BrokerEnv names the variable that picks the broker of the suites that carry the product's
// promises: "apache" (the default) runs them on Apache Kafka started from its jars, "kfake" on
// the in-process protocol broker. Every other test uses kfake.
const BrokerEnv = "CHATPULSE_TEST_KAFKA"

const (
	BrokerApache = "apache"
	BrokerKfake  = "kfake"
)

// PromiseBroker is the broker BrokerEnv picks.
func PromiseBroker() (string, error) {
	switch v := os.Getenv(BrokerEnv); v {
	case "", BrokerApache:
		return BrokerApache, nil
	case BrokerKfake:
		return BrokerKfake, nil
	default:
		return "", fmt.Errorf("%s: want %s or %s, got %q", BrokerEnv, BrokerApache, BrokerKfake, v)
	}
}

// PromiseKafka starts the broker of a suite that carries a promise, closed when the test ends:
// one Apache Kafka node (with opts) unless BrokerEnv says kfake. Where Java or the jars are
// missing the test fails in CI (CI=true) and is skipped elsewhere, saying what to install.
func PromiseKafka(t T, opts ...ApacheOption) *Kafka {
	t.Helper()
	kind, err := PromiseBroker()
	if err != nil {
		t.Fatal(err)
	}
	if kind == BrokerKfake {
		t.Logf("kafka: kfake (%s=%s)", BrokerEnv, kind)
		return KafkaForTest(t)
	}
	return &Kafka{apache: ApacheKafkaForTest(t, opts...)}
}

// ApacheKafkaForTest starts an Apache Kafka cluster for one test and closes it when the test
// ends; on failure the test log gets the tail of every node's server log.
func ApacheKafkaForTest(t T, opts ...ApacheOption) *ApacheKafka {
	t.Helper()
	RequireApacheKafka(t)
	k, err := StartApacheKafka(context.Background(), slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	announce(k)
	t.Logf("kafka: %s", k)
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range k.nodes {
				t.Logf("kafka node %d server.log tail:\n%s", n.id, n.logTail())
			}
		}
		if err := k.Close(); err != nil {
			t.Error(err)
		}
	})
	return k
}

// RequireApacheKafka fails the test in CI, and skips it elsewhere, when Apache Kafka cannot be
// started here.
func RequireApacheKafka(t T) {
	t.Helper()
	if err := ApacheAvailable(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("apache kafka is required in CI: %v", err)
		}
		t.Skipf("apache kafka is not available (%v); or run with %s=%s", err, BrokerEnv, BrokerKfake)
	}
}

var announced sync.Once

// announce names the broker once per test binary on stderr, which go test shows with -v and
// for a failing package.
func announce(k *ApacheKafka) {
	announced.Do(func() { fmt.Fprintf(os.Stderr, "testenv: %s\n", k) })
}
