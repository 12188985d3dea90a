// Package peersbench runs chatpulse's Kafka Streams and Flink peers (bench/peers) as real
// processes beside chatpulse, so that their rows can be compared and their cost measured on the
// same broker and input. Like testenv it is a harness at the Kafka edge: it creates topics, reads
// the peers' output topics and watches consumer-group progress with franz-go.
package peersbench
