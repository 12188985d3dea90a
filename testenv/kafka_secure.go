package testenv

import (
	"github.com/twmb/franz-go/pkg/kfake"
)

// SecureKafkaForTest starts a broker that speaks only TLS, with a certificate ca issues, and
// admits only user with password over SASL. On kfake the user has the one mechanism named
// (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, as Kafka names them); on Apache Kafka, which
// BrokerEnv picks by default, the user has all three. It is closed when the test ends.
func SecureKafkaForTest(t T, ca *CA, mechanism, user, password string) *Kafka {
	t.Helper()
	kind, err := PromiseBroker()
	if err != nil {
		t.Fatal(err)
	}
	if kind == BrokerApache {
		kp, err := ca.Issue("server")
		if err != nil {
			t.Fatal(err)
		}
		return &Kafka{apache: ApacheKafkaForTest(t, SecureListener(kp, SASLUser{Name: user, Password: password}))}
	}
	serverTLS, err := ca.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	return KafkaForTest(t, kfake.EnableSASL(), kfake.Superuser(mechanism, user, password), kfake.TLS(serverTLS))
}
