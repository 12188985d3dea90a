// Package rows defines the rows the partition state emits and the sink writes: one type per
// ClickHouse table, every field a plain value that a replay reproduces exactly.
package rows
