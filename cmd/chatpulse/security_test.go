package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// Distinctive secret values: none may ever appear in what chatpulse prints.
const (
	kafkaPassword   = "kafka-PW-71c3e0"
	clickPassword   = "click-PW-5ab9d2"
	pseudonymizeKey = "pseudo-KEY-0f4e8a77c1"
	kafkaUser       = "chatpulse-svc"
	clickUser       = "chatpulse_svc"
)

var secrets = []string{kafkaPassword, clickPassword, pseudonymizeKey}

func TestSecurityVariablesThatCannotWorkAreRejected(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pwFile := file("pw", kafkaPassword+"\n")
	keyFile := file("key", pseudonymizeKey+"\n")
	notPEM := file("not.pem", "not a certificate")
	missing := filepath.Join(dir, "missing")
	type env map[string]string
	tests := []struct {
		name     string
		env      env
		variable string
	}{
		{"a Kafka TLS flag that is not a boolean is rejected", env{"CHATPULSE_KAFKA_TLS": "maybe"}, "CHATPULSE_KAFKA_TLS"},
		{"a Kafka CA file without Kafka TLS is rejected", env{"CHATPULSE_KAFKA_TLS_CA_FILE": notPEM}, "CHATPULSE_KAFKA_TLS_CA_FILE"},
		{"a missing Kafka CA file is rejected", env{"CHATPULSE_KAFKA_TLS": "true", "CHATPULSE_KAFKA_TLS_CA_FILE": missing}, "CHATPULSE_KAFKA_TLS_CA_FILE"},
		{"a Kafka CA file without a certificate is rejected", env{"CHATPULSE_KAFKA_TLS": "true", "CHATPULSE_KAFKA_TLS_CA_FILE": notPEM}, "CHATPULSE_KAFKA_TLS_CA_FILE"},
		{"a Kafka client certificate without its key is rejected", env{"CHATPULSE_KAFKA_TLS": "true", "CHATPULSE_KAFKA_TLS_CERT_FILE": notPEM}, "CHATPULSE_KAFKA_TLS_KEY_FILE"},
		{"a Kafka client key without its certificate is rejected", env{"CHATPULSE_KAFKA_TLS": "true", "CHATPULSE_KAFKA_TLS_KEY_FILE": notPEM}, "CHATPULSE_KAFKA_TLS_CERT_FILE"},
		{"a Kafka server name without Kafka TLS is rejected", env{"CHATPULSE_KAFKA_TLS_SERVER_NAME": "kafka"}, "CHATPULSE_KAFKA_TLS_SERVER_NAME"},
		{"skipping Kafka verification without Kafka TLS is rejected", env{"CHATPULSE_KAFKA_TLS_INSECURE_SKIP_VERIFY": "true"}, "CHATPULSE_KAFKA_TLS_INSECURE_SKIP_VERIFY"},
		{"an unknown SASL mechanism is rejected", env{"CHATPULSE_KAFKA_SASL_MECHANISM": "gssapi"}, "CHATPULSE_KAFKA_SASL_MECHANISM"},
		{"a SASL mechanism without a user is rejected", env{"CHATPULSE_KAFKA_SASL_MECHANISM": "plain", "CHATPULSE_KAFKA_SASL_PASSWORD": kafkaPassword}, "CHATPULSE_KAFKA_SASL_USER"},
		{"a SASL mechanism without a password is rejected", env{"CHATPULSE_KAFKA_SASL_MECHANISM": "scram-sha-256", "CHATPULSE_KAFKA_SASL_USER": kafkaUser}, "CHATPULSE_KAFKA_SASL_PASSWORD"},
		{"a SASL password without a mechanism is rejected", env{"CHATPULSE_KAFKA_SASL_USER": kafkaUser, "CHATPULSE_KAFKA_SASL_PASSWORD": kafkaPassword}, "CHATPULSE_KAFKA_SASL_MECHANISM"},
		{"a SASL password given twice is rejected", env{"CHATPULSE_KAFKA_SASL_MECHANISM": "plain", "CHATPULSE_KAFKA_SASL_USER": kafkaUser,
			"CHATPULSE_KAFKA_SASL_PASSWORD": kafkaPassword, "CHATPULSE_KAFKA_SASL_PASSWORD_FILE": pwFile}, "CHATPULSE_KAFKA_SASL_PASSWORD_FILE"},
		{"a missing SASL password file is rejected", env{"CHATPULSE_KAFKA_SASL_PASSWORD_FILE": missing}, "CHATPULSE_KAFKA_SASL_PASSWORD_FILE"},
		{"a ClickHouse password given twice is rejected", env{"CHATPULSE_CLICKHOUSE_PASSWORD": clickPassword, "CHATPULSE_CLICKHOUSE_PASSWORD_FILE": pwFile}, "CHATPULSE_CLICKHOUSE_PASSWORD_FILE"},
		{"a missing ClickHouse password file is rejected", env{"CHATPULSE_CLICKHOUSE_PASSWORD_FILE": missing}, "CHATPULSE_CLICKHOUSE_PASSWORD_FILE"},
		{"a ClickHouse TLS flag that is not a boolean is rejected", env{"CHATPULSE_CLICKHOUSE_TLS": "yes please"}, "CHATPULSE_CLICKHOUSE_TLS"},
		{"a ClickHouse CA file without ClickHouse TLS is rejected", env{"CHATPULSE_CLICKHOUSE_TLS_CA_FILE": notPEM}, "CHATPULSE_CLICKHOUSE_TLS_CA_FILE"},
		{"a missing ClickHouse CA file is rejected", env{"CHATPULSE_CLICKHOUSE_TLS": "true", "CHATPULSE_CLICKHOUSE_TLS_CA_FILE": missing}, "CHATPULSE_CLICKHOUSE_TLS_CA_FILE"},
		{"a ClickHouse client certificate without its key is rejected", env{"CHATPULSE_CLICKHOUSE_TLS": "true", "CHATPULSE_CLICKHOUSE_TLS_CERT_FILE": notPEM}, "CHATPULSE_CLICKHOUSE_TLS_KEY_FILE"},
		{"a ClickHouse client key without its certificate is rejected", env{"CHATPULSE_CLICKHOUSE_TLS": "true", "CHATPULSE_CLICKHOUSE_TLS_KEY_FILE": notPEM}, "CHATPULSE_CLICKHOUSE_TLS_CERT_FILE"},
		{"a ClickHouse server name without ClickHouse TLS is rejected", env{"CHATPULSE_CLICKHOUSE_TLS_SERVER_NAME": "ch"}, "CHATPULSE_CLICKHOUSE_TLS_SERVER_NAME"},
		{"skipping ClickHouse verification without ClickHouse TLS is rejected", env{"CHATPULSE_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY": "true"}, "CHATPULSE_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY"},
		{"a pseudonymization key under 16 bytes is rejected", env{"CHATPULSE_PSEUDONYMIZE_KEY": "short-key-Q9"}, "CHATPULSE_PSEUDONYMIZE_KEY"},
		{"a pseudonymization key given twice is rejected", env{"CHATPULSE_PSEUDONYMIZE_KEY": pseudonymizeKey, "CHATPULSE_PSEUDONYMIZE_KEY_FILE": keyFile}, "CHATPULSE_PSEUDONYMIZE_KEY_FILE"},
		{"a missing pseudonymization key file is rejected", env{"CHATPULSE_PSEUDONYMIZE_KEY_FILE": missing}, "CHATPULSE_PSEUDONYMIZE_KEY_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := loadConfig()
			if err == nil {
				t.Fatalf("%v was accepted", tt.env)
			}
			if !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("the error does not name %s: %v", tt.variable, err)
			}
			for _, s := range append(secrets, "short-key-Q9") {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("the error shows a secret: %v", err)
				}
			}
		})
	}
}

