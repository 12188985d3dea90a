package processor_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/secret"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

const (
	saslUser     = "chatpulse-app"
	saslPassword = "pw-Zq7-never-printed"
)

// secureKafka is a broker that speaks only TLS, with a certificate from a CA of the test's own,
// and accepts only the SASL user saslUser with mechanism.
type secureKafka struct {
	kafka  *testenv.Kafka
	caFile string
	ca     *testenv.CA
}

func startSecureKafka(t *testing.T, kfakeMechanism string) secureKafka {
	t.Helper()
	ca, err := testenv.NewCA("chatpulse test ca")
	if err != nil {
		t.Fatal(err)
	}
	caFile, err := ca.WriteCert(t.TempDir(), "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	kafka := testenv.SecureKafkaForTest(t, ca, kfakeMechanism, saslUser, saslPassword)
	return secureKafka{kafka: kafka, caFile: caFile, ca: ca}
}

func (k secureKafka) dial(mechanism, password string) processor.Dial {
	return processor.Dial{
		Brokers: k.kafka.Brokers(), TLS: true, TLSCAFile: k.caFile,
		SASLMechanism: mechanism, SASLUser: saslUser, SASLPassword: secret.New(password),
	}
}

var mechanisms = []struct {
	name, kfake, ours string
}{
	{"PLAIN over TLS carries the pipeline end to end", "PLAIN", processor.SASLPlain},
	{"SCRAM-SHA-256 over TLS carries the pipeline end to end", "SCRAM-SHA-256", processor.SASLScramSHA256},
	{"SCRAM-SHA-512 over TLS carries the pipeline end to end", "SCRAM-SHA-512", processor.SASLScramSHA512},
}

// TestTLSAndSASLCarryThePipeline runs generated traffic through a broker that requires TLS and
// SASL: every client of the processor (admin, producer, consumer group, the lag check) has to
// authenticate for the views to come out right.
func TestTLSAndSASLCarryThePipeline(t *testing.T) {
	data := dataset(t, 300)
	for _, m := range mechanisms {
		t.Run(m.name, func(t *testing.T) {
			k := startSecureKafka(t, m.kfake)
			p := securePipeline(t, k.dial(m.ours, saslPassword), "raw", "secure")
			p.produce(data.Records, "raw")
			p.start("solo")
			p.waitCaughtUp()
			got := p.views()
			assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
			assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
		})
	}
}

// TestRefusedConnectionsSayWhy checks the error a user sees when the credentials or the CA are
// wrong: it names what to check and never shows the password.
func TestRefusedConnectionsSayWhy(t *testing.T) {
	tests := []struct {
		name  string
		kfake string
		dial  func(k secureKafka) processor.Dial
		want  []string
	}{
		{"a wrong PLAIN password says authentication failed for the user", "PLAIN",
			func(k secureKafka) processor.Dial { return k.dial(processor.SASLPlain, "wrong-"+saslPassword) },
			[]string{"SASL authentication failed", "mechanism plain", saslUser}},
		{"a wrong SCRAM-SHA-256 password says authentication failed for the user", "SCRAM-SHA-256",
			func(k secureKafka) processor.Dial { return k.dial(processor.SASLScramSHA256, "wrong-"+saslPassword) },
			[]string{"SASL authentication failed", "mechanism scram-sha-256", saslUser}},
		{"a wrong SCRAM-SHA-512 password says authentication failed for the user", "SCRAM-SHA-512",
			func(k secureKafka) processor.Dial { return k.dial(processor.SASLScramSHA512, "wrong-"+saslPassword) },
			[]string{"SASL authentication failed", "mechanism scram-sha-512", saslUser}},
		{"a CA that did not sign the brokers' certificate says the certificate is not trusted", "PLAIN",
			func(k secureKafka) processor.Dial {
				other, err := testenv.NewCA("another ca")
				if err != nil {
					t.Fatal(err)
				}
				file, err := other.WriteCert(t.TempDir(), "other.pem")
				if err != nil {
					t.Fatal(err)
				}
				d := k.dial(processor.SASLPlain, saslPassword)
				d.TLSCAFile = file
				return d
			},
			[]string{"certificate is not trusted", "CHATPULSE_KAFKA_TLS_CA_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := startSecureKafka(t, tt.kfake)
			cfg := processor.DefaultConfig()
			cfg.Dial = tt.dial(k)
			// The deadline is far beyond what a refused connection needs: a call that ends by it
			// kept retrying instead of giving up.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := processor.EnsureTopics(ctx, cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				t.Fatal("the connection was accepted")
			}
			if ctx.Err() != nil {
				t.Errorf("the call kept retrying until its deadline instead of failing: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q: %v", w, err)
				}
			}
			t.Logf("the user sees: %v", err)
			if strings.Contains(err.Error(), saslPassword) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// securePipeline is newPipeline for a broker reached through dial.
func securePipeline(t *testing.T, dial processor.Dial, topic, group string) *pipeline {
	t.Helper()
	cfg := processor.DefaultConfig()
	cfg.Dial = dial
	cfg.InputTopics = processor.TopicFormats{topic: decode.FormatCausalFoundry}
	cfg.Group = group
	cfg.CommitInterval = 100 * time.Millisecond
	cfg.SessionTimeout = 10 * time.Second
	scfg := sink.DefaultConfig()
	scfg.Addr = clickhouse.Addr()
	scfg.Database = fmt.Sprintf("it_%d_%d", os.Getpid(), databases.Add(1))
	scfg.FlushInterval = 100 * time.Millisecond
	if err := processor.CreateTopic(context.Background(), dial, topic, 4); err != nil {
		t.Fatal(err)
	}
	return &pipeline{t: t, brokers: dial.Brokers, cfg: cfg, sink: scfg,
		log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// TestSASLWithoutTLSWorksAndIsWarnedAbout runs the pipeline with PLAIN credentials over a
// plaintext connection: allowed, but the start of the worker says the password is exposed.
func TestSASLWithoutTLSWorksAndIsWarnedAbout(t *testing.T) {
	kafka := testenv.KafkaForTest(t, kfake.EnableSASL(), kfake.Superuser("PLAIN", saslUser, saslPassword))
	p := securePipeline(t, processor.Dial{Brokers: kafka.Brokers(), SASLMechanism: processor.SASLPlain,
		SASLUser: saslUser, SASLPassword: secret.New(saslPassword)}, "raw", "plaintext")
	var logs lockedLog
	p.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	data := dataset(t, 50)
	p.produce(data.Records, "raw")
	p.start("solo")
	p.waitCaughtUp()
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "plaintext") || !strings.Contains(out, "CHATPULSE_KAFKA_TLS") {
		t.Fatalf("no warning about plaintext credentials in:\n%s", out)
	}
	if strings.Contains(out, saslPassword) {
		t.Fatal("the log shows the password")
	}
}

type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
