// Package processor is the Kafka edge: it consumes raw topics, routes every event to the
// partition that owns its state key, runs one goroutine per owned partition over that
// partition's state, and commits an offset only after everything it produced is durable.
package processor