func TestSecuritySettingsThatWorkAreAccepted(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(kafkaPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type env map[string]string
	tests := []struct {
		name  string
		env   env
		check func(config) bool
	}{
		{"SASL over TLS with a password file is read", env{"CHATPULSE_KAFKA_TLS": "true", "CHATPULSE_KAFKA_SASL_MECHANISM": "scram-sha-512",
			"CHATPULSE_KAFKA_SASL_USER": kafkaUser, "CHATPULSE_KAFKA_SASL_PASSWORD_FILE": pwFile},
			func(c config) bool { return c.Processor.SASLPasswordFile.Reveal() == kafkaPassword && c.Processor.TLS }},
		{"SASL without TLS is accepted", env{"CHATPULSE_KAFKA_SASL_MECHANISM": "PLAIN",
			"CHATPULSE_KAFKA_SASL_USER": kafkaUser, "CHATPULSE_KAFKA_SASL_PASSWORD": kafkaPassword},
			func(c config) bool { return c.Processor.SASLPassword.Reveal() == kafkaPassword }},
		{"a pseudonymization key of 16 bytes is accepted", env{"CHATPULSE_PSEUDONYMIZE_KEY": "0123456789abcdef"},
			func(c config) bool { return c.Processor.PseudonymizeKey.Len() == 16 }},
		{"a ClickHouse password file is read", env{"CHATPULSE_CLICKHOUSE_PASSWORD_FILE": pwFile, "CHATPULSE_CLICKHOUSE_TLS": "true"},
			func(c config) bool { return c.Sink.PasswordFile.Reveal() == kafkaPassword && c.Sink.TLS }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := loadConfig()
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("the configuration does not hold the settings: %+v", c)
			}
		})
	}
}

