// Package wire reads and writes the compact binary form of state snapshots: canonical
// varints, length-prefixed strings and counts bounded by the bytes that remain, so that any
// input is either decoded exactly or rejected without allocating more than it holds.
package wire
