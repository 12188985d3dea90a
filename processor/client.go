package processor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
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
	stop context.CancelFunc // ends the context of newCallClient; nil for other clients
}

// newClient creates a client with the dial options, then opts, then extra.
func newClient(d Dial, extra []kgo.Opt, opts ...kgo.Opt) (client, error) {
	base, err := d.ClientOpts()
	if err != nil {
		return client{}, fmt.Errorf("kafka client: %w", err)
	}
	auth := &authWatch{refused: make(chan struct{})}
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
	switch {
	case untrustedCert(err):
		return fmt.Errorf("%w (check CHATPULSE_KAFKA_TLS_CA_FILE and CHATPULSE_KAFKA_TLS_SERVER_NAME): %w", errUntrusted, err)
	case d.mechanism() != SASLNone && (c.auth.failed.Load() || isAuthError(err)):
		if errors.Is(err, context.Canceled) && c.auth.failed.Load() {
			err = errors.New("the brokers refused the credentials") // newCallClient ended the call
		}
		return fmt.Errorf("%w (mechanism %s, user %q): check CHATPULSE_KAFKA_SASL_USER and the password: %w",
			errAuthFailed, d.mechanism(), d.SASLUser, err)
	}
	return err
}

var (
	errUntrusted  = errors.New("kafka TLS: the brokers' certificate is not trusted")
	errAuthFailed = errors.New("kafka SASL authentication failed")
)

func untrustedCert(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	return errors.As(err, &certErr) || errors.As(err, &unknownAuth)
}

// unreachable reports whether err, as explain returns it, says that the brokers cannot be
// reached or are not ready yet, which a later attempt may get past. Refused credentials,
// untrusted certificates and refused requests are final.
func unreachable(err error) bool {
	// A connection the broker closes at once is a TLS or SASL mismatch, which kgo itself does
	// not retry; a TLS alert from the broker refuses our certificate or protocol.
	var firstRead *kgo.ErrFirstReadEOF
	var opErr *net.OpError
	if errors.Is(err, errUntrusted) || errors.Is(err, errAuthFailed) || errors.As(err, &firstRead) ||
		errors.As(err, &opErr) && opErr.Op == "remote error" {
		return false
	}
	var netErr net.Error
	var kErr *kerr.Error
	// A new cluster answers INVALID_REPLICATION_FACTOR until enough brokers have registered
	// with the controller; the worker waits for them, saying so in its retry warning.
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &kErr) && kErr.Retriable || errors.Is(err, kerr.InvalidReplicationFactor)
}

func isAuthError(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.IllegalSaslState) ||
		errors.Is(err, kerr.UnsupportedSaslMechanism)
}

// newCallClient is newClient for the one-shot calls of chatpulse (create and describe topics,
// produce, read offsets). The context it returns also ends when the brokers refuse the
// credentials: a broker that drops the connection after a failed SASL exchange leaves the
// client retrying the request for as long as its retry budget lasts, and the call stops at once
// instead, explain saying why. Close releases both.
func newCallClient(ctx context.Context, d Dial, extra []kgo.Opt, opts ...kgo.Opt) (client, context.Context, error) {
	cl, err := newClient(d, extra, opts...)
	if err != nil {
		return client{}, ctx, err
	}
	ctx, cl.stop = context.WithCancel(ctx)
	go func() {
		select {
		case <-cl.auth.refused:
			cl.stop()
		case <-ctx.Done():
		}
	}()
	return cl, ctx, nil
}

// Close ends the call's context, if any, and closes the client.
func (c client) Close() {
	if c.stop != nil {
		c.stop()
	}
	c.Client.Close()
}

// authWatch notes a failed SASL exchange. Brokers that refuse credentials answer with an error
// code, or just close the connection, which leaves the request that needed it with an EOF or a
// timeout that does not say why.
type authWatch struct {
	failed  atomic.Bool
	once    sync.Once
	refused chan struct{} // closed at the first failed exchange
}

func (w *authWatch) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil && (key == int16(kmsg.SASLAuthenticate) || key == int16(kmsg.SASLHandshake)) {
		w.failed.Store(true)
		w.once.Do(func() { close(w.refused) })
	}
}