// secureEnv is a deployment with TLS and SASL to Kafka, TLS and a password user to ClickHouse,
// and pseudonymization, every secret distinctive.
type secureEnv struct {
	kafka *testenv.Kafka
	ch    *testenv.ClickHouse
	dir   string
}

func startSecureEnv(t *testing.T) secureEnv {
	t.Helper()
	ca, err := testenv.NewCA("chatpulse test ca")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, err := ca.WriteCert(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	kafka := testenv.SecureKafkaForTest(t, ca, "SCRAM-SHA-256", kafkaUser, kafkaPassword)
	ch := testenv.ClickHouseForTest(t, testenv.WithTLS(ca), testenv.WithUser(clickUser, clickPassword))
	clearEnv(t)
	for k, v := range map[string]string{
		"CHATPULSE_KAFKA_BROKERS":          kafka.Brokers()[0],
		"CHATPULSE_KAFKA_TLS":              "true",
		"CHATPULSE_KAFKA_TLS_CA_FILE":      caFile,
		"CHATPULSE_KAFKA_SASL_MECHANISM":   "scram-sha-256",
		"CHATPULSE_KAFKA_SASL_USER":        kafkaUser,
		"CHATPULSE_CLICKHOUSE_ADDR":        ch.TLSAddr(),
		"CHATPULSE_CLICKHOUSE_TLS":         "true",
		"CHATPULSE_CLICKHOUSE_TLS_CA_FILE": caFile,
		"CHATPULSE_CLICKHOUSE_USER":        clickUser,
		"CHATPULSE_INPUT_TOPICS":           "raw=causalfoundry",
		"CHATPULSE_GROUP":                  "secure",
		"CHATPULSE_COMMIT_INTERVAL":        "100ms",
		"CHATPULSE_FLUSH_INTERVAL":         "100ms",
		"CHATPULSE_HTTP_ADDR":              "127.0.0.1:0",
		"CHATPULSE_LOG_LEVEL":              "debug",
	} {
		t.Setenv(k, v)
	}
	return secureEnv{kafka: kafka, ch: ch, dir: dir}
}

// setSecrets gives the three secrets as variables, or as files when asFiles is set.
func (e secureEnv) setSecrets(t *testing.T, asFiles bool, kafkaPW string) {
	t.Helper()
	for name, value := range map[string]string{
		"CHATPULSE_KAFKA_SASL_PASSWORD": kafkaPW,
		"CHATPULSE_CLICKHOUSE_PASSWORD": clickPassword,
		"CHATPULSE_PSEUDONYMIZE_KEY":    pseudonymizeKey,
	} {
		if !asFiles {
			t.Setenv(name, value)
			continue
		}
		path := filepath.Join(e.dir, strings.ToLower(name))
		if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(name+"_FILE", path)
	}
}

// lockedBuffer is written by the worker's logger while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func assertNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q", what, s)
		}
	}
}

// TestRunPrintsNoSecret runs `chatpulse run` at debug level against TLS and SASL Kafka and a
// TLS, password-protected ClickHouse until it has processed a seed, then stops it, and finds no
// secret in anything it printed or served.
func TestRunPrintsNoSecret(t *testing.T) {
	seed, err := os.ReadFile("../../decode/testdata/causalfoundry/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		asFiles bool
	}{
		{"secrets given as variables are never printed", false},
		{"secrets given as files are never printed", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := startSecureEnv(t)
			e.setSecrets(t, tt.asFiles, kafkaPassword)
			cfg, err := loadConfig()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := processor.CreateTopic(ctx, cfg.Processor.Dial, "raw", 2); err != nil {
				t.Fatal(err)
			}
			if _, err := processor.ProduceLines(ctx, cfg.Processor.Dial, "raw", bytes.NewReader(seed)); err != nil {
				t.Fatal(err)
			}
			addr := freeAddr(t)
			t.Setenv("CHATPULSE_HTTP_ADDR", addr)
			var stdout, stderr lockedBuffer
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- run(runCtx, []string{"run"}, &stdout, &stderr) }()
			waitLagZero(ctx, t, cfg.Processor, done)
			// What the worker serves over HTTP shows no secret either.
			for _, path := range []string{"/", "/status", "/metrics", "/readyz"} {
				assertNoSecrets(t, path, httpBody(t, "http://"+addr+path))
			}
			stop()
			if err := <-done; err != nil {
				t.Fatalf("run: %v\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "level=DEBUG") && !strings.Contains(stderr.String(), "partitions assigned") {
				t.Fatalf("the worker logged nothing:\n%s", stderr.String())
			}
			assertNoSecrets(t, "stderr", stderr.String())
			assertNoSecrets(t, "stdout", stdout.String())
		})
	}
}

