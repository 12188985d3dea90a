// Package tlsconf turns the TLS settings of a client connection (CA, client certificate, server
// name) into a *tls.Config, with errors that name the environment variables; the Kafka and the
// ClickHouse clients both build theirs here.
package tlsconf
