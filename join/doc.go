// Package join keeps one partition's message state and joins receipts, replies and reactions to
// their message, holding early arrivals until the message comes or the join TTL of event time ends.
package join