// TestAWrongKafkaPasswordStopsRunWithoutPrintingIt checks what a user sees when the broker
// refuses the credentials.
func TestAWrongKafkaPasswordStopsRunWithoutPrintingIt(t *testing.T) {
	e := startSecureEnv(t)
	const wrong = "wrong-" + kafkaPassword
	e.setSecrets(t, true, wrong)
	// Refused credentials end the worker: it must not wait for Kafka as for a broker that is
	// down. The deadline is far beyond what that takes.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stdout, stderr lockedBuffer
	err := run(ctx, []string{"run"}, &stdout, &stderr)
	if err == nil {
		t.Fatal("run accepted a wrong password")
	}
	if ctx.Err() != nil {
		t.Fatalf("run waited until its deadline instead of failing: %v", err)
	}
	t.Logf("the user sees: %v", err)
	for _, w := range []string{"SASL authentication failed", "scram-sha-256", kafkaUser} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q: %v", w, err)
		}
	}
	for _, out := range []string{err.Error(), stderr.String(), stdout.String()} {
		assertNoSecrets(t, "the output", out)
		if strings.Contains(out, wrong) {
			t.Errorf("the wrong password is printed: %s", out)
		}
	}
}

func TestInvalidConfigurationPrintsNoSecret(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"a short key is rejected without printing it", map[string]string{"CHATPULSE_PSEUDONYMIZE_KEY": "tiny-Key-Z"}},
		{"a bad mechanism is rejected without printing the password", map[string]string{
			"CHATPULSE_KAFKA_SASL_MECHANISM": "md5", "CHATPULSE_KAFKA_SASL_USER": kafkaUser, "CHATPULSE_KAFKA_SASL_PASSWORD": kafkaPassword}},
		{"a bad ClickHouse address is rejected without printing the password", map[string]string{
			"CHATPULSE_CLICKHOUSE_ADDR": "nowhere", "CHATPULSE_CLICKHOUSE_PASSWORD": clickPassword, "CHATPULSE_PSEUDONYMIZE_KEY": pseudonymizeKey}},
		{"a ClickHouse URL with a password in it is rejected without printing the password", map[string]string{
			"CHATPULSE_CLICKHOUSE_ADDR": "clickhouse://" + clickUser + ":" + clickPassword + "@ch:9000/db"}},
		{"a ClickHouse address with credentials is rejected without printing them", map[string]string{
			"CHATPULSE_CLICKHOUSE_ADDR": clickPassword + "@ch:9000"}},
		{"a ClickHouse DSN with a password option is rejected without printing the password", map[string]string{
			"CHATPULSE_CLICKHOUSE_ADDR": "ch:9000?username=" + clickUser + "&password=" + clickPassword}},
		{"a broker URL with a password in it is rejected without printing the password", map[string]string{
			"CHATPULSE_KAFKA_BROKERS": "sasl://" + kafkaUser + ":" + kafkaPassword + "@kafka:9092"}},
		{"a password given twice is rejected without printing it", map[string]string{
			"CHATPULSE_CLICKHOUSE_PASSWORD": clickPassword, "CHATPULSE_CLICKHOUSE_PASSWORD_FILE": "/etc/hostname"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"run"}, &stdout, &stderr)
			if err == nil || errors.Is(err, errUsage) {
				t.Fatalf("run: %v", err)
			}
			for _, out := range []string{err.Error(), stderr.String(), stdout.String()} {
				assertNoSecrets(t, "the output", out)
				if strings.Contains(out, "tiny-Key-Z") {
					t.Errorf("the short key is printed: %s", out)
				}
			}
		})
	}
}

// waitLagZero waits until the group has committed everything, or fails when the worker stops.
func waitLagZero(ctx context.Context, t *testing.T, cfg processor.Config, done <-chan error) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			t.Fatalf("the worker stopped early: %v", err)
		case <-ctx.Done():
			t.Fatal("the group did not catch up")
		case <-tick.C:
		}
		if lag, err := processor.Lag(ctx, cfg); err == nil && lag == 0 {
			if n, err := processor.Lag(ctx, cfg); err == nil && n == 0 {
				return
			}
		}
	}
}
