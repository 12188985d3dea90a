package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Settings are the TLS settings of one client. Each field is read from a variable named after a
// common prefix: Enabled from the prefix itself (CHATPULSE_KAFKA_TLS), the others from the
// prefix plus a suffix (CHATPULSE_KAFKA_TLS_CA_FILE); see Vars.
type Settings struct {
	Enabled bool
	// CAFile holds the PEM certificates that may sign the server's certificate; empty trusts
	// the system's roots.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and key, for servers that
	// authenticate clients by certificate; both or neither.
	CertFile, KeyFile string
	// ServerName is the name the server certificate must carry; empty takes it from the
	// address dialed.
	ServerName string
	// InsecureSkipVerify accepts any server certificate, which lets anyone on the path read and
	// change the traffic.
	InsecureSkipVerify bool
}

// Vars names the variables the settings are read from.
type Vars struct {
	Enabled, CAFile, CertFile, KeyFile, ServerName, InsecureSkipVerify string
}

// VarsFor returns the variable names for prefix: prefix, prefix_CA_FILE, prefix_CERT_FILE,
// prefix_KEY_FILE, prefix_SERVER_NAME and prefix_INSECURE_SKIP_VERIFY.
func VarsFor(prefix string) Vars {
	return Vars{
		Enabled:            prefix,
		CAFile:             prefix + "_CA_FILE",
		CertFile:           prefix + "_CERT_FILE",
		KeyFile:            prefix + "_KEY_FILE",
		ServerName:         prefix + "_SERVER_NAME",
		InsecureSkipVerify: prefix + "_INSECURE_SKIP_VERIFY",
	}
}

// Config reads the files and returns the client configuration, or nil when TLS is off. Every
// problem is reported, each naming its variable from vars.
func (s Settings) Config(vars Vars) (*tls.Config, error) {
	if !s.Enabled {
		var errs []error
		for _, set := range []struct {
			name string
			on   bool
		}{
			{vars.CAFile, s.CAFile != ""},
			{vars.CertFile, s.CertFile != ""},
			{vars.KeyFile, s.KeyFile != ""},
			{vars.ServerName, s.ServerName != ""},
			{vars.InsecureSkipVerify, s.InsecureSkipVerify},
		} {
			if set.on {
				// Quietly connecting in plaintext would defeat what the variable asks for.
				errs = append(errs, fmt.Errorf("%s: set, but %s is false", set.name, vars.Enabled))
			}
		}
		return nil, errors.Join(errs...)
	}
	var errs []error
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         s.ServerName,
		InsecureSkipVerify: s.InsecureSkipVerify,
	}
	if s.CAFile != "" {
		pool, err := loadPool(s.CAFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", vars.CAFile, err))
		}
		cfg.RootCAs = pool
	}
	switch {
	case s.CertFile != "" && s.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s and %s: %w", vars.CertFile, vars.KeyFile, err))
		}
		cfg.Certificates = []tls.Certificate{cert}
	case s.CertFile != "":
		errs = append(errs, fmt.Errorf("%s: set without %s; a client certificate needs both", vars.CertFile, vars.KeyFile))
	case s.KeyFile != "":
		errs = append(errs, fmt.Errorf("%s: set without %s; a client certificate needs both", vars.KeyFile, vars.CertFile))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no PEM certificate in %s", path)
	}
	return pool, nil
}
