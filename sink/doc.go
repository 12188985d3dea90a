// Package sink writes rows to ClickHouse in large idempotent batches and owns the schema
// analysts query.
package sink
