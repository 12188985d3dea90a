package testenv

import (
	"encoding/xml"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ClickHouseOption adds to the server's configuration.
type ClickHouseOption func(*clickHouseOptions)

type clickHouseOptions struct {
	ca       *CA
	users    []clickHouseUser
	queryLog bool
	workLog  bool
}

type clickHouseUser struct{ name, password string }

// WithTLS makes the server also serve the native protocol over TLS (tcp_port_secure), with a
// certificate ca issues for 127.0.0.1 and localhost; TLSAddr is its address.
func WithTLS(ca *CA) ClickHouseOption {
	return func(o *clickHouseOptions) { o.ca = ca }
}

// WithUser adds a user who logs in with password, from loopback only, with the default profile.
func WithUser(name, password string) ClickHouseOption {
	return func(o *clickHouseOptions) { o.users = append(o.users, clickHouseUser{name, password}) }
}

// TLSAddr is the address of the native protocol over TLS, "" when the server was started
// without WithTLS.
func (c *ClickHouse) TLSAddr() string {
	if c.opts.ca == nil {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.tlsPort))
}

// secureConfig writes the server's certificate and returns the configuration that serves TLS
// on port, or "" without WithTLS. Clients are not asked for a certificate.
func (c *ClickHouse) secureConfig(port int) (string, error) {
	if c.opts.ca == nil {
		return "", nil
	}
	kp, err := c.opts.ca.Issue("clickhouse")
	if err != nil {
		return "", fmt.Errorf("clickhouse certificate: %w", err)
	}
	certFile, keyFile, err := kp.Write(c.dir, "server")
	if err != nil {
		return "", fmt.Errorf("clickhouse certificate: %w", err)
	}
	c.tlsPort = port
	return fmt.Sprintf(`    <tcp_port_secure>%d</tcp_port_secure>
    <openSSL>
        <server>
            <certificateFile>%s</certificateFile>
            <privateKeyFile>%s</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>
`, port, xmlText(certFile), xmlText(keyFile)), nil
}

// usersConfig is the users.xml entries of the WithUser users.
func (c *ClickHouse) usersConfig() string {
	var b strings.Builder
	for _, u := range c.opts.users {
		fmt.Fprintf(&b, `        <%[1]s>
            <password>%[2]s</password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </%[1]s>
`, u.name, xmlText(u.password))
	}
	return b.String()
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
