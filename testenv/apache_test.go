package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// roundTrip creates topic, writes one record with acks from all in-sync replicas and reads it back.
func roundTrip(t *testing.T, ctx context.Context, topic string, opts ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 3, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	fetches := cl.PollRecords(ctx, 1)
	if err := fetches.Err0(); err != nil {
		t.Fatalf("consume: %v", err)
	}
	if recs := fetches.Records(); len(recs) != 1 || string(recs[0].Value) != "hello" {
		t.Fatalf("read back %v, want the record written", recs)
	}
}

func TestApacheKafkaStartsTheVersionTheJarsAreOf(t *testing.T) {
	k := ApacheKafkaForTest(t)
	if k.Version() != ApacheKafkaVersion() {
		t.Fatalf("the broker says it is %q, testenv/apache_kafka_version says %q", k.Version(), ApacheKafkaVersion())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	roundTrip(t, ctx, "one-node", kgo.SeedBrokers(k.Brokers()...))
}

func TestApacheKafkaClusterKeepsWritingWhileOneNodeIsDown(t *testing.T) {
	k := ApacheKafkaForTest(t, Nodes(3))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	seeds := kgo.SeedBrokers(k.Brokers()...)
	roundTrip(t, ctx, "before", seeds)
	if err := k.Kill(2); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, ctx, "while-down", seeds)
	if err := k.Start(ctx, 2); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, ctx, "after", seeds)
}

func TestApacheKafkaSecureListenerAdmitsEveryMechanismAndRefusesAWrongPassword(t *testing.T) {
	ca, err := NewCA("apache test ca")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.Issue("server")
	if err != nil {
		t.Fatal(err)
	}
	k := ApacheKafkaForTest(t, SecureListener(kp, SASLUser{Name: "app", Password: "pw-apache"}))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	tlsOpt := kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mechs := map[string]func(pw string) kgo.Opt{
		"plain":         func(pw string) kgo.Opt { return kgo.SASL(plain.Auth{User: "app", Pass: pw}.AsMechanism()) },
		"scram-sha-256": func(pw string) kgo.Opt { return kgo.SASL(scram.Auth{User: "app", Pass: pw}.AsSha256Mechanism()) },
		"scram-sha-512": func(pw string) kgo.Opt { return kgo.SASL(scram.Auth{User: "app", Pass: pw}.AsSha512Mechanism()) },
	}
	for name, mech := range mechs {
		roundTrip(t, ctx, "secure-"+name, kgo.SeedBrokers(k.Brokers()...), tlsOpt, mech("pw-apache"))
		cl, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers()...), tlsOpt, mech("wrong"), kgo.RequestRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		err = cl.Ping(ctx)
		cl.Close()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "auth") {
			t.Errorf("%s with a wrong password: got %v, want an authentication failure", name, err)
		}
	}
}

// TestChatpulseBinaryDoesNotLinkTesting guards the split between testenv's start functions,
// which the demo uses, and its test helpers.
func TestChatpulseBinaryDoesNotLinkTesting(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", "../cmd/chatpulse").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" {
			t.Fatal("cmd/chatpulse links the testing package")
		}
	}
}

func TestDockerComposeRunsTheTestedKafkaVersion(t *testing.T) {
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	if want := "image: apache/kafka:" + ApacheKafkaVersion() + "\n"; !strings.Contains(string(b), want) {
		t.Fatalf("docker-compose.yml does not say %q", strings.TrimSpace(want))
	}
}
