package sink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/secret"
	"github.com/chatpulse/chatpulse/testenv"
)

const (
	appUser     = "chatpulse_app"
	appPassword = "ch-Pw-9x-never-printed"
)

// TestTLSAndAPasswordReachClickHouse connects as a password user over the native protocol's
// TLS port of a real 18.16 server whose certificate a test CA signed.
func TestTLSAndAPasswordReachClickHouse(t *testing.T) {
	dir := t.TempDir()
	ca, err := testenv.NewCA("chatpulse test ca")
	if err != nil {
		t.Fatal(err)
	}
	caFile, err := ca.WriteCert(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testenv.NewCA("another ca")
	if err != nil {
		t.Fatal(err)
	}
	otherFile, err := other.WriteCert(dir, "other.pem")
	if err != nil {
		t.Fatal(err)
	}
	passwordFile := filepath.Join(dir, "password")
	if err := os.WriteFile(passwordFile, []byte(appPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := secret.ReadFile(passwordFile)
	if err != nil {
		t.Fatal(err)
	}
	ch := testenv.ClickHouseForTest(t, testenv.WithTLS(ca), testenv.WithUser(appUser, appPassword))
	secure := func() Config {
		cfg := DefaultConfig()
		cfg.Addr, cfg.Database = ch.TLSAddr(), testDatabase(t)
		cfg.User, cfg.Password = appUser, secret.New(appPassword)
		cfg.TLS, cfg.TLSCAFile = true, caFile
		cfg.DialTimeout = 2 * time.Second
		return cfg
	}

	t.Run("the password user migrates and inserts over TLS", func(t *testing.T) {
		ctx := context.Background()
		c, err := Open(ctx, secure(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		set := &rows.Set{Messages: []rows.Message{{Source: "causalfoundry", MsgID: "m1", SenderID: "u1", SentAtMs: 1700000000000}}}
		if err := c.Insert(ctx, set); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a password read from a file works the same", func(t *testing.T) {
		cfg := secure()
		cfg.Password, cfg.PasswordFile = secret.Value{}, fromFile
		c, err := Open(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})

	refusals := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"a wrong password fails naming the user and never the password",
			func(c *Config) { c.Password = secret.New("wrong-" + appPassword) },
			[]string{appUser, "password"}},
		{"a CA that did not sign the server's certificate fails as untrusted",
			func(c *Config) { c.TLSCAFile = otherFile },
			[]string{"certificate signed by unknown authority"}},
		{"TLS to the plaintext port fails",
			func(c *Config) { c.Addr = ch.Addr() },
			[]string{ch.Addr()}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			cfg := secure()
			tt.change(&cfg)
			// Connect, which a worker starts with, waits for a server that does not answer yet;
			// a refusal must end it at once. The deadline is far beyond what that takes.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := Connect(ctx, cfg, nil, nil)
			if err == nil {
				c.Close()
				t.Fatal("the connection was accepted")
			}
			if ctx.Err() != nil {
				t.Fatalf("Connect retried until its deadline instead of failing: %v", err)
			}
			t.Logf("the user sees: %v", err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), appPassword) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestSecuritySettingsThatCannotWorkNameTheirVariable(t *testing.T) {
	dir := t.TempDir()
	ca, err := testenv.NewCA("test ca")
	if err != nil {
		t.Fatal(err)
	}
	caFile, err := ca.WriteCert(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.Issue("client")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := kp.Write(dir, "client")
	if err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("pw-file-8R"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := secret.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" when valid
	}{
		{"a password and a password file together are rejected", func(c *Config) { c.Password, c.PasswordFile = secret.New("pw-direct-7Q"), fromFile },
			"CHATPULSE_CLICKHOUSE_PASSWORD and CHATPULSE_CLICKHOUSE_PASSWORD_FILE"},
		{"a password file alone is accepted", func(c *Config) { c.PasswordFile = fromFile }, ""},
		{"a CA file without TLS is rejected", func(c *Config) { c.TLSCAFile = caFile }, "CHATPULSE_CLICKHOUSE_TLS_CA_FILE"},
		{"a server name without TLS is rejected", func(c *Config) { c.TLSServerName = "ch" }, "CHATPULSE_CLICKHOUSE_TLS_SERVER_NAME"},
		{"skipping verification without TLS is rejected", func(c *Config) { c.TLSInsecureSkipVerify = true }, "CHATPULSE_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY"},
		{"a missing CA file is rejected", func(c *Config) { c.TLS, c.TLSCAFile = true, filepath.Join(dir, "none.pem") }, "CHATPULSE_CLICKHOUSE_TLS_CA_FILE"},
		{"a client certificate without its key is rejected", func(c *Config) { c.TLS, c.TLSCertFile = true, certFile }, "CHATPULSE_CLICKHOUSE_TLS_KEY_FILE"},
		{"a client key without its certificate is rejected", func(c *Config) { c.TLS, c.TLSKeyFile = true, keyFile }, "CHATPULSE_CLICKHOUSE_TLS_CERT_FILE"},
		{"TLS with a CA and a client certificate is accepted", func(c *Config) {
			c.TLS, c.TLSCAFile, c.TLSCertFile, c.TLSKeyFile, c.TLSServerName = true, caFile, certFile, keyFile, "ch"
		}, ""},
		{"TLS with the system's roots is accepted", func(c *Config) { c.TLS = true }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), "pw-direct-7Q") || strings.Contains(err.Error(), "pw-file-8R")) {
				t.Fatalf("the error shows a password: %v", err)
			}
		})
	}
}
