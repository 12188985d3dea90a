package processor

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// client is a Kafka client that can say why it failed to reach the brokers.
type client struct {
	*kgo.Client
	dial Dial
	auth *authWatch
}

// newClient creates a client with the dial options, then opts, then extra.
func newClient(d Dial, extra []kgo.Opt, opts ...kgo.Opt) (client, error) {
	base, err := d.ClientOpts()
	if err != nil {
		return client{}, fmt.Errorf("kafka client: %w", err)
	}
	auth := &authWatch{}
	base = append(base, kgo.WithHooks(auth))
	cl, err := kgo.NewClient(append(append(base, opts...), extra...)...)
	if err != nil {
		return client{}, fmt.Errorf("kafka client: %w", err)
	}
	return client{Client: cl, dial: d, auth: auth}, nil
}

// explain makes a failure to reach Kafka say what the user can check: the credentials when
// authentication failed, the certificates when the brokers' is not trusted. The password never
// appears.
func (c client) explain(err error) error {
	if err == nil {
		return nil
	}
	d := c.dial
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	switch {
	case errors.As(err, &certErr) || errors.As(err, &unknownAuth):
		return fmt.Errorf("kafka TLS: the brokers' certificate is not trusted (check CHATPULSE_KAFKA_TLS_CA_FILE and CHATPULSE_KAFKA_TLS_SERVER_NAME): %w", err)
	case d.mechanism() != SASLNone && (c.auth.failed.Load() || isAuthError(err)):
		return fmt.Errorf("kafka SASL authentication failed (mechanism %s, user %q): check CHATPULSE_KAFKA_SASL_USER and the password: %w",
			d.mechanism(), d.SASLUser, err)
	}
	return err
}

func isAuthError(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.IllegalSaslState) ||
		errors.Is(err, kerr.UnsupportedSaslMechanism)
}

// authWatch notes a failed SASL exchange. Brokers that refuse credentials answer with an error
// code, or just close the connection, which leaves the request that needed it with an EOF or a
// timeout that does not say why.
type authWatch struct {
	failed atomic.Bool
}

func (w *authWatch) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil && (key == int16(kmsg.SASLAuthenticate) || key == int16(kmsg.SASLHandshake)) {
		w.failed.Store(true)
	}
}
