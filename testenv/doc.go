// Package testenv starts the real components tests and the demo run against: a ClickHouse
// server as a child process and a Kafka protocol broker.
package testenv
