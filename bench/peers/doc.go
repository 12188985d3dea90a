// Package peers holds the golden that chatpulse's Kafka Streams and Flink peers (the Maven projects
// beside it) are checked against; its test derives the golden rows from chatpulse's own code.
package peers
