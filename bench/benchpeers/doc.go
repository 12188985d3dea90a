// Command benchpeers is `make bench-peers`: on one Apache Kafka broker and the pipeline
// benchmark's topic, it runs chatpulse (to ClickHouse) and then each peer of bench/peers, one
// after another, and prints for each the records per second until every result is durable, the
// CPU time of the processor, the broker and ClickHouse per million records, the processor's peak
// RSS and the bytes of state per held message. BENCHMARKS.md explains the figures.
package main
