// Package testenv starts the real components tests and the demo run against: a ClickHouse
// server as a child process, kfake (an in-process Kafka protocol broker) and, for the suites
// that carry the product's promises, Apache Kafka nodes started from their jars.
package testenv
