package processor

import "github.com/chatpulse/chatpulse/partition"

// Heap bytes one entry of a partition's state costs, measured with UUID ids; the state_bytes
// gauge multiplies them by the entries, which a scrape can read without walking the state.
// The figure is an estimate: longer ids, sessions with more messages and reaction snapshots
// held for their message cost more.
const (
	// heldMessageBytes: a message's key, send time and content hash in the join's map
	// (go test -run '^$' -bench HeldMessageBytes ./join: 83.8–83.9 bytes).
	heldMessageBytes = 84
	// pendingEntryBytes: a receipt waiting for its message, alone in its map entry, its UUID
	// member id cloned (go test -run '^$' -bench PendingEntryBytes ./processor: 196.6 bytes).
	// Entries that wait for the same message share a map entry and cost less.
	pendingEntryBytes = 197
	// openSessionBytes: an open session of 10 messages with its user's entry, the reference
	// figure of go test -run '^$' -bench OpenSessionBytes ./sessionize.
	openSessionBytes = 510
)

// stateBytes estimates the heap held by a partition's state of the given sizes.
func stateBytes(g partition.Gauges) int64 {
	return int64(g.Messages)*heldMessageBytes + int64(g.Early)*pendingEntryBytes + int64(g.OpenSessions)*openSessionBytes
}
