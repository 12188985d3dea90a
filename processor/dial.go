package processor

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/chatpulse/chatpulse/secret"
	"github.com/chatpulse/chatpulse/tlsconf"
)

// Dial is how every Kafka client of chatpulse reaches and authenticates to the brokers: the
// consumer, the producers and the admin clients all take their options from it.
type Dial struct {
	Brokers               []string `envconfig:"KAFKA_BROKERS" default:"127.0.0.1:9092"`
	TLS                   bool     `envconfig:"KAFKA_TLS"`
	TLSCAFile             string   `envconfig:"KAFKA_TLS_CA_FILE"`
	TLSCertFile           string   `envconfig:"KAFKA_TLS_CERT_FILE"`
	TLSKeyFile            string   `envconfig:"KAFKA_TLS_KEY_FILE"`
	TLSServerName         string   `envconfig:"KAFKA_TLS_SERVER_NAME"`
	TLSInsecureSkipVerify bool     `envconfig:"KAFKA_TLS_INSECURE_SKIP_VERIFY"`
	// SASLMechanism is none, plain, scram-sha-256 or scram-sha-512.
	SASLMechanism    string       `envconfig:"KAFKA_SASL_MECHANISM" default:"none"`
	SASLUser         string       `envconfig:"KAFKA_SASL_USER"`
	SASLPassword     secret.Value `envconfig:"KAFKA_SASL_PASSWORD"`
	SASLPasswordFile secret.File  `envconfig:"KAFKA_SASL_PASSWORD_FILE"`
}

// The SASL mechanisms, as CHATPULSE_KAFKA_SASL_MECHANISM names them.
const (
	SASLNone        = "none"
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

var kafkaTLSVars = tlsconf.VarsFor("CHATPULSE_KAFKA_TLS")

func (d Dial) tlsSettings() tlsconf.Settings {
	return tlsconf.Settings{
		Enabled: d.TLS, CAFile: d.TLSCAFile, CertFile: d.TLSCertFile, KeyFile: d.TLSKeyFile,
		ServerName: d.TLSServerName, InsecureSkipVerify: d.TLSInsecureSkipVerify,
	}
}

func (d Dial) mechanism() string {
	if d.SASLMechanism == "" {
		return SASLNone
	}
	return strings.ToLower(d.SASLMechanism)
}

func (d Dial) password() (secret.Value, error) {
	return secret.Pick("CHATPULSE_KAFKA_SASL_PASSWORD", d.SASLPassword, "CHATPULSE_KAFKA_SASL_PASSWORD_FILE", d.SASLPasswordFile)
}

// validate reports every setting that cannot work, each naming its variable. It reads the TLS
// files, so that a missing or unreadable one is reported at start.
func (d Dial) validate() []error {
	var errs []error
	if len(d.Brokers) == 0 {
		errs = append(errs, errors.New("CHATPULSE_KAFKA_BROKERS: at least one broker is required"))
	}
	for _, b := range d.Brokers {
		if err := secret.CheckAddr("CHATPULSE_KAFKA_BROKERS", b); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := d.tlsSettings().Config(kafkaTLSVars); err != nil {
		errs = append(errs, err)
	}
	pw, err := d.password()
	if err != nil {
		errs = append(errs, err)
	}
	switch m := d.mechanism(); m {
	case SASLNone:
		if d.SASLUser != "" || !pw.IsZero() {
			errs = append(errs, errors.New("CHATPULSE_KAFKA_SASL_USER and CHATPULSE_KAFKA_SASL_PASSWORD (or _FILE): set, but CHATPULSE_KAFKA_SASL_MECHANISM is none"))
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if d.SASLUser == "" {
			errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_SASL_USER: required with CHATPULSE_KAFKA_SASL_MECHANISM=%s", m))
		}
		if pw.IsZero() && err == nil {
			errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_SASL_PASSWORD or CHATPULSE_KAFKA_SASL_PASSWORD_FILE: required with CHATPULSE_KAFKA_SASL_MECHANISM=%s", m))
		}
	default:
		errs = append(errs, fmt.Errorf("CHATPULSE_KAFKA_SASL_MECHANISM: must be none, plain, scram-sha-256 or scram-sha-512, got %q", d.SASLMechanism))
	}
	return errs
}

// ClientOpts are the options that reach and authenticate to the brokers: seed brokers, TLS and
// SASL. Every client the processor creates starts from them.
func (d Dial) ClientOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(d.Brokers...)}
	tlsCfg, err := d.tlsSettings().Config(kafkaTLSVars)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	mech, err := d.saslMechanism()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

func (d Dial) saslMechanism() (sasl.Mechanism, error) {
	pw, err := d.password()
	if err != nil {
		return nil, err
	}
	switch d.mechanism() {
	case SASLNone:
		return nil, nil
	case SASLPlain:
		return plain.Auth{User: d.SASLUser, Pass: pw.Reveal()}.AsMechanism(), nil
	case SASLScramSHA256:
		return scram.Auth{User: d.SASLUser, Pass: pw.Reveal()}.AsSha256Mechanism(), nil
	case SASLScramSHA512:
		return scram.Auth{User: d.SASLUser, Pass: pw.Reveal()}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("CHATPULSE_KAFKA_SASL_MECHANISM: unknown mechanism %q", d.SASLMechanism)
}

// warn logs the settings that work but expose the connection.
func (d Dial) warn(log *slog.Logger) {
	if d.mechanism() != SASLNone && !d.TLS {
		log.Warn("Kafka SASL credentials travel in plaintext without TLS; set CHATPULSE_KAFKA_TLS=true",
			"mechanism", d.mechanism(), "user", d.SASLUser)
	}
	if d.TLS && d.TLSInsecureSkipVerify {
		log.Warn("CHATPULSE_KAFKA_TLS_INSECURE_SKIP_VERIFY is set: the brokers' certificates are not verified, anyone on the path can read and change the traffic")
	}
}
