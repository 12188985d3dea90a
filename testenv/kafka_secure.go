package testenv

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// SecureKafkaForTest starts a broker that speaks only TLS, with a certificate ca issues, and
// admits only user with password over the SASL mechanism (PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512, as Kafka names them). It is closed when the test ends.
func SecureKafkaForTest(t testing.TB, ca *CA, mechanism, user, password string) *Kafka {
	t.Helper()
	serverTLS, err := ca.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	return KafkaForTest(t, kfake.EnableSASL(), kfake.Superuser(mechanism, user, password), kfake.TLS(serverTLS))
}
