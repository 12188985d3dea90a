package tlsconf_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/testenv"
	"github.com/chatpulse/chatpulse/tlsconf"
)

var vars = tlsconf.VarsFor("CHATPULSE_X_TLS")

func TestSettingsThatCannotWorkNameTheirVariable(t *testing.T) {
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
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name     string
		settings tlsconf.Settings
		variable string
	}{
		{"a CA file without TLS is rejected", tlsconf.Settings{CAFile: caFile}, vars.CAFile},
		{"a server name without TLS is rejected", tlsconf.Settings{ServerName: "kafka"}, vars.ServerName},
		{"skipping verification without TLS is rejected", tlsconf.Settings{InsecureSkipVerify: true}, vars.InsecureSkipVerify},
		{"a client certificate without TLS is rejected", tlsconf.Settings{CertFile: certFile, KeyFile: keyFile}, vars.CertFile},
		{"a missing CA file is rejected", tlsconf.Settings{Enabled: true, CAFile: missing}, vars.CAFile},
		{"a CA file without a certificate is rejected", tlsconf.Settings{Enabled: true, CAFile: notPEM}, vars.CAFile},
		{"a certificate without its key is rejected", tlsconf.Settings{Enabled: true, CertFile: certFile}, vars.KeyFile},
		{"a key without its certificate is rejected", tlsconf.Settings{Enabled: true, KeyFile: keyFile}, vars.CertFile},
		{"a key that is not PEM is rejected", tlsconf.Settings{Enabled: true, CertFile: certFile, KeyFile: notPEM}, vars.KeyFile},
		{"a missing certificate file is rejected", tlsconf.Settings{Enabled: true, CertFile: missing, KeyFile: keyFile}, vars.CertFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.settings.Config(vars)
			if err == nil {
				t.Fatalf("%+v was accepted", tt.settings)
			}
			if !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("the error does not name %s: %v", tt.variable, err)
			}
		})
	}
}

func TestValidSettingsBuildAClientConfiguration(t *testing.T) {
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
	t.Run("TLS off gives no configuration", func(t *testing.T) {
		cfg, err := tlsconf.Settings{}.Config(vars)
		if err != nil || cfg != nil {
			t.Fatalf("got %v, %v", cfg, err)
		}
	})
	t.Run("every setting reaches the configuration", func(t *testing.T) {
		cfg, err := tlsconf.Settings{Enabled: true, CAFile: caFile, CertFile: certFile, KeyFile: keyFile, ServerName: "kafka.internal"}.Config(vars)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "kafka.internal" || cfg.InsecureSkipVerify || cfg.MinVersion != tls.VersionTLS12 {
			t.Fatalf("configuration %+v", cfg)
		}
	})
	t.Run("a server signed by the CA is trusted and one signed by another is not", func(t *testing.T) {
		cfg, err := tlsconf.Settings{Enabled: true, CAFile: caFile}.Config(vars)
		if err != nil {
			t.Fatal(err)
		}
		other, err := testenv.NewCA("other ca")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			server *testenv.CA
			trust  bool
		}{{ca, true}, {other, false}} {
			serverCfg, err := c.server.ServerTLS()
			if err != nil {
				t.Fatal(err)
			}
			err = handshake(t, serverCfg, cfg)
			if (err == nil) != c.trust {
				t.Fatalf("handshake with trust=%v: %v", c.trust, err)
			}
		}
	})
}

// handshake runs one TLS handshake over loopback and returns the client's error.
func handshake(t *testing.T, server, client *tls.Config) error {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		_ = c.(*tls.Conn).Handshake()
		c.Close()
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg := client.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = "127.0.0.1"
	}
	return tls.Client(conn, cfg).Handshake()
}
